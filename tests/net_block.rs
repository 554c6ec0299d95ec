//! The contract's transformer block (pre-LN, causal single-head attention,
//! FFN), per example: a sequence of tokens embedded with learned positions,
//! `layernorm` along `D` for each row, products of per-example matrices,
//! softmax per column, biases along rows, and a loss per step through
//! `onehot(ys)`. Against finite differences and PyTorch float64
//! (`tests/pytorch/reference.py`), per example and in batches (a batch of
//! per-example matrices is a `Tensor3<T, T, B>`, of token sequences a
//! `Sequences<V, T, B>`, the example index last).

use shapegrad::prelude::*;

dims! { V = 7; D = 4; T = 5; F = 6; }

net! {
    /// A pre-LN transformer block, causal single-head attention, next-token loss.
    pub net Block {
        param E: [V, D];
        param P: [T, D];
        param g1: [D];
        param s1: [D];
        param Wq: [D, D];
        param Wk: [D, D];
        param Wv: [D, D];
        param Wo: [D, D];
        param g2: [D];
        param s2: [D];
        param W1: [F, D];
        param b1: [F];
        param W2: [D, F];
        param b2: [D];
        param Wy: [V, D];
        input ws: [T] of V;
        input mask: [T, T];
        label ys: [T] of V;
        let x = E[ws] + P;
        let h = layernorm(x, g1, s1);
        let q = h @ Wq.T;
        let k = h @ Wk.T;
        let v = h @ Wv.T;
        let a = softmax(0.125 * (k @ q.T) + mask);
        let r = x + a.T @ v @ Wo.T;
        let f = relu(layernorm(r, g2, s2) @ W1.T + b1) @ W2.T + b2;
        let z = (r + f) @ Wy.T;
        output z;
        loss -sum(log_softmax(z.T) * onehot(ys)) / T;
    }
}

// The contract's block exactly as written: the per-step loss as a map.
include!("blocks/contract.rs");

// PyTorch float64: the same block, `F.layer_norm`, `torch.softmax(dim=0)`,
// `F.cross_entropy` over the steps.
const BLOCK_LOSS: [f64; 1] = [2.510081306188313];
const BLOCK_DE: [f64; 28] = [
    0.17930419459875602,
    0.25143701137494523,
    0.12545857919081882,
    -0.1805396580492588,
    -0.04276861547006332,
    0.041384841975495086,
    0.0756875398544278,
    0.0262173591869764,
    0.0,
    0.0,
    0.0,
    0.0,
    0.03426440118746103,
    -0.006000151868964841,
    -0.016661664992739945,
    -0.0480574745098403,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    -0.019595398082612403,
    0.07778040030693538,
    0.10082510409732358,
    0.014204270911884344,
];
const BLOCK_DG1: [f64; 4] =
    [-0.32348522011173425, 0.25313807317424614, 0.23105273091768688, -0.032791976450761415];
const BLOCK_DWQ: [f64; 16] = [
    5.923520012628697e-05,
    0.00011517570396190721,
    6.667552828755111e-05,
    -9.519253811458045e-05,
    2.5433362358344277e-05,
    8.277334604806434e-05,
    9.506850085718986e-05,
    5.0660450687141876e-06,
    -1.064036192212708e-05,
    4.297709165156606e-05,
    0.00011496928738313381,
    0.00010487209353397559,
    -4.5763614361765544e-05,
    -6.581783455912515e-07,
    0.0001246002098745619,
    0.00019531023021928642,
];
const BLOCK_DWK: [f64; 16] = [
    -4.7677484956410944e-05,
    0.00012952587689595447,
    0.0001731092655332901,
    -0.00025109987297666883,
    -7.15044032464277e-05,
    0.00010440456633560664,
    0.00020232201353859012,
    -0.0001432803270497689,
    -8.894404615251671e-05,
    6.995710680752542e-05,
    0.00021346193864027024,
    -2.2661976232320783e-05,
    -9.843858231351464e-05,
    2.9260587278166037e-05,
    0.00020553394450649232,
    9.998070142890219e-05,
];
const BLOCK_DWV: [f64; 16] = [
    0.017109674351100126,
    0.12368659664163792,
    0.1843315239579933,
    0.05255764179351537,
    0.015851670869578324,
    0.13975012716037466,
    0.21527151790495846,
    0.06675828647874188,
    0.007138378888904062,
    0.09008698921961474,
    0.14496595327096742,
    0.049561465906015505,
    -0.004932204223468722,
    -0.0019454673991660698,
    0.006480635658136922,
    0.00905511349842313,
];
const BLOCK_DB1: [f64; 6] = [
    0.29136297899530655,
    0.19662456941444487,
    0.009410552494322943,
    -0.18222939430781787,
    -0.11350446133727272,
    -0.11273035502735657,
];
const BLOCK_DS2: [f64; 4] =
    [0.07715316675050028, 0.1918557997311509, 0.21632565226867612, 0.13905417036268497];

