//! Every operator and function of the `net!` DSL: the derived gradient
//! against central finite differences (`gradcheck`, in f64) at many random
//! points, with every param set to random values.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::prelude::*;

dims! { D = 5; H = 4; C = 3; B = 6; }

fn random<R: Dim, K: Dim>(rng: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| rng.random_range(-1.5..1.5))
}

const SEEDS: u64 = 20;
const TOL: f64 = 1e-6;

/// Runs `check` at `SEEDS` random points and fails with the report of the first bad one.
fn at_random_points(mut check: impl FnMut(&mut Pcg64Mcg) -> shapegrad::check::GradCheck<f64>) {
    for seed in 0..SEEDS {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let report = check(&mut rng);
        assert!(report.is_ok(TOL), "seed {seed}:\n{report}");
        assert!(!report.entries().is_empty());
    }
}

macro_rules! elementwise_function_test {
    ($test:ident, $net:ident, $f:ident) => {
        net! {
            net $net {
                param W: [H, D];
                param b: [H];
                input x: [D];
                input a: [H];
                // log and sqrt need positive arguments; these lie in (0.5, 3).
                loss dot(a, $f(sigmoid(W @ x + b) + 0.5)) + sum($f(square(b) * 0.5 + 0.5));
            }
        }

        #[test]
        fn $test() {
            at_random_points(|rng| {
                let mut n = $net::<f64>::zeros();
                n.W = random(rng);
                n.b = random(rng);
                n.gradcheck(&random(rng), &random(rng))
            });
        }
    };
}

elementwise_function_test!(sigmoid, SigmoidNet, sigmoid);
elementwise_function_test!(tanh, TanhNet, tanh);
elementwise_function_test!(swish, SwishNet, swish);
elementwise_function_test!(exp, ExpNet, exp);
elementwise_function_test!(log, LogNet, log);
elementwise_function_test!(sqrt, SqrtNet, sqrt);
elementwise_function_test!(square, SquareNet, square);

net! {
    /// relu and abs have kinks at 0, which random points avoid.
    net KinkNet {
        param W: [H, D];
        input x: [D];
        input a: [H];
        loss dot(a, relu(W @ x)) + sum(abs(W @ x - a));
    }
}

#[test]
fn relu_and_abs() {
    at_random_points(|rng| {
        let mut n = KinkNet::<f64>::zeros();
        n.W = random(rng);
        n.gradcheck(&random(rng), &random(rng))
    });
}

net! {
    /// Products, transposes, elementwise arithmetic with scalars, unary minus.
    net ArithmeticNet {
        param W: [H, D];
        param U: [D, H];
        param s: [H];
        input x: [D];
        let y = W @ x;
        let z = U.T @ (x - U @ y) * 0.5;
        loss dot(-y, z * s) + sum(2.0 - s) * mean(W @ U) + sum((W.T @ s).T @ U) - sum(1.0 + W * 3.0);
    }
}

#[test]
fn products_transposes_and_scalars() {
    at_random_points(|rng| {
        let n = ArithmeticNet::<f64> { W: random(rng), U: random(rng), s: random(rng) };
        n.gradcheck(&random(rng))
    });
}

net! {
    /// A batch of columns: bias broadcast, softmax and log-softmax per column.
    net BatchNet {
        param W: [H, D];
        param b: [H];
        input X: [D, B];
        input A: [H, B];
        let Z = W @ X + b;
        loss sum(A * log_softmax(Z)) + sum(softmax(tanh(Z)) * A) + mean(b + Z * 0.0 + b);
    }
}

#[test]
fn bias_broadcast_and_column_softmax() {
    at_random_points(|rng| {
        let n = BatchNet::<f64> { W: random(rng), b: random(rng) };
        n.gradcheck(&random(rng), &random(rng))
    });
}

net! {
    /// The fused losses, onehot, dot and mse.
    net LossNet {
        param W: [C, D];
        param V: [C, D];
        input x: [D];
        input t: [C];
        label y: C;
        let z = W @ x;
        loss softmax_cross_entropy(z, y) + svm(V @ x, y) + mse(z, t) + dot(onehot(y), V @ x) * 0.3;
    }
}

#[test]
fn softmax_cross_entropy_svm_mse_onehot_dot() {
    at_random_points(|rng| {
        let n = LossNet::<f64> { W: random(rng), V: random(rng) };
        let y = Class::<C>::new(rng.random_range(0..3)).unwrap();
        n.gradcheck(&random(rng), &random(rng), y)
    });
}

net! {
    /// A 1×1 matrix counts as a scalar loss.
    net QuadraticForm {
        param W: [H, D];
        input x: [D];
        loss x.T @ W.T @ W @ x;
    }
}

