//! ONNX export: each net's exported model run by onnxruntime (from Python,
//! `tests/onnx/check.py`) gives `forward_batch`'s outputs to 1e-5, for batches
//! of two sizes. The Python interpreter is the one `SHAPEGRAD_PYTHON` names,
//! with onnxruntime and numpy (CI installs them into a virtual environment;
//! the README has the two commands that make one). Without it these tests are
//! reported as ignored (the build script turns on `cfg(onnxruntime)` when the
//! variable is set), never as passed, and under `CI` they fail;
//! `every_net_exports` checks the export alone either way.

use std::path::{Path, PathBuf};
use std::process::Command;

use shapegrad::prelude::*;

dims! { D = 6; H = 8; O = 3; Side = 6; F = 4; G = 5; V = 7; T = 5; }

net! {
    /// An index input and its lookup, a slice with dim bounds, a dim as a number.
    net Lookup {
        param E: [V, F];
        param W: [O, F];
        param U: [2 * H, D];
        input w: V;
        input x: [D];
        label y: O;
        let a = U @ x;
        let z = W @ tanh(E[w]) + sum(a[H..2 * H]) / H + a[0] * (W @ E[V - 1]);
        output z;
        loss softmax_cross_entropy(z, y);
    }
}

net! {
    /// A layer: its instances' initializers are named `l1.W`, `l1.b`.
    layer Dense<I, J>(x) {
        param W: [J, I];
        param b: [J];
        W @ x + b
    }

    /// A residual block, in a stack of three: a loop over its members,
    /// unrolled in the file, each member's initializers its own (`rs.1.W`).
    layer Res(x) {
        param W: [H, H];
        param b: [H];
        x + tanh(W @ x + b)
    }

    net Mlp {
        param l1: Dense<D, H>;
        param rs: [Res; 3];
        param l2: Dense<H, O>;
        input x: [D];
        label y: O;
        let z = l2(swish(rs(l1(x))));
        let p = softmax(z);
        output z;
        output p;
        loss softmax_cross_entropy(z, y);
    }
}

net! {
    net Mixed {
        param W1: [H, D];
        param g1: [H];
        param s1: [H];
        param W2: [O, H];
        input x: [D];
        target t: [O];
        let a = layernorm(W1 @ x, g1, s1) * (D / H);
        let h = gelu(a) + leaky_relu(a, 0.1) + pow(sigmoid(a) + 0.5, -1.5) - 0.5 * tanh(a) + elu(a) / 4.0 + softplus(a) * log_sigmoid(a);
        let e = exp(0.1 * a) + sqrt(abs(a) + 1.0) + square(sigmoid(a)) + max(a, relu(a)) - min(a, 0.2 * a);
        let c = hardswish(a) + hardtanh(a) + relu6(3.0 * a) + silu(a) + mish(a) + softsign(a);
        let y = log_softmax(W2 @ dropout(h + e + c, 0.3));
        output y;
        loss mse(y, t);
    }
}

net! {
    net Cnn {
        param K1: [F, 1, 3, 3];
        param c1: [F];
        param g1: [F];
        param s1: [F];
        param K2: [G, F, 3, 3];
        param c2: [G];
        param W: [O, _];
        param b: [O];
        input x: [1, Side, Side];
        label y: O;
        let z1 = batchnorm(conv2d(x, K1, c1, pad = 1), g1, s1);
        let p1 = maxpool2d(relu(z1), 2);
        let z2 = conv2d(p1, K2, c2, stride = 2, pad = 1);
        let p2 = avgpool2d(tanh(z2), 2);
        let z = W @ flatten(p2) + b;
        output z;
        output p1;
        loss softmax_cross_entropy(z, y);
    }
}

