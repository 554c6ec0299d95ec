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

net! {
    /// The same cell in PyTorch's gate order (`nn.LSTMCell`: i, f, g, o).
    net TorchCell {
        param Wx: [4 * H, D];
        param Wh: [4 * H, H];
        param b: [4 * H];
        input x: [D];
        input h0: [H];
        input c0: [H];
        let a = Wx @ x + Wh @ h0 + b;
        let c = sigmoid(a[H..2 * H]) * c0 + sigmoid(a[0..H]) * tanh(a[2 * H..3 * H]);
        let h = sigmoid(a[3 * H..4 * H]) * tanh(c);
        loss 0.5 * sum(h * h) + sum(c);
    }
}

// PyTorch float64 (`tests/pytorch/reference.py`): `nn.LSTMCell(3, 4)` with
// the weights set below (`bias_hh` zero), L = ½ Σ h² + Σ c.
const LSTM_LOSS: [f64; 1] = [0.5076651207359839];
const LSTM_DWX: [f64; 48] = [
    0.0016675135124817476,
    -0.003335027024963495,
    0.0008337567562408738,
    0.02423514964239392,
    -0.04847029928478784,
    0.01211757482119696,
    0.039419856084653024,
    -0.07883971216930605,
    0.019709928042326512,
    0.05995777657123704,
    -0.11991555314247408,
    0.02997888828561852,
    0.07563445834109832,
    -0.15126891668219664,
    0.03781722917054916,
    0.025224612477014453,
    -0.050449224954028905,
    0.012612306238507226,
    -0.058479180238377323,
    0.11695836047675465,
    -0.029239590119188662,
    0.006737510519200679,
    -0.013475021038401359,
    0.0033687552596003397,
    0.2044476942589788,
    -0.4088953885179576,
    0.1022238471294894,
    0.18433899113075514,
    -0.3686779822615103,
    0.09216949556537757,
    0.14739836336337245,
    -0.2947967267267449,
    0.07369918168168622,
    0.1465461395876778,
    -0.2930922791753556,
    0.0732730697938389,
    0.00355939217160609,
    -0.00711878434321218,
    0.001779696085803045,
    0.0016011036601485927,
    -0.0032022073202971854,
    0.0008005518300742963,
    0.0004964122993834031,
    -0.0009928245987668061,
    0.00024820614969170153,
    0.0026988389856433246,
    -0.005397677971286649,
    0.0013494194928216623,
];
const LSTM_DWH: [f64; 64] = [
    0.00033350270249634956,
    -0.0006670054049926991,
    0.0010005081074890485,
    -0.0013340108099853983,
    0.004847029928478784,
    -0.009694059856957569,
    0.014541089785436351,
    -0.019388119713915138,
    0.007883971216930605,
    -0.01576794243386121,
    0.023651913650791813,
    -0.03153588486772242,
    0.011991555314247409,
    -0.023983110628494817,
    0.03597466594274222,
    -0.047966221256989634,
    0.015126891668219664,
    -0.030253783336439327,
    0.04538067500465899,
    -0.060507566672878654,
    0.005044922495402891,
    -0.010089844990805782,
    0.015134767486208671,
    -0.020179689981611564,
    -0.011695836047675465,
    0.02339167209535093,
    -0.03508750814302639,
    0.04678334419070186,
    0.001347502103840136,
    -0.002695004207680272,
    0.004042506311520407,
    -0.005390008415360544,
    0.04088953885179576,
    -0.08177907770359152,
    0.12266861655538727,
    -0.16355815540718305,
    0.03686779822615103,
    -0.07373559645230206,
    0.11060339467845308,
    -0.14747119290460411,
    0.02947967267267449,
    -0.05895934534534898,
    0.08843901801802347,
    -0.11791869069069796,
    0.029309227917535558,
    -0.058618455835071116,
    0.08792768375260666,
    -0.11723691167014223,
    0.0007118784343212181,
    -0.0014237568686424362,
    0.002135635302963654,
    -0.0028475137372848723,
    0.00032022073202971855,
    -0.0006404414640594371,
    0.0009606621960891556,
    -0.0012808829281188742,
    9.928245987668062e-05,
    -0.00019856491975336123,
    0.0002978473796300418,
    -0.00039712983950672247,
    0.000539767797128665,
    -0.00107953559425733,
    0.0016193033913859947,
    -0.00215907118851466,
];
const LSTM_DB: [f64; 16] = [
    0.003335027024963495,
    0.04847029928478784,
    0.07883971216930605,
    0.11991555314247408,
    0.15126891668219664,
    0.050449224954028905,
    -0.11695836047675465,
    0.013475021038401359,
    0.4088953885179576,
    0.3686779822615103,
    0.2947967267267449,
    0.2930922791753556,
    0.00711878434321218,
    0.0032022073202971854,
    0.0009928245987668061,
    0.005397677971286649,
];