/// Param `k` (in declaration order) at entries 0.5 sin(0.3 i + 0.7 j + 0.11 k).
fn params() -> Block<f64> {
    fn p<R: Dim, C: Dim>(k: usize) -> Matrix<R, C, f64> {
        Matrix::from_fn(|i, j| 0.5 * (0.3 * i as f64 + 0.7 * j as f64 + 0.11 * k as f64).sin())
    }
    Block {
        E: p(0),
        P: p(1),
        g1: p(2),
        s1: p(3),
        Wq: p(4),
        Wk: p(5),
        Wv: p(6),
        Wo: p(7),
        g2: p(8),
        s2: p(9),
        W1: p(10),
        b1: p(11),
        W2: p(12),
        b2: p(13),
        Wy: p(14),
    }
}

/// `mask[key, query]`: 0 where key ≤ query, −1e9 elsewhere.
fn causal() -> Matrix<T, T, f64> {
    Matrix::from_fn(|key, query| if key <= query { 0.0 } else { -1e9 })
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-12 * (1.0 + y.abs()))
}

#[test]
fn the_block_matches_pytorch_in_float64() {
    let net = params();
    let ws = Classes::<V, T>::from_slice(&[3, 0, 6, 3, 1]).unwrap();
    let ys = Classes::<V, T>::from_slice(&[0, 6, 3, 1, 2]).unwrap();
    let (loss, g) = net.grad(&ws, &causal(), &ys);
    assert!(close(&[loss], &BLOCK_LOSS), "{loss} vs {BLOCK_LOSS:?}");
    assert!(close(g.E.as_slice(), &BLOCK_DE), "{:?}", g.E);
    assert!(close(g.g1.as_slice(), &BLOCK_DG1), "{:?}", g.g1);
    assert!(close(g.Wq.as_slice(), &BLOCK_DWQ), "{:?}", g.Wq);
    assert!(close(g.Wk.as_slice(), &BLOCK_DWK), "{:?}", g.Wk);
    assert!(close(g.Wv.as_slice(), &BLOCK_DWV), "{:?}", g.Wv);
    assert!(close(g.b1.as_slice(), &BLOCK_DB1), "{:?}", g.b1);
    assert!(close(g.s2.as_slice(), &BLOCK_DS2), "{:?}", g.s2);
}

#[test]
fn the_contracts_block_with_its_map_matches_pytorch_in_float64() {
    let b = params();
    let net = ContractBlock {
        E: b.E,
        P: b.P,
        g1: b.g1,
        s1: b.s1,
        Wq: b.Wq,
        Wk: b.Wk,
        Wv: b.Wv,
        Wo: b.Wo,
        g2: b.g2,
        s2: b.s2,
        W1: b.W1,
        b1: b.b1,
        W2: b.W2,
        b2: b.b2,
        Wy: b.Wy,
    };
    let ws = Classes::<V, T>::from_slice(&[3, 0, 6, 3, 1]).unwrap();
    let ys = Classes::<V, T>::from_slice(&[0, 6, 3, 1, 2]).unwrap();
    let (loss, g) = net.grad(&ws, &causal(), &ys);
    assert!(close(&[loss], &BLOCK_LOSS), "{loss} vs {BLOCK_LOSS:?}");
    assert!(close(g.E.as_slice(), &BLOCK_DE), "{:?}", g.E);
    assert!(close(g.Wq.as_slice(), &BLOCK_DWQ), "{:?}", g.Wq);
    assert!(close(g.Wv.as_slice(), &BLOCK_DWV), "{:?}", g.Wv);
    assert!(close(g.s2.as_slice(), &BLOCK_DS2), "{:?}", g.s2);
    assert!(net.gradcheck(&ws, &causal(), &ys).is_ok(1e-6));
}

#[test]
fn the_blocks_gradient_matches_finite_differences() {
    let net = params();
    for tokens in [[3, 0, 6, 3, 1], [1, 1, 2, 5, 0]] {
        let ws = Classes::<V, T>::from_slice(&tokens).unwrap();
        let ys = Classes::<V, T>::from_slice(&[0, 6, 3, 1, 2]).unwrap();
        let report = net.gradcheck(&ws, &causal(), &ys);
        assert!(report.is_ok(1e-6), "{report}");
    }
}

#[test]
fn the_scales_of_both_layernorms_start_at_one() {
    let net = Block::<f64>::init(1);
    assert!(net.g1.as_slice().iter().chain(net.g2.as_slice()).all(|&v| v == 1.0));
    assert!(net.s1.as_slice().iter().all(|&v| v == 0.0));
}

