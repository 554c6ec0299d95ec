//! Index inputs and row lookups: `input w: V;` is a `Class<V>` that
//! `forward` takes, `E[w]` row `w` of `E` (an embedding lookup), its
//! gradient added into that row only, and the batch of `Classes<V, B>`
//! one column per example.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::prelude::*;

dims! { V = 6; M = 4; C = 3; Bt = 5; }

net! {
    /// A token's embedding through a dense layer to class scores.
    net Embed {
        param E: [V, M];
        param W: [C, M];
        input w: V;
        label y: C;
        let e = E[w];
        let z = W @ tanh(e);
        output z;
        loss softmax_cross_entropy(z, y);
    }
}

net! {
    /// Two lookups of one table (the same row twice when `a` = `b`).
    net Pair {
        param E: [V, M];
        input a: V;
        input b: V;
        loss 0.5 * sum(square(E[a] - 2.0 * E[b])) + dot(E[a], E[b]);
    }
}

fn random<R: Dim, K: Dim>(g: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| g.random_range(-1.0..1.0))
}

#[test]
fn a_lookup_is_the_row_and_its_gradient_lands_in_that_row() {
    let mut g = Pcg64Mcg::seed_from_u64(1);
    for k in 0..6 {
        let net = Embed::<f64> { E: random(&mut g), W: random(&mut g) };
        let (w, y) = (Class::<V>::new(k).unwrap(), Class::<C>::new(k % 3).unwrap());
        // The forward pass by hand: W tanh(E[k]).
        let z = net.forward(w);
        for i in 0..3 {
            let want: f64 = (0..4).map(|j| net.W[(i, j)] * net.E[(k, j)].tanh()).sum();
            assert!((z[i] - want).abs() < 1e-12);
        }
        let (_, grads) = net.grad(w, y);
        // ∂E is zero but row k, which is Wᵀ (softmax(z) − onehot(y)) ⊙ tanh′.
        let p: Vec<f64> = {
            let m = z.as_slice().iter().fold(f64::MIN, |a, &b| a.max(b));
            let e: Vec<f64> = z.as_slice().iter().map(|v| (v - m).exp()).collect();
            let s: f64 = e.iter().sum();
            e.iter().map(|v| v / s).collect()
        };
        for r in 0..6 {
            for j in 0..4 {
                let want = if r == k {
                    let t = net.E[(k, j)].tanh();
                    (0..3).map(|i| net.W[(i, j)] * (p[i] - f64::from(u8::from(i == k % 3)))).sum::<f64>()
                        * (1.0 - t * t)
                } else {
                    0.0
                };
                assert!((grads.E[(r, j)] - want).abs() < 1e-12, "row {r}, {j}");
            }
        }
        let report = net.gradcheck(w, y);
        assert!(report.is_ok(1e-6), "{report}");
    }
}

#[test]
fn two_lookups_of_one_table_add_their_gradients() {
    let mut g = Pcg64Mcg::seed_from_u64(2);
    for (a, b) in [(0, 3), (2, 2), (5, 1)] {
        let net = Pair::<f64> { E: random(&mut g) };
        let report = net.gradcheck(Class::new(a).unwrap(), Class::new(b).unwrap());
        assert!(report.is_ok(1e-6) && report.all_zero().is_empty(), "{a}, {b}: {report}");
    }
}

#[test]
fn a_batch_of_indices_is_the_mean_of_its_examples() {
    let mut g = Pcg64Mcg::seed_from_u64(3);
    let net = Embed::<f64> { E: random(&mut g), W: random(&mut g) };
    let ws = Classes::<V, Bt>::from_slice(&[3, 0, 3, 5, 1]).unwrap();
    let ys = Classes::<C, Bt>::from_slice(&[1, 2, 0, 0, 1]).unwrap();
    let (loss, grads) = net.grad_batch(&ws, &ys);
    let mut mean_loss = 0.0;
    let mut mean = Matrix::<V, M, f64>::zeros();
    for b in 0..5 {
        let (l, g) = net.grad(ws.get(b), ys.get(b));
        mean_loss += l / 5.0;
        for (m, v) in mean.as_mut_slice().iter_mut().zip(g.E.as_slice()) {
            *m += v / 5.0;
        }
    }
    assert!((loss - mean_loss).abs() < 1e-12);
    assert!(grads.E.approx_eq(&mean, 1e-12));
    let zs = net.forward_batch(&ws);
    for b in 0..5 {
        let z = net.forward(ws.get(b));
        for i in 0..3 {
            assert_eq!(zs[(i, b)], z[i]);
        }
    }
}

#[test]
fn the_derivation_shows_the_lookup_and_its_scatter() {
    let text = Embed::derivation();
    assert!(text.contains("∂E = onehot(w) ∂eᵀ"), "{text}");
    assert!(text.contains("[V×M]"), "{text}");
}

// PyTorch float64 (`tests/pytorch/reference.py`): `F.embedding`, `tanh`,
// a product and `F.cross_entropy`, for the params set below, w = 3, y = 1.
const EMBED_LOSS: [f64; 1] = [1.00136471596695];
const EMBED_DE: [f64; 24] = [
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    -0.01840280915533333,
    -0.03750020417988248,
    -0.06255151229794115,
    -0.08413127412057214,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
];
const EMBED_DW: [f64; 12] = [
    0.2619748610379388,
    0.20995341065645054,
    0.12652784115389745,
    0.016279106499178554,
    -0.4230724467374372,
    -0.33906117096644195,
    -0.2043342751487632,
    -0.02628970348536376,
    0.1610975856994984,
    0.12910776030999144,
    0.07780643399486575,
    0.010010596986185206,
];

#[test]
fn the_lookup_matches_pytorch_in_float64() {
    let net = Embed::<f64> {
        E: Matrix::from_fn(|i, j| (0.7 * i as f64 + 0.3 * j as f64 + 0.1).sin()),
        W: Matrix::from_fn(|i, j| (0.5 * i as f64 - 0.2 * j as f64).cos()),
    };
    let (loss, grads) = net.grad(Class::new(3).unwrap(), Class::new(1).unwrap());
    let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-14 * (1.0 + y.abs()));
    assert!(close(&[loss], &EMBED_LOSS), "{loss} vs {EMBED_LOSS:?}");
    assert!(close(grads.E.as_slice(), &EMBED_DE), "{:?}", grads.E);
    assert!(close(grads.W.as_slice(), &EMBED_DW), "{:?}", grads.W);
}