net! {
    /// The contract's transformer block with a map for its per-step loss: a
    /// per-example matrix and a sequence of tokens, its batched methods a
    /// loop over the examples and its export a `Scan` over them.
    net Block {
        param E: [V, F];
        param P: [T, F];
        param g1: [F];
        param s1: [F];
        param Wq: [F, F];
        param Wk: [F, F];
        param Wv: [F, F];
        param W1: [H, F];
        param b1: [H];
        param W2: [F, H];
        param Wy: [V, F];
        input ws: [T] of V;
        input mask: [T, T];
        label ys: [T] of V;
        let x = E[ws] + P;
        let h = layernorm(x, g1, s1);
        let a = softmax(0.5 * ((h @ Wk.T) @ (h @ Wq.T).T) + mask);
        let r = x + a.T @ (h @ Wv.T);
        let z = (r + relu(r @ W1.T + b1) @ W2.T) @ Wy.T;
        for t in T {
            let l[t] = softmax_cross_entropy(z[t], ys[t]);
        }
        output z;
        loss mean(l);
    }
}

net! {
    /// A character LSTM: a lookup per step, two states, packed gates, the
    /// logits of every step; its export unrolls the loop over `T`.
    net Recurrent {
        param E: [V, F];
        param Wx: [4 * H, F];
        param Wh: [4 * H, H];
        param b: [4 * H];
        param Wy: [V, H];
        input ws: [T] of V;
        input h0: [H];
        label ys: [T] of V;
        for t in T {
            init h = h0;
            init c = 0.5 * h0;
            let a = Wx @ E[ws[t]] + Wh @ h[t - 1] + b;
            let c[t] = sigmoid(a[H..2 * H]) * c[t - 1] + sigmoid(a[0..H]) * tanh(a[2 * H..3 * H]);
            let h[t] = sigmoid(a[3 * H..4 * H]) * tanh(c[t]);
            let z[t] = Wy @ h[t];
            let l[t] = softmax_cross_entropy(z[t], ys[t]);
        }
        output z;
        loss mean(l);
    }
}

