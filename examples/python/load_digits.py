"""Loads what `cargo run --release --example train_digits` writes into
target/train_digits/ outside Rust: the ONNX model with onnxruntime, and the
safetensors weights, by name, into the same net in PyTorch; prints how far
apart the two are. Run from the repository root after the example (the
argument: the example's folder in cargo's target directory, target/ by
default):
    python3 -m venv /tmp/env && /tmp/env/bin/pip install safetensors onnxruntime numpy
    /tmp/env/bin/pip install torch    # see below: prefer the CPU-only build
    /tmp/env/bin/python examples/python/load_digits.py target/train_digits
A plain `pip install torch` from PyPI brings the 5.5 GB CUDA build, which
this check does not need: install the CPU-only build instead, with the
`--index-url` of PyTorch's CPU wheels that PyTorch's install page gives
(about 200 MB).
"""

import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from safetensors.torch import load_file

# The exported forward pass: images batch-first, [N, 64] → logits [N, 10].
out = Path(sys.argv[1] if len(sys.argv) > 1 else "target/train_digits")
session = ort.InferenceSession(str(out / "model.onnx"))
x = np.random.default_rng(0).random((5, 64), dtype=np.float32)
(logits,) = session.run(["z2"], {"x": x})

# The same net in PyTorch, its weights loaded by name from the safetensors file.
w = load_file(str(out / "weights.safetensors"))  # W1 [64→H], b1, W2, b2
net = torch.nn.Sequential(torch.nn.Linear(64, w["W1"].shape[0]), torch.nn.SiLU(), torch.nn.Linear(w["W1"].shape[0], 10))
with torch.no_grad():
    net[0].weight.copy_(w["W1"]); net[0].bias.copy_(w["b1"])
    net[2].weight.copy_(w["W2"]); net[2].bias.copy_(w["b2"])
    torch_logits = net(torch.from_numpy(x)).numpy()
print("max |onnxruntime − PyTorch| =", float(np.abs(logits - torch_logits).max()))