#[test]
fn the_packed_cell_matches_pytorchs_lstm_cell_in_float64() {
    let net = TorchCell::<f64> {
        Wx: Matrix::from_fn(|i, j| (0.37 * i as f64 + 0.11 * j as f64).sin()),
        Wh: Matrix::from_fn(|i, j| (0.23 * i as f64 - 0.19 * j as f64).cos()),
        b: Vector::from_fn(|i, _| 0.05 * i as f64 - 0.3),
    };
    let x = Vector::<D, f64>::from_slice(&[0.5, -1.0, 0.25]).unwrap();
    let h0 = Vector::<H, f64>::from_slice(&[0.1, -0.2, 0.3, -0.4]).unwrap();
    let c0 = Vector::<H, f64>::from_slice(&[0.6, 0.2, -0.5, 0.05]).unwrap();
    let (loss, grads) = net.grad(&x, &h0, &c0);
    let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-14 * (1.0 + y.abs()));
    assert!(close(&[loss], &LSTM_LOSS), "{loss} vs {LSTM_LOSS:?}");
    assert!(close(grads.Wx.as_slice(), &LSTM_DWX), "{:?}", grads.Wx);
    assert!(close(grads.Wh.as_slice(), &LSTM_DWH), "{:?}", grads.Wh);
    assert!(close(grads.b.as_slice(), &LSTM_DB), "{:?}", grads.b);
}

net! {
    /// Fixed steps: the first and last elements of a vector (per-example
    /// scalars), and the first and last rows of a param matrix.
    net Steps {
        param P: [H, D];
        param W: [H, D];
        input x: [D];
        let z = W @ x;
        let ends = z[0] * z[H - 1];
        loss ends + dot(P[0], x) * sum(P[H - 1]) + sum(square(z));
    }
}

#[test]
fn fixed_steps_pick_an_element_or_a_row() {
    let mut g = Pcg64Mcg::seed_from_u64(6);
    let net = Steps::<f64> { P: random(&mut g), W: random(&mut g) };
    let x: Vector<D, f64> = random(&mut g);
    let z = &net.W * &x;
    let p0: f64 = (0..3).map(|j| net.P[(0, j)] * x[j]).sum();
    let p3: f64 = (0..3).map(|j| net.P[(3, j)]).sum();
    let want = z[0] * z[3] + p0 * p3 + z.as_slice().iter().map(|v| v * v).sum::<f64>();
    assert!((net.loss(&x) - want).abs() < 1e-12, "{} vs {want}", net.loss(&x));
    let report = net.gradcheck(&x);
    assert!(report.is_ok(1e-6) && report.all_zero().is_empty(), "{report}");
    // Batched: the mean of the examples.
    let xs = random::<D, U3>(&mut g);
    let per: f64 = (0..3).map(|j| net.loss(&Vector::from_fn(|i, _| xs[(i, j)]))).sum::<f64>() / 3.0;
    assert!((net.loss_batch(&xs) - per).abs() < 1e-12);
    let text = Steps::derivation();
    assert!(text.contains("z[H−1]") || text.contains("z[H − 1]"), "{text}");
}
