"""The PyTorch float64 numbers that tests/net_loops.rs compares with (run by
hand, never by CI):

    python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch numpy
    /tmp/torch/bin/python tests/pytorch/recurrent.py

PyTorch's own nn.RNN, nn.LSTM and nn.GRU (not the gates written out), with
a linear head and a summed cross-entropy over the T steps, at the params the
test sets: Wx[i, j] = sin(0.37 i + 0.11 j), Wh[i, j] = cos(0.23 i - 0.19 j),
b[i] = 0.05 i - 0.3 (the second bias of PyTorch's cells: 0.02 i for the GRU,
zero otherwise), Wy[i, j] = 0.4 sin(0.3 i + 0.7 j + 0.2), by[i] = 0.1 i,
x[t, d] = sin(0.7 t - 0.4 d + 0.3), h0[i] = 0.1 i - 0.15, c0[i] = 0.2 - 0.05 i,
labels y = 0 4 2 2 1 3. Prints the loss and every gradient as Rust arrays.
"""

import math

import torch

torch.set_default_dtype(torch.float64)
D, H, V, T = 3, 4, 5, 6


def rust(name, t):
    values = ", ".join(repr(v) for v in t.detach().reshape(-1).tolist())
    print(f"const {name}: [f64; {t.numel()}] = [{values}];")


def mat(rows, cols, f):
    return torch.tensor([[f(i, j) for j in range(cols)] for i in range(rows)])


def setup(cell, gates, second_bias):
    with torch.no_grad():
        cell.weight_ih_l0.copy_(mat(gates * H, D, lambda i, j: math.sin(0.37 * i + 0.11 * j)))
        cell.weight_hh_l0.copy_(mat(gates * H, H, lambda i, j: math.cos(0.23 * i - 0.19 * j)))
        cell.bias_ih_l0.copy_(torch.tensor([0.05 * i - 0.3 for i in range(gates * H)]))
        cell.bias_hh_l0.copy_(torch.tensor([second_bias(i) for i in range(gates * H)]))


def head_loss(hs):
    Wy = mat(V, H, lambda i, j: 0.4 * math.sin(0.3 * i + 0.7 * j + 0.2)).requires_grad_()
    by = torch.tensor([0.1 * i for i in range(V)], requires_grad=True)
    z = hs @ Wy.T + by
    y = torch.tensor([0, 4, 2, 2, 1, 3])
    return torch.nn.functional.cross_entropy(z, y, reduction="sum"), Wy, by


def inputs():
    x = mat(T, D, lambda t, d: math.sin(0.7 * t - 0.4 * d + 0.3)).requires_grad_()
    h0 = torch.tensor([0.1 * i - 0.15 for i in range(H)], requires_grad=True)
    c0 = torch.tensor([0.2 - 0.05 * i for i in range(H)], requires_grad=True)
    return x, h0, c0


def run(prefix, cell, gates, second_bias):
    setup(cell, gates, second_bias)
    x, h0, c0 = inputs()
    if isinstance(cell, torch.nn.LSTM):
        hs, _ = cell(x.unsqueeze(1), (h0.reshape(1, 1, H), c0.reshape(1, 1, H)))
    else:
        hs, _ = cell(x.unsqueeze(1), h0.reshape(1, 1, H))
    loss, Wy, by = head_loss(hs.reshape(T, H))
    loss.backward()
    rust(f"{prefix}_LOSS", loss.reshape(1))
    rust(f"{prefix}_DWX", cell.weight_ih_l0.grad)
    rust(f"{prefix}_DWH", cell.weight_hh_l0.grad)
    rust(f"{prefix}_DB", cell.bias_ih_l0.grad)
    rust(f"{prefix}_DWY", Wy.grad)
    rust(f"{prefix}_DBY", by.grad)
    rust(f"{prefix}_DX", x.grad)
    rust(f"{prefix}_DH0", h0.grad)
    if isinstance(cell, torch.nn.LSTM):
        rust(f"{prefix}_DC0", c0.grad)


run("RNN", torch.nn.RNN(D, H, nonlinearity="tanh"), 1, lambda i: 0.0)
run("LSTM", torch.nn.LSTM(D, H), 4, lambda i: 0.0)
run("GRU", torch.nn.GRU(D, H), 3, lambda i: 0.02 * i)
