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
const LSTM_LOSS: [f64; 1] = [5.07665120735983910e-01];
const LSTM_DWX: [f64; 48] = [
    1.66751351248174760e-03,
    -3.33502702496349520e-03,
    8.33756756240873801e-04,
    2.42351496423939203e-02,
    -4.84702992847878406e-02,
    1.21175748211969601e-02,
    3.94198560846530238e-02,
    -7.88397121693060476e-02,
    1.97099280423265119e-02,
    5.99577765712370411e-02,
    -1.19915553142474082e-01,
    2.99788882856185206e-02,
    7.56344583410983179e-02,
    -1.51268916682196636e-01,
    3.78172291705491589e-02,
    2.52246124770144527e-02,
    -5.04492249540289053e-02,
    1.26123062385072263e-02,
    -5.84791802383773235e-02,
    1.16958360476754647e-01,
    -2.92395901191886617e-02,
    6.73751051920067935e-03,
    -1.34750210384013587e-02,
    3.36875525960033968e-03,
    2.04447694258978796e-01,
    -4.08895388517957592e-01,
    1.02223847129489398e-01,
    1.84338991130755137e-01,
    -3.68677982261510273e-01,
    9.21694955653775683e-02,
    1.47398363363372448e-01,
    -2.94796726726744895e-01,
    7.36991816816862239e-02,
    1.46546139587677787e-01,
    -2.93092279175355575e-01,
    7.32730697938388936e-02,
    3.55939217160609021e-03,
    -7.11878434321218043e-03,
    1.77969608580304511e-03,
    1.60110366014859268e-03,
    -3.20220732029718536e-03,
    8.00551830074296340e-04,
    4.96412299383403055e-04,
    -9.92824598766806109e-04,
    2.48206149691701527e-04,
    2.69883898564332462e-03,
    -5.39767797128664923e-03,
    1.34941949282166231e-03,
];
const LSTM_DWH: [f64; 64] = [
    3.33502702496349564e-04,
    -6.67005404992699127e-04,
    1.00050810748904847e-03,
    -1.33401080998539825e-03,
    4.84702992847878440e-03,
    -9.69405985695756880e-03,
    1.45410897854363515e-02,
    -1.93881197139151376e-02,
    7.88397121693060546e-03,
    -1.57679424338612109e-02,
    2.36519136507918129e-02,
    -3.15358848677224218e-02,
    1.19915553142474086e-02,
    -2.39831106284948171e-02,
    3.59746659427422205e-02,
    -4.79662212569896343e-02,
    1.51268916682196636e-02,
    -3.02537833364393272e-02,
    4.53806750046589907e-02,
    -6.05075666728786543e-02,
    5.04492249540289088e-03,
    -1.00898449908057818e-02,
    1.51347674862086709e-02,
    -2.01796899816115635e-02,
    -1.16958360476754654e-02,
    2.33916720953509308e-02,
    -3.50875081430263927e-02,
    4.67833441907018616e-02,
    1.34750210384013591e-03,
    -2.69500420768027183e-03,
    4.04250631152040709e-03,
    -5.39000841536054365e-03,
    4.08895388517957620e-02,
    -8.17790777035915240e-02,
    1.22668616555387272e-01,
    -1.63558155407183048e-01,
    3.68677982261510287e-02,
    -7.37355964523020574e-02,
    1.10603394678453079e-01,
    -1.47471192904604115e-01,
    2.94796726726744909e-02,
    -5.89593453453489819e-02,
    8.84390180180234659e-02,
    -1.17918690690697964e-01,
    2.93092279175355581e-02,
    -5.86184558350711163e-02,
    8.79276837526066640e-02,
    -1.17236911670142233e-01,
    7.11878434321218086e-04,
    -1.42375686864243617e-03,
    2.13563530296365404e-03,
    -2.84751373728487234e-03,
    3.20220732029718547e-04,
    -6.40441464059437093e-04,
    9.60662196089155586e-04,
    -1.28088292811887419e-03,
    9.92824598766806163e-05,
    -1.98564919753361233e-04,
    2.97847379630041822e-04,
    -3.97129839506722465e-04,
    5.39767797128664966e-04,
    -1.07953559425732993e-03,
    1.61930339138599468e-03,
    -2.15907118851465987e-03,
];
const LSTM_DB: [f64; 16] = [
    3.33502702496349520e-03,
    4.84702992847878406e-02,
    7.88397121693060476e-02,
    1.19915553142474082e-01,
    1.51268916682196636e-01,
    5.04492249540289053e-02,
    -1.16958360476754647e-01,
    1.34750210384013587e-02,
    4.08895388517957592e-01,
    3.68677982261510273e-01,
    2.94796726726744895e-01,
    2.93092279175355575e-01,
    7.11878434321218043e-03,
    3.20220732029718536e-03,
    9.92824598766806109e-04,
    5.39767797128664923e-03,
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
