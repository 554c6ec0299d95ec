"""The PyTorch float64 numbers that tests/net_embedding.rs and
tests/net_slices.rs compare with (run by hand, never by CI):

    python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch numpy
    /tmp/torch/bin/python tests/pytorch/reference.py

Prints each net's loss and gradients, as Rust arrays, for the params the
tests set: E[i, j] = sin(0.7 i + 0.3 j + 0.1), W[i, j] = cos(0.5 i - 0.2 j),
and for the LSTM cell Wx[i, j] = sin(0.37 i + 0.11 j), Wh[i, j] =
cos(0.23 i - 0.19 j), b[i] = 0.05 i - 0.3, x, h0, c0 as in the test.
"""

import math

import torch

torch.set_default_dtype(torch.float64)


def rust(name, t):
    values = ", ".join(repr(v) for v in t.detach().reshape(-1).tolist())
    print(f"const {name}: [f64; {t.numel()}] = [{values}];")


def embedding():
    V, M, C = 6, 4, 3
    E = torch.tensor([[math.sin(0.7 * i + 0.3 * j + 0.1) for j in range(M)] for i in range(V)], requires_grad=True)
    W = torch.tensor([[math.cos(0.5 * i - 0.2 * j) for j in range(M)] for i in range(C)], requires_grad=True)
    w, y = 3, 1
    z = W @ torch.tanh(torch.nn.functional.embedding(torch.tensor(w), E))
    loss = torch.nn.functional.cross_entropy(z.unsqueeze(0), torch.tensor([y]))
    loss.backward()
    rust("EMBED_LOSS", loss.reshape(1))
    rust("EMBED_DE", E.grad)
    rust("EMBED_DW", W.grad)


def lstm_cell():
    D, H = 3, 4
    cell = torch.nn.LSTMCell(D, H)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor([[math.sin(0.37 * i + 0.11 * j) for j in range(D)] for i in range(4 * H)]))
        cell.weight_hh.copy_(torch.tensor([[math.cos(0.23 * i - 0.19 * j) for j in range(H)] for i in range(4 * H)]))
        cell.bias_ih.copy_(torch.tensor([0.05 * i - 0.3 for i in range(4 * H)]))
        cell.bias_hh.zero_()
    x = torch.tensor([[0.5, -1.0, 0.25]])
    h0 = torch.tensor([[0.1, -0.2, 0.3, -0.4]])
    c0 = torch.tensor([[0.6, 0.2, -0.5, 0.05]])
    h, c = cell(x, (h0, c0))
    loss = 0.5 * (h * h).sum() + c.sum()
    loss.backward()
    rust("LSTM_LOSS", loss.reshape(1))
    rust("LSTM_DWX", cell.weight_ih.grad)
    rust("LSTM_DWH", cell.weight_hh.grad)
    rust("LSTM_DB", cell.bias_ih.grad)


embedding()
lstm_cell()
