"""Loads the weights `cargo run --release --example 07-layers` saves into
the same residual MLP written in PyTorch, by name: the safetensors file's
tensors are named as PyTorch's `state_dict` names a submodule's params
(`embed.W`, `blocks.0.W1`, …, `head.b`, the stack a `ModuleList`), so
`load_state_dict` takes the file as
it is, with `strict=True`. Then the four test images the example wrote are
classified by both, and the largest difference of their logits printed.
Run from the repository root after the example (the argument: the
example's folder in cargo's target directory, target/07-layers by default):
    python3 -m venv /tmp/env && /tmp/env/bin/pip install safetensors numpy torch
    /tmp/env/bin/python examples/python/load_layers.py target/07-layers
(`load_digits.py` says how to install the CPU-only torch, about 200 MB.)
"""

import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file


class Dense(torch.nn.Module):
    """`layer Dense<I, O>(x) { param W: [O, I]; param b: [O]; W @ x + b }`."""

    def __init__(self, i, o):
        super().__init__()
        self.W = torch.nn.Parameter(torch.zeros(o, i))
        self.b = torch.nn.Parameter(torch.zeros(o))

    def forward(self, x):
        return x @ self.W.T + self.b


class Residual(torch.nn.Module):
    """`x + W2 relu(W1 x + b1) + b2`."""

    def __init__(self, h):
        super().__init__()
        self.W1 = torch.nn.Parameter(torch.zeros(h, h))
        self.b1 = torch.nn.Parameter(torch.zeros(h))
        self.W2 = torch.nn.Parameter(torch.zeros(h, h))
        self.b2 = torch.nn.Parameter(torch.zeros(h))

    def forward(self, x):
        return x + torch.relu(x @ self.W1.T + self.b1) @ self.W2.T + self.b2


class ResMlp(torch.nn.Module):
    def __init__(self, pixels, h, digits):
        super().__init__()
        self.embed = Dense(pixels, h)
        self.blocks = torch.nn.ModuleList(Residual(h) for _ in range(4))
        self.head = Dense(h, digits)

    def forward(self, x):
        h = torch.relu(self.embed(x))
        for block in self.blocks:
            h = block(h)
        return self.head(h)


out = Path(sys.argv[1] if len(sys.argv) > 1 else "target/07-layers")
weights = load_file(str(out / "weights.safetensors"))
h, pixels = weights["embed.W"].shape
net = ResMlp(pixels, h, weights["head.W"].shape[0])
net.load_state_dict(weights, strict=True)
print("loaded by name:", ", ".join(net.state_dict().keys()))
x = torch.from_numpy(np.loadtxt(out / "probe_x.txt", dtype=np.float32))
z = np.loadtxt(out / "probe_z.txt", dtype=np.float32)
with torch.no_grad():
    torch_z = net(x).numpy()
print("predicted digits:", torch_z.argmax(1).tolist(), "(shapegrad:", z.argmax(1).tolist(), ")")
print("max |shapegrad − PyTorch| of the logits =", float(np.abs(z - torch_z).max()))
