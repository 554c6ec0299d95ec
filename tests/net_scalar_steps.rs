//! Regression tests: an elementwise function applied to a scalar (the result
//! of `sum`, `mean` or `dot`), a coefficient around such a step, and a
//! per-example loss that is a 1×1 product. Each gradient is checked against
//! a closed form worked out by hand and against finite differences; the
//! batched methods against the mean of the per-example closed forms.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::prelude::*;

dims! { D = 4; H = 3; B = 5; }

fn random<R: Dim, K: Dim>(rng: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| rng.random_range(-1.0..1.0))
}

fn sigma(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// `Σ_i a[i] b[i]` over two slices.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `W x` for a row-major `[H×D]` slice.
fn matvec(w: &[f64], x: &[f64]) -> Vec<f64> {
    w.chunks(x.len()).map(|row| dot(row, x)).collect()
}

/// Asserts `got` is `want` elementwise, to 1e-12 relative.
fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-12 * (1.0 + w.abs()), "{what}[{i}]: got {g}, want {w}");
    }
}

net! { net Distance { param a: [D]; input x: [D]; loss sqrt(sum(square(x - a))); } }

#[test]
fn sqrt_of_a_sum() {
    // L = ‖x − a‖, ∂a = −(x − a)/‖x − a‖.
    for seed in 0..10 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = Distance::<f64> { a: random(&mut rng) };
        let x: Vector<D, f64> = random(&mut rng);
        let diff: Vec<f64> = x.as_slice().iter().zip(net.a.as_slice()).map(|(x, a)| x - a).collect();
        let norm = dot(&diff, &diff).sqrt();
        let (loss, g) = net.grad(&x);
        assert!((loss - norm).abs() < 1e-12);
        let want: Vec<f64> = diff.iter().map(|d| -d / norm).collect();
        assert_close(g.a.as_slice(), &want, "∂a");
        assert!(net.gradcheck(&x).is_ok(1e-6));
    }
}

net! { net LogSumExp { param W: [H, D]; input x: [D]; loss log(sum(exp(W @ x))); } }

#[test]
fn log_of_a_sum_of_exps() {
    // L = log Σ exp(Wx), ∂W = softmax(Wx) xᵀ.
    for seed in 0..10 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = LogSumExp::<f64> { W: random(&mut rng) };
        let x: Vector<D, f64> = random(&mut rng);
        let z = matvec(net.W.as_slice(), x.as_slice());
        let total: f64 = z.iter().map(|z| z.exp()).sum();
        let want: Vec<f64> =
            z.iter().flat_map(|zi| x.as_slice().iter().map(move |xj| zi.exp() / total * xj)).collect();
        let (loss, g) = net.grad(&x);
        assert!((loss - total.ln()).abs() < 1e-12);
        assert_close(g.W.as_slice(), &want, "∂W");
    }
}

net! { net Hinge { param w: [D]; input x: [D]; loss relu(1.0 - dot(w, x)); } }

#[test]
fn binary_hinge() {
    // L = max(0, 1 − w·x), ∂w = −x where the margin is violated, else 0.
    let mut violated = 0;
    for seed in 0..20 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = Hinge::<f64> { w: Matrix::from_fn(|_, _| rng.random_range(-2.0..2.0)) };
        let x: Vector<D, f64> = random(&mut rng);
        let margin = 1.0 - dot(net.w.as_slice(), x.as_slice());
        let want: Vec<f64> = x.as_slice().iter().map(|x| if margin > 0.0 { -x } else { 0.0 }).collect();
        violated += usize::from(margin > 0.0);
        let (loss, g) = net.grad(&x);
        assert!((loss - margin.max(0.0)).abs() < 1e-12);
        assert_close(g.w.as_slice(), &want, "∂w");
    }
    assert!(violated > 0 && violated < 20, "both branches are reached: {violated}");
}

net! { net SumPlusExp { param W: [H, D]; input x: [D]; loss sum(W @ x) + exp(sum(W @ x)); } }
net! { net ScaledExp { param W: [H, D]; input x: [D]; loss 2.0 * exp(sum(W @ x)); } }

#[test]
fn both_terms_of_a_sum_and_a_coefficient() {
    // s = Σ Wx: L = s + eˢ gives ∂W = (1 + eˢ) 𝟙 xᵀ; L = 2eˢ gives ∂W = 2eˢ 𝟙 xᵀ.
    for seed in 0..10 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let w: Matrix<H, D, f64> = random(&mut rng);
        let x: Vector<D, f64> = random(&mut rng);
        let s: f64 = matvec(w.as_slice(), x.as_slice()).iter().sum();
        let outer = |k: f64| -> Vec<f64> {
            (0..H::SIZE).flat_map(|_| x.as_slice().iter().map(move |x| k * x)).collect()
        };
        let (loss, g) = SumPlusExp::<f64> { W: w.clone() }.grad(&x);
        assert!((loss - (s + s.exp())).abs() < 1e-12);
        assert_close(g.W.as_slice(), &outer(1.0 + s.exp()), "∂W of s + eˢ");
        let (loss, g) = ScaledExp::<f64> { W: w }.grad(&x);
        assert!((loss - 2.0 * s.exp()).abs() < 1e-12);
        assert_close(g.W.as_slice(), &outer(2.0 * s.exp()), "∂W of 2eˢ");
    }
}