net! {
    /// A recurrence over the rows of a matrix input, its initial state a
    /// param (the same for every example), its last step classified.
    net LastStep {
        param Wx: [H, F];
        param Wh: [H, H];
        param h0: [H];
        param Wy: [O, H];
        input x: [T, F];
        label y: O;
        for t in T {
            init h = h0;
            let h[t] = tanh(Wx @ x[t] + Wh @ h[t - 1]);
        }
        let z = Wy @ h[T - 1];
        output z;
        loss softmax_cross_entropy(z, y);
    }
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("shapegrad-onnx-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(d: &Path, file: &str, values: &[f32]) -> String {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(d.join(file), bytes).unwrap();
    file.to_string()
}

/// `[rows × B]` (one example per column) as a batch-first array `[B, dims…]`.
fn batch_first(values: &[f32], rows: usize, b: usize) -> Vec<f32> {
    (0..b).flat_map(|j| (0..rows).map(move |i| values[i * b + j])).collect()
}

/// A case of `cases.json`: named (shape, values) inputs and outputs, batch-first.
type Arrays = Vec<(&'static str, Vec<usize>, Vec<f32>)>;

fn case(d: &Path, k: usize, inputs: Arrays, outputs: Arrays) -> String {
    let entry = |(name, shape, values): (&str, Vec<usize>, Vec<f32>), kind: &str| {
        let file = write(d, &format!("{kind}{k}-{name}.f32"), &values);
        format!("\"{name}\": {{\"shape\": {shape:?}, \"file\": \"{file}\"}}")
    };
    let i: Vec<String> = inputs.into_iter().map(|a| entry(a, "in")).collect();
    let o: Vec<String> = outputs.into_iter().map(|a| entry(a, "out")).collect();
    format!("{{\"inputs\": {{{}}}, \"outputs\": {{{}}}}}", i.join(", "), o.join(", "))
}

/// An int64 input's entry of `cases.json` (index inputs).
fn indices(d: &Path, k: usize, name: &str, values: &[usize]) -> String {
    indices_shaped(d, k, name, values, &[values.len()])
}

/// An int64 input's entry of shape `shape` (a batch of sequences: `[N, T]`).
fn indices_shaped(d: &Path, k: usize, name: &str, values: &[usize], shape: &[usize]) -> String {
    let bytes: Vec<u8> = values.iter().flat_map(|&v| (v as i64).to_le_bytes()).collect();
    let file = format!("in{k}-{name}.i64");
    std::fs::write(d.join(&file), bytes).unwrap();
    format!("\"{name}\": {{\"shape\": {shape:?}, \"file\": \"{file}\", \"dtype\": \"int64\"}}")
}

/// Writes the model and cases, and runs the check when Python is there.
fn check(name: &str, model: Vec<u8>, cases: impl Fn(&Path) -> Vec<String>) {
    let d = dir(name);
    assert!(model.len() > 100, "{name}: a model");
    std::fs::write(d.join("model.onnx"), &model).unwrap();
    let cases = cases(&d);
    std::fs::write(d.join("cases.json"), format!("[{}]", cases.join(", "))).unwrap();
    let python = std::env::var("SHAPEGRAD_PYTHON")
        .expect("SHAPEGRAD_PYTHON names a Python with onnxruntime and numpy (see the README)");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/onnx/check.py");
    let out = Command::new(python).arg(script).arg(&d).output().expect("python runs");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "{name}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn values<R: Dim, C: Dim>(seed: f32) -> Matrix<R, C> {
    Matrix::from_fn(|i, j| ((i * 7 + j * 13) as f32 * 0.37 + seed).sin() * 1.5)
}

/// Whether the serialized model names `op` as a node's type (protobuf
/// stores strings as their bytes).
fn has_op(model: &[u8], op: &str) -> bool {
    model.windows(op.len()).any(|w| w == op.as_bytes())
}

/// Runs without onnxruntime: each net exports a model with the nodes its
/// layers need.
#[test]
fn every_net_exports() {
    let lookup = Lookup::<f32>::init(4).to_onnx();
    assert!(has_op(&lookup, "Gather") && has_op(&lookup, "Slice"));
    let mlp = Mlp::<f32>::init(3).to_onnx();
    assert!(has_op(&mlp, "MatMul") && has_op(&mlp, "Softmax"));
    assert!(has_op(&mlp, "l1.W") && has_op(&mlp, "l2.b"), "initializers named by instance");
    assert!(has_op(&mlp, "rs.0.W") && has_op(&mlp, "rs.2.b"), "a stack member's by member");
    let mixed = Mixed::<f32>::init(5).to_onnx();
    assert!(has_op(&mixed, "Erf") || has_op(&mixed, "Tanh"));
    let cnn = Cnn::<f32>::init(9).to_onnx();
    for op in ["Conv", "MaxPool", "AveragePool"] {
        assert!(has_op(&cnn, op), "the CNN's model has no {op}");
    }
    assert!(!has_op(&mlp, "Conv"));
    let recurrent = Recurrent::<f32>::init(2).to_onnx();
    for op in ["Concat", "Gather", "Sigmoid", "Tanh", "MatMul"] {
        assert!(has_op(&recurrent, op), "the recurrent net's model has no {op}");
    }
    let block = Block::<f32>::init(2).to_onnx();
    for op in ["Scan", "Gather", "Softmax", "MatMul"] {
        assert!(has_op(&block, op), "the block's model has no {op}");
    }
}

#[test]
#[cfg_attr(
    not(onnxruntime),
    ignore = "needs SHAPEGRAD_PYTHON, a Python with onnxruntime and numpy: see the README"
)]
fn a_dense_net_with_two_outputs_runs_in_onnxruntime() {
    let net = Mlp::<f32>::init(3);
    check("mlp", net.to_onnx(), |d| {
        let mut cases = Vec::new();
        let xs = values::<D, U5>(0.1);
        let (z, p) = net.forward_batch(&xs);
        cases.push(case(
            d,
            0,
            vec![("x", vec![5, 6], batch_first(xs.as_slice(), 6, 5))],
            vec![
                ("z", vec![5, 3], batch_first(z.as_slice(), 3, 5)),
                ("p", vec![5, 3], batch_first(p.as_slice(), 3, 5)),
            ],
        ));
        let xs = values::<D, U2>(0.7);
        let (z, p) = net.forward_batch(&xs);
        cases.push(case(
            d,
            1,
            vec![("x", vec![2, 6], batch_first(xs.as_slice(), 6, 2))],
            vec![
                ("z", vec![2, 3], batch_first(z.as_slice(), 3, 2)),
                ("p", vec![2, 3], batch_first(p.as_slice(), 3, 2)),
            ],
        ));
        cases
    });
}