#[test]
fn one_by_one_loss_and_its_closed_form() {
    at_random_points(|rng| {
        let n = QuadraticForm::<f64> { W: random(rng) };
        let x: Vector<D, f64> = random(rng);
        // L = ‖Wx‖², ∇W = 2 W x xᵀ.
        let (loss, g) = n.grad(&x);
        let wx = &n.W * &x;
        assert!((loss - wx.dot(&wx)).abs() < 1e-12);
        assert!(g.W.approx_eq(&(2.0 * &wx.outer(&x)), 1e-12));
        n.gradcheck(&x)
    });
}

net! {
    /// Several outputs; `forward` returns them in order and needs no label.
    net TwoOutputs {
        param W: [H, D];
        input x: [D];
        label y: H;
        let z = W @ x;
        let p = softmax(z);
        output z;
        output p;
        loss softmax_cross_entropy(z, y);
    }
}

#[test]
fn forward_returns_every_output() {
    let mut rng = Pcg64Mcg::seed_from_u64(1);
    let n = TwoOutputs::<f64> { W: random(&mut rng) };
    let x: Vector<D, f64> = random(&mut rng);
    let (z, p) = n.forward(&x);
    assert!(z.approx_eq(&(&n.W * &x), 1e-15));
    assert!(p.approx_eq(&z.softmax(), 1e-15));
    assert!((n.loss(&x, Class::new(1).unwrap()) + p[1].ln()).abs() < 1e-12);
}

macro_rules! linear_net {
    ($name:ident, $out:ty, $in:ty, $scale:expr) => {
        net! {
            net $name {
                param W: [$out, $in];
                input x: [$in];
                loss $scale * sum(W @ x);
            }
        }
    };
}

// Dims and expressions passed through `macro_rules!` arrive as invisible groups.
linear_net!(Linear, H, D, 0.5 + 0.5);

#[test]
fn dims_and_expressions_through_macro_rules() {
    let n = Linear::<f64>::init(3);
    let x = Vector::<D, f64>::from_fn(|i, _| i as f64);
    let (loss, g) = n.grad(&x);
    assert!((loss - (&n.W * &x).sum()).abs() < 1e-12);
    // ∂/∂W sum(W x) = 𝟙 xᵀ.
    assert!(g.W.approx_eq(&Matrix::from_fn(|_, j| x[j]), 1e-15));
}

net! {
    /// Literal dims, generic dims and an upper-case param name.
    net Generic<K> {
        param Wk: [K, 3];
        param b: [K];
        input x: [3, 1];
        loss sum(square(Wk @ x + b));
    }
}

#[test]
fn generic_nets_and_literal_dims() {
    at_random_points(|rng| {
        let n = Generic::<H, f64> { Wk: random(rng), b: random(rng) };
        n.gradcheck(&random(rng))
    });
    let n = Generic::<U7, f32>::init(1);
    assert_eq!(n.Wk.as_slice().len(), 21);
    assert!(n.b.as_slice().iter().all(|&b| b == 0.0), "biases start at zero");
    let bound = (6.0f32 / 10.0).sqrt();
    assert!(n.Wk.as_slice().iter().all(|w| w.abs() <= bound));
    assert_eq!(Generic::<U7, f32>::init(1), n, "init is deterministic for a seed");
    assert_ne!(Generic::<U7, f32>::init(2), n);
}

net! {
    /// `pow` with exponents written in the net, negative and fractional ones
    /// on a positive base.
    net PowNet {
        param W: [H, D];
        param b: [H];
        input x: [D];
        let u = sigmoid(W @ x + b) + 0.5;
        loss sum(pow(u, -0.5)) + sum(pow(u, 3.0)) + dot(b, pow(u, 1.5));
    }
}

#[test]
fn pow_matches_its_closed_form_and_finite_differences() {
    at_random_points(|rng| {
        let mut n = PowNet::<f64>::zeros();
        n.W = random(rng);
        n.b = random(rng);
        let x = random(rng);
        // The loss by hand, u = σ(W x + b) + ½.
        let z = &n.W.matmul(&x) + &n.b;
        let want: f64 = (0..4)
            .map(|i| {
                let u = 1.0 / (1.0 + (-z[(i, 0)]).exp()) + 0.5;
                u.powf(-0.5) + u * u * u + n.b[(i, 0)] * u.sqrt().powi(3)
            })
            .sum();
        let got = n.loss(&x);
        assert!((got - want).abs() < 1e-12, "{got} ≠ {want}");
        n.gradcheck(&x)
    });
    let d = PowNet::derivation();
    assert!(d.contains("-0.5 u^(-1.5)") && d.contains("3 u^(2)"), "{d}");
}