net! { net Logistic { param w: [D]; input x: [D]; loss log(1.0 + exp(-dot(w, x))); } }
net! {
    net BinaryCe {
        param w: [D];
        input x: [D];
        input t: [1];
        let z = dot(w, x);
        loss -(t * log(sigmoid(z)) + (1.0 - t) * log(1.0 - sigmoid(z)));
    }
}

#[test]
fn logistic_regression_on_one_example() {
    // L = log(1 + e^(−w·x)), ∂w = −σ(−w·x) x; binary cross-entropy, ∂w = (σ(w·x) − t) x.
    for seed in 0..10 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let w: Vector<D, f64> = random(&mut rng);
        let x: Vector<D, f64> = random(&mut rng);
        let z = dot(w.as_slice(), x.as_slice());
        let (loss, g) = Logistic::<f64> { w: w.clone() }.grad(&x);
        assert!((loss - (1.0 + (-z).exp()).ln()).abs() < 1e-12);
        let want: Vec<f64> = x.as_slice().iter().map(|x| -sigma(-z) * x).collect();
        assert_close(g.w.as_slice(), &want, "∂w, logistic");
        let t = Vector::<One, f64>::from_slice(&[(seed % 2) as f64]).unwrap();
        let (loss, g) = BinaryCe::<f64> { w }.grad(&x, &t);
        let t = t[(0, 0)];
        assert!((loss + t * sigma(z).ln() + (1.0 - t) * (1.0 - sigma(z)).ln()).abs() < 1e-12);
        let want: Vec<f64> = x.as_slice().iter().map(|x| (sigma(z) - t) * x).collect();
        assert_close(g.w.as_slice(), &want, "∂w, binary cross-entropy");
    }
}

net! {
    /// Binary cross-entropy on a 1×1 product: the per-example loss is 1×1.
    net RowBce {
        param w: [1, D];
        input x: [D];
        input t: [1];
        let z = w @ x;
        loss sum(-(t * log(sigmoid(z)) + (1.0 - t) * log(1.0 - sigmoid(z))));
    }
}

#[test]
fn a_one_by_one_loss_is_averaged_over_the_batch() {
    // loss_batch = (1/B) Σ_b ℓ_b; ∂w = (1/B) Σ_b (σ(w x_b) − t_b) x_bᵀ.
    for seed in 0..10 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = RowBce::<f64> { w: random(&mut rng) };
        let xs: Matrix<D, B, f64> = random(&mut rng);
        let ts = Matrix::<One, B, f64>::from_fn(|_, j| ((j + seed as usize) % 2) as f64);
        let (mut mean_loss, mut mean_grad) = (0.0, vec![0.0; D::SIZE]);
        for b in 0..B::SIZE {
            let x = xs.column(b);
            let (z, t) = (dot(net.w.as_slice(), x.as_slice()), ts[(0, b)]);
            mean_loss -= (t * sigma(z).ln() + (1.0 - t) * (1.0 - sigma(z)).ln()) / B::SIZE as f64;
            for (m, x) in mean_grad.iter_mut().zip(x.as_slice()) {
                *m += (sigma(z) - t) * x / B::SIZE as f64;
            }
        }
        let (loss, g) = net.grad_batch(&xs, &ts);
        assert!((loss - mean_loss).abs() < 1e-12, "seed {seed}: {loss} vs {mean_loss}");
        assert!((net.loss_batch(&xs, &ts) - mean_loss).abs() < 1e-12);
        assert_close(g.w.as_slice(), &mean_grad, "∂w, batched");
    }
}

net! { net InputTimesParam { param a: [D]; input x: [D]; loss x.T @ a; } }
net! { net ParamTimesInput { param w: [1, D]; input a: [D]; loss w @ a; } }

#[test]
fn a_transposed_input_and_a_row_param_batch() {
    // L = xᵀa per example: loss_batch = mean_b x_bᵀa, ∂a = mean_b x_b; likewise for w a.
    for seed in 0..10 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let a: Vector<D, f64> = random(&mut rng);
        let xs: Matrix<D, B, f64> = random(&mut rng);
        let mean_x: Vec<f64> =
            (0..D::SIZE).map(|i| (0..B::SIZE).map(|b| xs[(i, b)]).sum::<f64>() / B::SIZE as f64).collect();
        let want_loss = dot(a.as_slice(), &mean_x);
        let (loss, g) = InputTimesParam::<f64> { a: a.clone() }.grad_batch(&xs);
        assert!((loss - want_loss).abs() < 1e-12);
        assert_close(g.a.as_slice(), &mean_x, "∂a of xᵀa");
        let w = Matrix::<One, D, f64>::from_slice(a.as_slice()).unwrap();
        let (loss, g) = ParamTimesInput::<f64> { w }.grad_batch(&xs);
        assert!((loss - want_loss).abs() < 1e-12);
        assert_close(g.w.as_slice(), &mean_x, "∂w of w a");
    }
}

#[test]
fn a_nan_input_gives_a_nan_loss_and_gradient() {
    // As the data module documents: non-finite inputs are kept and propagated.
    let net = Distance::<f64> { a: Vector::from_element(0.5) };
    let x = Vector::<D, f64>::from_slice(&[0.0, f64::NAN, 1.0, 2.0]).unwrap();
    let (loss, g) = net.grad(&x);
    assert!(loss.is_nan() && g.a.as_slice().iter().all(|v| v.is_nan()));
}