#[test]
#[cfg_attr(
    not(onnxruntime),
    ignore = "needs SHAPEGRAD_PYTHON, a Python with onnxruntime and numpy: see the README"
)]
fn a_lookup_a_slice_and_a_dim_as_a_number_run_in_onnxruntime() {
    let net = Lookup::<f32>::init(4);
    check("lookup", net.to_onnx(), |d| {
        let ws = [3usize, 0, 6, 3];
        let xs = values::<D, U4>(0.2);
        let z = net.forward_batch(&Classes::<V, U4>::from_slice(&ws).unwrap(), &xs);
        let x_case = case(
            d,
            0,
            vec![("x", vec![4, 6], batch_first(xs.as_slice(), 6, 4))],
            vec![("z", vec![4, 3], batch_first(z.as_slice(), 3, 4))],
        );
        // The index input's entry joins the float ones.
        vec![x_case.replacen("\"inputs\": {", &format!("\"inputs\": {{{}, ", indices(d, 0, "w", &ws)), 1)]
    });
}

#[test]
#[cfg_attr(
    not(onnxruntime),
    ignore = "needs SHAPEGRAD_PYTHON, a Python with onnxruntime and numpy: see the README"
)]
fn a_transformer_block_runs_in_onnxruntime() {
    let mut net = Block::<f32>::init(6);
    net.g1 = Vector::from_fn(|i, _| 1.0 + 0.1 * i as f32);
    net.s1 = Vector::from_fn(|i, _| 0.05 * i as f32 - 0.1);
    check("block", net.to_onnx(), |d| {
        let mut cases = Vec::new();
        // Batch-first arrays: example b's step t at [b, t, …].
        let ws = Sequences::<V, T, U3>::from_fn(|t, b| (3 * t + 2 * b + 1) % 7).unwrap();
        let mask = Tensor3::<T, T, U3>::from_fn(|key, query, _| if key <= query { 0.0 } else { -1e9 });
        let z = net.forward_batch(&ws, &mask);
        let tokens: Vec<usize> =
            (0..3).flat_map(|b| (0..5).map(move |t| (t, b))).map(|(t, b)| ws.get(t, b).index()).collect();
        let first = |x: &[f32], inner: usize| batch_first(x, 5 * inner, 3);
        let entry = case(
            d,
            0,
            vec![("mask", vec![3, 5, 5], first(mask.as_slice(), 5))],
            vec![("z", vec![3, 5, 7], first(z.as_slice(), 7))],
        );
        let seqs = indices_shaped(d, 0, "ws", &tokens, &[3, 5]);
        cases.push(entry.replacen("\"inputs\": {", &format!("\"inputs\": {{{seqs}, "), 1));
        cases
    });
}

