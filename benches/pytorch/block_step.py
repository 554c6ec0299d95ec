"""The transformer block step of `cargo bench --bench workloads`
(block_d64_t64_b32) in PyTorch eager, on one core: token embedding plus
learned positions, pre-LN causal single-head attention, an FFN, logits and a
cross-entropy at every step; D = 64, F = 256, V = 64, T = 64, a batch of 32
sequences; the loss and every gradient, float32.

Not part of CI. Run once, from the repository's root:
    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch
    taskset -c 0 /tmp/torchenv/bin/python benches/pytorch/block_step.py
It prints the median time per step over blocks of steps.
"""

import statistics
import sys
import time

import torch
import torch.nn.functional as fn

torch.set_num_threads(1)
torch.manual_seed(3)
V, D, F, T, B = 64, 64, 256, 64, 32


def param(*shape, scale=0.1):
    return (scale * torch.randn(*shape)).requires_grad_()


E, P = param(V, D), param(T, D)
g1, s1 = torch.ones(D, requires_grad=True), torch.zeros(D, requires_grad=True)
Wq, Wk, Wv, Wo = param(D, D), param(D, D), param(D, D), param(D, D)
g2, s2 = torch.ones(D, requires_grad=True), torch.zeros(D, requires_grad=True)
W1, b1, W2, b2 = param(F, D), torch.zeros(F, requires_grad=True), param(D, F), torch.zeros(D, requires_grad=True)
Wy = param(V, D)
params = [E, P, g1, s1, Wq, Wk, Wv, Wo, g2, s2, W1, b1, W2, b2, Wy]

t_idx = torch.arange(T)
ws = (7 * t_idx[None, :] + 3 * torch.arange(B)[:, None]) % 64  # [B, T], batch first
ys = (ws + 7) % 64
# mask[query, key]: 0 where key <= query, -1e9 elsewhere (the same causal mask).
mask = torch.where(t_idx[None, :] <= t_idx[:, None], 0.0, -1e9)


def step():
    for p in params:
        p.grad = None
    x = E[ws] + P  # [B, T, D]
    h = fn.layer_norm(x, (D,), g1, s1)
    q, k, v = h @ Wq.T, h @ Wk.T, h @ Wv.T
    a = torch.softmax(0.125 * (q @ k.transpose(1, 2)) + mask, dim=-1)  # [B, query, key]
    r = x + (a @ v) @ Wo.T
    f = torch.relu(fn.layer_norm(r, (D,), g2, s2) @ W1.T + b1) @ W2.T + b2
    z = (r + f) @ Wy.T
    loss = fn.cross_entropy(z.reshape(B * T, V), ys.reshape(B * T))
    loss.backward()
    return loss


for _ in range(20):
    step()
blocks = []
rounds = int(sys.argv[sys.argv.index("--blocks") + 1]) if "--blocks" in sys.argv else 15
for _ in range(rounds):
    n = 20
    start = time.perf_counter()
    for _ in range(n):
        step()
    blocks.append((time.perf_counter() - start) / n)
print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, loss {step().item():.4f}")
print(f"torch block_d64_t64_b32 step: median {1e6 * statistics.median(blocks):.1f} us, min {1e6 * min(blocks):.1f} us")
