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


def block():
    """The contract's pre-LN transformer block (causal single-head attention,
    FFN), per example, at V = 7, D = 4, T = 5, F = 6; its per-step
    cross-entropy as a mean. Param number k (in declaration order) has
    entries 0.5 sin(0.3 i + 0.7 j + 0.11 k)."""
    V, D, T, F = 7, 4, 5, 6
    shapes = [("E", (V, D)), ("P", (T, D)), ("g1", (D,)), ("s1", (D,)), ("Wq", (D, D)), ("Wk", (D, D)),
              ("Wv", (D, D)), ("Wo", (D, D)), ("g2", (D,)), ("s2", (D,)), ("W1", (F, D)), ("b1", (F,)),
              ("W2", (D, F)), ("b2", (D,)), ("Wy", (V, D))]
    p = {}
    for k, (name, shape) in enumerate(shapes):
        rows, cols = (shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)
        t = torch.tensor([[0.5 * math.sin(0.3 * i + 0.7 * j + 0.11 * k) for j in range(cols)] for i in range(rows)])
        p[name] = t.reshape(shape).clone().requires_grad_(True)
    ws = torch.tensor([3, 0, 6, 3, 1])
    ys = torch.tensor([0, 6, 3, 1, 2])
    # mask[key, query]: 0 where key ≤ query, −1e9 elsewhere.
    mask = torch.tensor([[0.0 if key <= query else -1e9 for query in range(T)] for key in range(T)])

    def layernorm(x, g, s):
        return torch.nn.functional.layer_norm(x, (D,), g, s, eps=1e-5)

    x = p["E"][ws] + p["P"]
    h = layernorm(x, p["g1"], p["s1"])
    q, k, v = h @ p["Wq"].T, h @ p["Wk"].T, h @ p["Wv"].T
    a = torch.softmax(0.125 * (k @ q.T) + mask, dim=0)
    r = x + a.T @ v @ p["Wo"].T
    f = torch.relu(layernorm(r, p["g2"], p["s2"]) @ p["W1"].T + p["b1"]) @ p["W2"].T + p["b2"]
    z = (r + f) @ p["Wy"].T
    loss = torch.nn.functional.cross_entropy(z, ys)
    loss.backward()
    rust("BLOCK_LOSS", loss.reshape(1))
    for name in ["E", "g1", "Wq", "Wk", "Wv", "b1", "s2"]:
        rust(f"BLOCK_D{name.upper()}", p[name].grad)


block()
