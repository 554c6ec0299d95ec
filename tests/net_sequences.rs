//! Sequences of indices, per example: `input ws: [T] of V;` and
//! `label ys: [T] of C;` (each a `Classes<_, T>`), `E[ws]` (row `t` is
//! `E[ws[t]]`), a class per step through `onehot(ys)` (`[C×T]`, one column
//! per step), and a fixed step of the embeddings (`E[ws][T - 1]`). Batches
//! of them (a batch of matrices) come with per-example matrices.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::prelude::*;

dims! { V = 6; M = 4; T = 5; C = 3; }

net! {
    /// A tagger: each token's embedding plus its position, a class per step.
    net Tagger {
        param E: [V, M];
        param P: [T, M];
        param W: [C, M];
        input ws: [T] of V;
        label ys: [T] of C;
        let X = E[ws] + P;
        let Z = W @ tanh(X).T;
        output Z;
        loss -sum(log_softmax(Z) * onehot(ys)) / T;
    }
}

net! {
    /// A classifier of the last token.
    net Last { param E: [V, M]; param W: [C, M]; input ws: [T] of V; label y: C;
               loss softmax_cross_entropy(W @ tanh(E[ws][T - 1]), y); }
}

fn random<R: Dim, K: Dim>(g: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| g.random_range(-1.0..1.0))
}

/// `−log softmax(z)[y]`, written out.
fn cross_entropy(z: &[f64], y: usize) -> f64 {
    let m = z.iter().fold(f64::MIN, |a, &b| a.max(b));
    let lse = m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
    lse - z[y]
}

#[test]
fn a_tagger_is_the_mean_of_each_steps_cross_entropy() {
    let mut g = Pcg64Mcg::seed_from_u64(1);
    for _ in 0..5 {
        let net = Tagger::<f64> { E: random(&mut g), P: random(&mut g), W: random(&mut g) };
        let tokens: Vec<usize> = (0..5).map(|_| g.random_range(0..6)).collect();
        let tags: Vec<usize> = (0..5).map(|_| g.random_range(0..3)).collect();
        let (ws, ys) =
            (Classes::<V, T>::from_slice(&tokens).unwrap(), Classes::<C, T>::from_slice(&tags).unwrap());
        let z = net.forward(&ws);
        let mut want = 0.0;
        for t in 0..5 {
            let x: Vec<f64> = (0..4).map(|j| (net.E[(tokens[t], j)] + net.P[(t, j)]).tanh()).collect();
            let zt: Vec<f64> = (0..3).map(|i| (0..4).map(|j| net.W[(i, j)] * x[j]).sum()).collect();
            for i in 0..3 {
                assert!((z[(i, t)] - zt[i]).abs() < 1e-12);
            }
            want += cross_entropy(&zt, tags[t]) / 5.0;
        }
        assert!((net.loss(&ws, &ys) - want).abs() < 1e-12, "{} vs {want}", net.loss(&ws, &ys));
        let report = net.gradcheck(&ws, &ys);
        assert!(report.is_ok(1e-6), "{report}");
        // A token that never occurs gets no gradient in its row.
        let (_, grads) = net.grad(&ws, &ys);
        for v in (0..6).filter(|v| !tokens.contains(v)) {
            assert!((0..4).all(|j| grads.E[(v, j)] == 0.0));
        }
    }
}

#[test]
fn the_last_steps_embedding_classifies() {
    let mut g = Pcg64Mcg::seed_from_u64(2);
    let net = Last::<f64> { E: random(&mut g), W: random(&mut g) };
    let tokens = [1usize, 5, 0, 5, 2];
    let ws = Classes::<V, T>::from_slice(&tokens).unwrap();
    let y = Class::<C>::new(2).unwrap();
    let x: Vec<f64> = (0..4).map(|j| net.E[(2, j)].tanh()).collect();
    let z: Vec<f64> = (0..3).map(|i| (0..4).map(|j| net.W[(i, j)] * x[j]).sum()).collect();
    assert!((net.loss(&ws, y) - cross_entropy(&z, 2)).abs() < 1e-12);
    let report = net.gradcheck(&ws, y);
    assert!(report.is_ok(1e-6), "{report}");
    // Only the last token's row has a gradient.
    let (_, grads) = net.grad(&ws, y);
    assert!((0..4).any(|j| grads.E[(2, j)] != 0.0));
    assert!([0, 1, 3, 4, 5].iter().all(|&v| (0..4).all(|j| grads.E[(v, j)] == 0.0)));
}
