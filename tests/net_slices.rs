//! Shapes with multiples of dims (`[4 * H, D]`) and slices with dim bounds
//! (`a[H..2 * H]`): an LSTM cell's packed gates, as CS231n writes them,
//! against the cell computed by hand, finite differences and its batch.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::prelude::*;

dims! { D = 3; H = 4; }

net! {
    /// One LSTM step with the four gates packed in one product.
    net Cell {
        param Wx: [4 * H, D];
        param Wh: [4 * H, H];
        param b: [4 * H];
        input x: [D];
        input h0: [H];
        input c0: [H];
        let a = Wx @ x + Wh @ h0 + b;
        let i = sigmoid(a[0..H]);
        let f = sigmoid(a[H..2 * H]);
        let o = sigmoid(a[2 * H..3 * H]);
        let g = tanh(a[3 * H..4 * H]);
        let c = f * c0 + i * g;
        let h = o * tanh(c);
        output h;
        output c;
        loss 0.5 * sum(h * h) + sum(c);
    }
}

fn random<R: Dim, K: Dim>(g: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| g.random_range(-1.0..1.0))
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

#[test]
fn the_packed_gates_are_the_cell_by_hand() {
    let mut g = Pcg64Mcg::seed_from_u64(4);
    let net = Cell::<f64> { Wx: random(&mut g), Wh: random(&mut g), b: random(&mut g) };
    let (x, h0, c0) = (random::<D, U1>(&mut g), random::<H, U1>(&mut g), random::<H, U1>(&mut g));
    let (h, c) = net.forward(&x, &h0, &c0);
    for k in 0..4 {
        // Row k of gate q is row q·H + k of the packed pre-activation.
        let a = |q: usize| {
            let r = q * 4 + k;
            (0..3).map(|j| net.Wx[(r, j)] * x[j]).sum::<f64>()
                + (0..4).map(|j| net.Wh[(r, j)] * h0[j]).sum::<f64>()
                + net.b[r]
        };
        let cell = sigmoid(a(1)) * c0[k] + sigmoid(a(0)) * a(3).tanh();
        assert!(
            (c[k] - cell).abs() < 1e-12,
            "k {k}: {} vs {cell}; gates {:?}",
            c[k],
            (0..4).map(a).collect::<Vec<_>>()
        );
        assert!((h[k] - sigmoid(a(2)) * cell.tanh()).abs() < 1e-12);
    }
    let report = net.gradcheck(&x, &h0, &c0);
    assert!(report.is_ok(1e-6) && report.all_zero().is_empty(), "{report}");
}

#[test]
fn the_batched_cell_is_the_mean_of_its_examples() {
    let mut g = Pcg64Mcg::seed_from_u64(5);
    let net = Cell::<f64> { Wx: random(&mut g), Wh: random(&mut g), b: random(&mut g) };
    let (xs, hs, cs) = (random::<D, U3>(&mut g), random::<H, U3>(&mut g), random::<H, U3>(&mut g));
    let (loss, grads) = net.grad_batch(&xs, &hs, &cs);
    let col = |m: &Matrix<D, U3, f64>, j: usize| Vector::<D, f64>::from_fn(|i, _| m[(i, j)]);
    let colh = |m: &Matrix<H, U3, f64>, j: usize| Vector::<H, f64>::from_fn(|i, _| m[(i, j)]);
    let mut mean = 0.0;
    let mut mean_wx = Matrix::<shapegrad::DimProd<U4, H>, D, f64>::zeros();
    for j in 0..3 {
        let (l, g) = net.grad(&col(&xs, j), &colh(&hs, j), &colh(&cs, j));
        mean += l / 3.0;
        for (m, v) in mean_wx.as_mut_slice().iter_mut().zip(g.Wx.as_slice()) {
            *m += v / 3.0;
        }
    }
    assert!((loss - mean).abs() < 1e-12);
    assert!(grads.Wx.approx_eq(&mean_wx, 1e-12));
}

#[test]
fn the_derivation_names_the_slices() {
    let text = Cell::derivation();
    assert!(text.contains("a[H..2·H]") && text.contains("[4·H×D]"), "{text}");
}