dims! { B3 = 3; B1 = 1; }

/// Example `b` of the batches below: its tokens and labels.
fn example(b: usize) -> (Classes<V, T>, Classes<V, T>) {
    let tokens = [[3, 0, 6, 3, 1], [1, 1, 2, 5, 0], [6, 5, 4, 3, 2]];
    let labels = [[0, 6, 3, 1, 2], [2, 2, 0, 4, 6], [1, 0, 1, 0, 1]];
    (Classes::from_slice(&tokens[b]).unwrap(), Classes::from_slice(&labels[b]).unwrap())
}

/// The causal mask of every example of a batch of `N`, the example index last.
fn masks<N: Dim>() -> Tensor3<T, T, N, f64> {
    let mask = causal();
    Tensor3::from_fn(|key, query, _| mask[(key, query)])
}

#[test]
fn a_batch_of_one_matches_pytorch_in_float64() {
    let net = params();
    let (w, y) = example(0);
    let ws = Sequences::<V, T, B1>::from_examples(&[w]).unwrap();
    let ys = Sequences::<V, T, B1>::from_examples(&[y]).unwrap();
    let (loss, g) = net.grad_batch(&ws, &masks::<B1>(), &ys);
    assert!(close(&[loss], &BLOCK_LOSS), "{loss} vs {BLOCK_LOSS:?}");
    assert!(close(&[net.loss_batch(&ws, &masks::<B1>(), &ys)], &BLOCK_LOSS));
    assert!(close(g.E.as_slice(), &BLOCK_DE), "{:?}", g.E);
    assert!(close(g.Wq.as_slice(), &BLOCK_DWQ), "{:?}", g.Wq);
    assert!(close(g.b1.as_slice(), &BLOCK_DB1), "{:?}", g.b1);
    assert!(close(g.s2.as_slice(), &BLOCK_DS2), "{:?}", g.s2);
}

#[test]
fn a_batch_is_the_mean_of_its_examples() {
    let net = params();
    let examples: Vec<_> = (0..3).map(example).collect();
    let ws = Sequences::<V, T, B3>::from_fn(|t, b| examples[b].0.get(t).index()).unwrap();
    let ys = Sequences::<V, T, B3>::from_fn(|t, b| examples[b].1.get(t).index()).unwrap();
    let (loss, g) = net.grad_batch(&ws, &masks::<B3>(), &ys);
    let mut want_loss = 0.0;
    let mut want = BlockGrad::<f64>::zeros();
    for (w, y) in &examples {
        let (l, gb) = net.grad(w, &causal(), y);
        want_loss += l / 3.0;
        for (a, b) in want.Wk.as_mut_slice().iter_mut().zip(gb.Wk.as_slice()) {
            *a += b / 3.0;
        }
        for (a, b) in want.E.as_mut_slice().iter_mut().zip(gb.E.as_slice()) {
            *a += b / 3.0;
        }
    }
    assert!(close(&[loss], &[want_loss]), "{loss} vs {want_loss}");
    assert!(close(g.Wk.as_slice(), want.Wk.as_slice()));
    assert!(close(g.E.as_slice(), want.E.as_slice()));
    // Each example's outputs are its slice of the batch's, the example index last.
    let zs = net.forward_batch(&ws, &masks::<B3>());
    for (b, (w, _)) in examples.iter().enumerate() {
        let z = net.forward(w, &causal());
        for t in 0..T::SIZE {
            for v in 0..V::SIZE {
                assert_eq!(zs[(t, v, b)], z[(t, v)]);
            }
        }
    }
}

#[test]
fn the_batch_loss_gradient_matches_finite_differences() {
    let mut net = params();
    let ws = Sequences::<V, T, B3>::from_fn(|t, b| (3 * t + b) % V::SIZE).unwrap();
    let ys = Sequences::<V, T, B3>::from_fn(|t, b| (t + 2 * b) % V::SIZE).unwrap();
    let (_, g) = net.grad_batch(&ws, &masks::<B3>(), &ys);
    let h = 1e-6;
    for i in 0..D::SIZE * D::SIZE {
        let w0 = net.Wv.as_slice()[i];
        net.Wv.as_mut_slice()[i] = w0 + h;
        let up = net.loss_batch(&ws, &masks::<B3>(), &ys);
        net.Wv.as_mut_slice()[i] = w0 - h;
        let down = net.loss_batch(&ws, &masks::<B3>(), &ys);
        net.Wv.as_mut_slice()[i] = w0;
        let numeric = (up - down) / (2.0 * h);
        assert!((numeric - g.Wv.as_slice()[i]).abs() < 1e-7, "∂Wv[{i}]: {numeric} vs {}", g.Wv.as_slice()[i]);
    }
}
