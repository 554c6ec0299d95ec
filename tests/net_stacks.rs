//! Stacks of layers on per-example matrices: a loop over the members whose
//! state is a `[T, D]` matrix, and a transformer of four blocks written as
//! one block and a stack (`blocks(x, mask)`: the arguments after the first
//! go to every member). Values against the members applied in turn by
//! hand, gradients against finite differences, batches against the mean of
//! their examples.

use shapegrad::prelude::*;

dims! { V = 16; D = 8; F = 16; T = 6; B = 3; }

net! {
    /// `x + tanh(x W) ⊙ 𝟙gᵀ` on a per-example matrix.
    layer Mix(x) {
        param W: [D, D];
        param g: [D];
        x + tanh(x @ W) * g
    }

    pub net Mixes {
        input x: [T, D];
        param ms: [Mix; 3];
        loss sum(ms(x));
    }

    /// The contract's pre-LN block as a layer: causal attention, the FFN.
    layer Block(x, mask) {
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
        let h = layernorm(x, g1, s1);
        let a = softmax(0.35 * (h @ Wk.T @ (h @ Wq.T).T) + mask);
        let r = x + a.T @ (h @ Wv.T) @ Wo.T;
        r + relu(layernorm(r, g2, s2) @ W1.T + b1) @ W2.T + b2
    }

    /// Four blocks: one layer and a stack.
    pub net Transformer {
        param E: [V, D];
        param P: [T, D];
        param blocks: [Block; 4];
        param Wy: [V, D];
        input ws: [T] of V;
        input mask: [T, T];
        label ys: [T] of V;
        let z = blocks(E[ws] + P, mask) @ Wy.T;
        for t in T {
            let l[t] = softmax_cross_entropy(z[t], ys[t]);
        }
        output z;
        loss mean(l);
    }
}

fn x(seed: usize) -> Matrix<T, D, f64> {
    Matrix::from_fn(|i, j| ((i * 8 + j + 13 * seed) as f64 * 0.7).sin())
}

#[test]
fn a_stack_on_a_matrix_is_a_loop_whose_state_is_the_matrix() {
    let mut net = Mixes::<f64>::init(1);
    for (k, m) in net.ms.iter_mut().enumerate() {
        m.g = Matrix::from_fn(|i, _| 0.5 + 0.1 * (i + k) as f64);
    }
    // The members in turn, by hand.
    let mut h = x(0);
    for m in &net.ms {
        let a = &h * &m.W;
        h = Matrix::from_fn(|i, j| h[(i, j)] + a[(i, j)].tanh() * m.g[(j, 0)]);
    }
    assert!((net.loss(&x(0)) - h.sum()).abs() < 1e-12);
    let report = net.gradcheck(&x(0));
    assert!(report.is_ok(1e-6), "{report}");
    // A batch runs example by example: the mean of its examples.
    let xs = Tensor3::<T, D, B, f64>::from_fn(|i, j, b| x(b)[(i, j)]);
    let (loss, grad) = net.grad_batch(&xs);
    let mut mean = 0.0;
    let mut w2 = Matrix::<D, D, f64>::zeros();
    for b in 0..3 {
        let (l, g) = net.grad(&x(b));
        mean += l / 3.0;
        w2 += &(&g.ms[2].W * (1.0 / 3.0));
    }
    assert!((loss - mean).abs() < 1e-12);
    assert!(grad.ms[2].W.approx_eq(&w2, 1e-12));
    // The derivation: the loop, the member's body once, the state a matrix.
    let d = Mixes::derivation();
    assert!(d.contains("  ms[m] = ms[m − 1] + tanh(ms[m − 1] ms.W[m]) ⊙ (𝟙 ms.g[m]ᵀ)   [T×D]\n"), "{d}");
    assert!(
        d.contains("∂ms.W   = [(ms[m − 1]ᵀ (∂ms[m] ⊙ (𝟙 ms.g[m]ᵀ) ⊙ (1 − tanh²(ms[m − 1] ms.W[m]))))]_m "),
        "{d}"
    );
}

#[test]
fn a_transformer_of_four_blocks_is_one_block_and_a_stack() {
    let mut net = Transformer::<f64>::init(2);
    // Gains and shifts away from 1 and 0, so that every param matters.
    for (k, b) in net.blocks.iter_mut().enumerate() {
        b.g1 = Matrix::from_fn(|i, _| 1.0 + 0.05 * (i + k) as f64);
        b.s2 = Matrix::from_fn(|i, _| 0.02 * (i as f64 - k as f64));
        b.b1 = Matrix::from_fn(|i, _| 0.01 * i as f64);
    }
    let ws = Classes::<V, T>::from_slice(&[1, 4, 7, 10, 13, 0]).unwrap();
    let ys = Classes::<V, T>::from_slice(&[2, 7, 12, 1, 6, 11]).unwrap();
    let mask = Matrix::<T, T, f64>::from_fn(|k, q| if k <= q { 0.0 } else { -1e9 });
    let report = net.gradcheck(&ws, &mask, &ys);
    assert!(report.is_ok(1e-6), "{report}");
    // Each member's gradient is its own: member 3's differs from member 0's.
    let (_, g) = net.grad(&ws, &mask, &ys);
    assert!(!g.blocks[3].Wq.approx_eq(&g.blocks[0].Wq, 1e-9));
    // The stack is a loop: the block's lines once.
    let d = Transformer::derivation();
    assert!(d.contains("forward, for m = 0, …, 4 − 1, with blocks[−1] = E[ws] + P:"), "{d}");
    assert_eq!(d.matches("  blocks.h[m] = ").count(), 1, "{d}");
    // A batch of sequences: the mean of its examples.
    let wss = Sequences::<V, T, B>::from_fn(|t, b| (3 * t + 5 * b + 1) % 16).unwrap();
    let yss = Sequences::<V, T, B>::from_fn(|t, b| (5 * t + 2 * b + 2) % 16).unwrap();
    let masks = Tensor3::<T, T, B, f64>::from_fn(|k, q, _| mask[(k, q)]);
    let mean: f64 = (0..3)
        .map(|b| {
            let w =
                Classes::<V, T>::from_slice(&(0..6).map(|t| (3 * t + 5 * b + 1) % 16).collect::<Vec<_>>())
                    .unwrap();
            let y =
                Classes::<V, T>::from_slice(&(0..6).map(|t| (5 * t + 2 * b + 2) % 16).collect::<Vec<_>>())
                    .unwrap();
            net.loss(&w, &mask, &y) / 3.0
        })
        .sum();
    assert!((net.loss_batch(&wss, &masks, &yss) - mean).abs() < 1e-12);
}
