"""The convolutional step of `cargo bench --bench workloads` (cnn_digits_b32)
in PyTorch, on one core: 8x8 images, 3x3 conv to 32 channels (pad 1), ReLU,
2x2 max pool, 3x3 conv to 64 (pad 1), ReLU, 2x2 max pool, dense to 10,
cross-entropy; the loss and every gradient for a batch of 32, float32.

Not part of CI. Run once, from the repository's root:
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
    /tmp/torchenv/bin/python benches/pytorch/cnn_step.py
It prints the median time per step over blocks of steps.
"""

import statistics
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(3)

net = torch.nn.Sequential(
    torch.nn.Conv2d(1, 32, 3, padding=1),
    torch.nn.ReLU(),
    torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(32, 64, 3, padding=1),
    torch.nn.ReLU(),
    torch.nn.MaxPool2d(2),
    torch.nn.Flatten(),
    torch.nn.Linear(64 * 2 * 2, 10),
)
x = torch.sin(0.37 * (torch.arange(32 * 64, dtype=torch.float32))).reshape(32, 1, 8, 8)
y = torch.tensor([(b * 7) % 10 for b in range(32)])
loss_fn = torch.nn.CrossEntropyLoss()


def step():
    for p in net.parameters():
        p.grad = None
    loss = loss_fn(net(x), y)
    loss.backward()
    return loss


for _ in range(200):
    step()
blocks = []
for _ in range(30):
    n = 100
    start = time.perf_counter()
    for _ in range(n):
        step()
    blocks.append((time.perf_counter() - start) / n)
print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
print(f"cnn_digits_b32 step: median {1e6 * statistics.median(blocks):.1f} us, min {1e6 * min(blocks):.1f} us")