#[test]
#[cfg_attr(
    not(onnxruntime),
    ignore = "needs SHAPEGRAD_PYTHON, a Python with onnxruntime and numpy: see the README"
)]
fn a_recurrent_net_runs_in_onnxruntime() {
    let mut net = Recurrent::<f32>::init(8);
    net.b = Vector::from_fn(|i, _| 0.03 * i as f32 - 0.4);
    check("recurrent", net.to_onnx(), |d| {
        let ws = Sequences::<V, T, U3>::from_fn(|t, b| (2 * t + 3 * b + 1) % 7).unwrap();
        let h0 = values::<H, U3>(0.4);
        let z = net.forward_batch(&ws, &h0);
        let tokens: Vec<usize> =
            (0..3).flat_map(|b| (0..5).map(move |t| (t, b))).map(|(t, b)| ws.get(t, b).index()).collect();
        let entry = case(
            d,
            0,
            vec![("h0", vec![3, 8], batch_first(h0.as_slice(), 8, 3))],
            vec![("z", vec![3, 5, 7], batch_first(z.as_slice(), 5 * 7, 3))],
        );
        let seqs = indices_shaped(d, 0, "ws", &tokens, &[3, 5]);
        vec![entry.replacen("\"inputs\": {", &format!("\"inputs\": {{{seqs}, "), 1)]
    });
    let mut net = LastStep::<f32>::init(9);
    net.h0 = Vector::from_fn(|i, _| 0.1 * i as f32 - 0.3);
    check("last-step", net.to_onnx(), |d| {
        let xs = Tensor3::<T, F, U4>::from_fn(|t, f, b| ((t * 5 + f * 3 + b) as f32 * 0.41).sin());
        let z = net.forward_batch(&xs);
        vec![case(
            d,
            0,
            vec![("x", vec![4, 5, 4], batch_first(xs.as_slice(), 5 * 4, 4))],
            vec![("z", vec![4, 3], batch_first(z.as_slice(), 3, 4))],
        )]
    });
}

#[test]
#[cfg_attr(
    not(onnxruntime),
    ignore = "needs SHAPEGRAD_PYTHON, a Python with onnxruntime and numpy: see the README"
)]
fn every_elementwise_function_layernorm_and_dropout_run_in_onnxruntime() {
    let mut net = Mixed::<f32>::init(5);
    net.g1 = Vector::from_fn(|i, _| 1.0 + 0.1 * i as f32);
    net.s1 = Vector::from_fn(|i, _| 0.05 * i as f32 - 0.2);
    check("mixed", net.to_onnx(), |d| {
        let xs = values::<D, U4>(0.3);
        let y = net.forward_batch(&xs);
        vec![case(
            d,
            0,
            vec![("x", vec![4, 6], batch_first(xs.as_slice(), 6, 4))],
            vec![("y", vec![4, 3], batch_first(y.as_slice(), 3, 4))],
        )]
    });
}

#[test]
#[cfg_attr(
    not(onnxruntime),
    ignore = "needs SHAPEGRAD_PYTHON, a Python with onnxruntime and numpy: see the README"
)]
fn a_convolutional_net_with_batchnorm_runs_in_onnxruntime() {
    let mut net = Cnn::<f32>::init(9);
    net.c1 = Vector::from_fn(|i, _| 0.1 * i as f32);
    net.a_running(); // running statistics away from 0 and 1
    check("cnn", net.to_onnx(), |d| {
        let xs =
            Tensor4::<U1, Side, Side, U3>::from_fn(|_, i, j, b| ((i * 6 + j + 11 * b) as f32 * 0.41).cos());
        let (z, p1) = net.forward_batch(&xs);
        let per_image = 36;
        vec![case(
            d,
            0,
            vec![("x", vec![3, 1, 6, 6], batch_first(xs.as_slice(), per_image, 3))],
            vec![
                ("z", vec![3, 3], batch_first(z.as_slice(), 3, 3)),
                ("p1", vec![3, 4, 3, 3], batch_first(p1.as_slice(), 36, 3)),
            ],
        )]
    });
}

trait Running {
    fn a_running(&mut self);
}

impl Running for Cnn<f32> {
    fn a_running(&mut self) {
        self.z1.mean = Vector::from_fn(|i, _| 0.2 * i as f32 - 0.1);
        self.z1.var = Vector::from_fn(|i, _| 0.5 + 0.3 * i as f32);
    }
}
