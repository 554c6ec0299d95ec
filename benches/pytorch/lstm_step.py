"""The LSTM step of `cargo bench --bench lstm_blocks` in PyTorch eager, on one
core: the fused nn.LSTM (D = 64 inputs, H = 128 hidden), a linear head to
V = 64 classes and a cross-entropy at every one of T = 32 steps, summed over
the steps and averaged over a batch of B = 32 sequences; the loss and every
gradient, float32.

Not part of CI. Run once, from the repository's root:
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
    taskset -c 0 /tmp/torchenv/bin/python benches/pytorch/lstm_step.py
It prints the median time per step over blocks of 20 steps.
"""

import statistics
import sys
import time

import torch
import torch.nn.functional as fn

torch.set_num_threads(1)
torch.manual_seed(3)
D, H, V, T, B = 64, 128, 64, 32, 32

lstm = torch.nn.LSTM(D, H)
head = torch.nn.Linear(H, V)
params = list(lstm.parameters()) + list(head.parameters())
t, d, b = torch.meshgrid(torch.arange(T), torch.arange(D), torch.arange(B), indexing="ij")
x = (((7 * t + 3 * d + b) % 17).float() / 17.0 - 0.5).permute(0, 2, 1).contiguous()  # [T, B, D]
h0 = torch.zeros(1, B, H)
c0 = torch.zeros(1, B, H)
ys = (7 * torch.arange(T)[:, None] + 3 * torch.arange(B)[None, :] + 7) % 64  # [T, B]


def step():
    for p in params:
        p.grad = None
    hs, _ = lstm(x, (h0, c0))
    z = head(hs)
    loss = fn.cross_entropy(z.reshape(T * B, V), ys.reshape(T * B), reduction="sum") / B
    loss.backward()
    return loss


blocks = int(sys.argv[sys.argv.index("--blocks") + 1]) if "--blocks" in sys.argv else 5
for _ in range(3):
    step()
times = []
for _ in range(blocks):
    start = time.perf_counter()
    for _ in range(20):
        step()
    times.append((time.perf_counter() - start) / 20)
print(f"pytorch {torch.__version__} lstm_d64_h128_t32_b32 step: median {1e6 * statistics.median(times):.1f} us")
