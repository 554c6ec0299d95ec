//! The functions added to the DSL after the first release, each against a
//! closed form of its gradient worked out by hand (`net_contexts.rs` checks
//! each against finite differences, per example and batched).

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::prelude::*;

dims! { D = 4; H = 3; }

fn random<R: Dim, K: Dim>(rng: &mut Pcg64Mcg, lo: f64, hi: f64) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| rng.random_range(lo..hi))
}

/// For `loss sum(f(W @ x))`: at 20 random points, the loss is Σ f(z) and
/// ∂W = f′(z) xᵀ with z = W x, for the hand-written `f` and `df`.
fn elementwise_closed_form(
    grad: impl Fn(&Matrix<H, D, f64>, &Vector<D, f64>) -> (f64, Matrix<H, D, f64>),
    f: impl Fn(f64) -> f64,
    df: impl Fn(f64) -> f64,
) {
    for seed in 0..20 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let w: Matrix<H, D, f64> = random(&mut rng, -1.5, 1.5);
        let x: Vector<D, f64> = random(&mut rng, -1.5, 1.5);
        let z: Vec<f64> = (0..H::SIZE).map(|i| (0..D::SIZE).map(|j| w[(i, j)] * x[(j, 0)]).sum()).collect();
        let (loss, g) = grad(&w, &x);
        let want: f64 = z.iter().map(|&z| f(z)).sum();
        assert!((loss - want).abs() < 1e-12, "seed {seed}: loss {loss}, want {want}");
        for i in 0..H::SIZE {
            for j in 0..D::SIZE {
                let want = df(z[i]) * x[(j, 0)];
                assert!(
                    (g[(i, j)] - want).abs() < 1e-12,
                    "seed {seed}: ∂W[{i},{j}] {}, want {want}",
                    g[(i, j)]
                );
            }
        }
    }
}

net! { net Elu { param W: [H, D]; input x: [D]; loss sum(elu(W @ x)); } }

#[test]
fn elu() {
    let grad = |w: &Matrix<H, D, f64>, x: &Vector<D, f64>| {
        let (l, g) = Elu::<f64> { W: w.clone() }.grad(x);
        (l, g.W)
    };
    elementwise_closed_form(
        grad,
        |z| if z > 0.0 { z } else { z.exp() - 1.0 },
        |z| if z > 0.0 { 1.0 } else { z.exp() },
    );
    assert!(Elu::derivation().contains("([W x > 0] + [W x ≤ 0] exp(W x))"), "{}", Elu::derivation());
}

net! { net Softplus { param W: [H, D]; input x: [D]; loss sum(softplus(W @ x)); } }

#[test]
fn softplus() {
    let grad = |w: &Matrix<H, D, f64>, x: &Vector<D, f64>| {
        let (l, g) = Softplus::<f64> { W: w.clone() }.grad(x);
        (l, g.W)
    };
    elementwise_closed_form(grad, |z| (1.0 + z.exp()).ln(), |z| 1.0 / (1.0 + (-z).exp()));
    assert!(Softplus::derivation().contains("∂W = σ(W x) xᵀ"), "{}", Softplus::derivation());
}

net! { net LogSigmoid { param W: [H, D]; input x: [D]; loss sum(log_sigmoid(W @ x)); } }

#[test]
fn log_sigmoid() {
    let grad = |w: &Matrix<H, D, f64>, x: &Vector<D, f64>| {
        let (l, g) = LogSigmoid::<f64> { W: w.clone() }.grad(x);
        (l, g.W)
    };
    elementwise_closed_form(grad, |z| -(1.0 + (-z).exp()).ln(), |z| 1.0 - 1.0 / (1.0 + (-z).exp()));
    assert!(LogSigmoid::derivation().contains("∂W = (1 − σ(W x)) xᵀ"), "{}", LogSigmoid::derivation());
}

net! { net Gelu { param W: [H, D]; input x: [D]; loss sum(gelu(W @ x)); } }

#[test]
fn gelu() {
    let grad = |w: &Matrix<H, D, f64>, x: &Vector<D, f64>| {
        let (l, g) = Gelu::<f64> { W: w.clone() }.grad(x);
        (l, g.W)
    };
    elementwise_closed_form(
        grad,
        |z| 0.5 * z * (1.0 + ((2.0 / std::f64::consts::PI).sqrt() * (z + 0.044715 * z * z * z)).tanh()),
        |z| {
            let c = (2.0 / std::f64::consts::PI).sqrt();
            let t = (c * (z + 0.044715 * z * z * z)).tanh();
            0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * c * (1.0 + 3.0 * 0.044715 * z * z)
        },
    );
    assert!(Gelu::derivation().contains("∂W = gelu′(W x) xᵀ"), "{}", Gelu::derivation());
}

net! { net Ratio { param W: [H, D]; param b: [H]; input x: [D]; loss sum(W @ x / b) + 1.0 / sum(b * b); } }

#[test]
fn division() {
    // L = Σᵢ zᵢ/bᵢ + 1/Σ b² with z = W x: ∂W = (1/b) xᵀ, ∂b = −z/b² − 2b/(Σ b²)².
    for seed in 0..20 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = Ratio::<f64> { W: random(&mut rng, -1.0, 1.0), b: random(&mut rng, 0.5, 2.0) };
        let x: Vector<D, f64> = random(&mut rng, -1.0, 1.0);
        let z: Vec<f64> =
            (0..H::SIZE).map(|i| (0..D::SIZE).map(|j| net.W[(i, j)] * x[(j, 0)]).sum()).collect();
        let b: Vec<f64> = net.b.as_slice().to_vec();
        let bb: f64 = b.iter().map(|b| b * b).sum();
        let (loss, g) = net.grad(&x);
        let want: f64 = z.iter().zip(&b).map(|(z, b)| z / b).sum::<f64>() + 1.0 / bb;
        assert!((loss - want).abs() < 1e-12, "seed {seed}");
        for i in 0..H::SIZE {
            let db = -z[i] / (b[i] * b[i]) - 2.0 * b[i] / (bb * bb);
            assert!((g.b[(i, 0)] - db).abs() < 1e-12, "seed {seed}: ∂b[{i}] {}, want {db}", g.b[(i, 0)]);
            for j in 0..D::SIZE {
                assert!((g.W[(i, j)] - x[(j, 0)] / b[i]).abs() < 1e-12, "seed {seed}: ∂W[{i},{j}]");
            }
        }
        // The batch of one is the example, through the batched form of `/`.
        let xs = Matrix::<D, One, f64>::from_slice(x.as_slice()).unwrap();
        let (lb, gb) = net.grad_batch(&xs);
        assert!((lb - loss).abs() < 1e-12 && gb.b.approx_eq(&g.b, 1e-12) && gb.W.approx_eq(&g.W, 1e-12));
    }
}

net! { net Leaky { param W: [H, D]; input x: [D]; loss sum(leaky_relu(W @ x, 0.1)); } }

#[test]
fn leaky_relu() {
    let grad = |w: &Matrix<H, D, f64>, x: &Vector<D, f64>| {
        let (l, g) = Leaky::<f64> { W: w.clone() }.grad(x);
        (l, g.W)
    };
    elementwise_closed_form(grad, |z| if z > 0.0 { z } else { 0.1 * z }, |z| if z > 0.0 { 1.0 } else { 0.1 });
    assert!(Leaky::derivation().contains("∂W = ([W x > 0] + 0.1 [W x ≤ 0]) xᵀ"), "{}", Leaky::derivation());
}

net! { net Clamp { param W: [H, D]; param b: [H]; input x: [D]; loss sum(max(W @ x, b)) + sum(min(W @ x, 0.25)); } }

#[test]
fn max_and_min() {
    // L = Σ max(z, b) + Σ min(z, ¼) with z = W x:
    // ∂W = ([z ≥ b] + [¼ ≥ z]) xᵀ, ∂b = [b > z].
    for seed in 0..20 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = Clamp::<f64> { W: random(&mut rng, -1.0, 1.0), b: random(&mut rng, -1.0, 1.0) };
        let x: Vector<D, f64> = random(&mut rng, -1.0, 1.0);
        let (_, g) = net.grad(&x);
        for i in 0..H::SIZE {
            let z: f64 = (0..D::SIZE).map(|j| net.W[(i, j)] * x[(j, 0)]).sum();
            let b = net.b[(i, 0)];
            let dz = f64::from(u8::from(z >= b)) + f64::from(u8::from(0.25 >= z));
            assert_eq!(g.b[(i, 0)], f64::from(u8::from(b > z)), "seed {seed}");
            for j in 0..D::SIZE {
                assert!((g.W[(i, j)] - dz * x[(j, 0)]).abs() < 1e-12, "seed {seed}: ∂W[{i},{j}]");
            }
        }
    }
    assert!(Clamp::derivation().contains("∂b = [b > W x]"), "{}", Clamp::derivation());
}

net! { net LogSumExp { param W: [H, D]; input x: [D]; loss logsumexp(W @ x); } }

#[test]
fn logsumexp() {
    // L = log Σ exp(z) with z = W x: ∂W = softmax(z) xᵀ.
    for seed in 0..20 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = LogSumExp::<f64> { W: random(&mut rng, -3.0, 3.0) };
        let x: Vector<D, f64> = random(&mut rng, -3.0, 3.0);
        let z: Vec<f64> =
            (0..H::SIZE).map(|i| (0..D::SIZE).map(|j| net.W[(i, j)] * x[(j, 0)]).sum()).collect();
        let total: f64 = z.iter().map(|z| z.exp()).sum();
        let (loss, g) = net.grad(&x);
        assert!((loss - total.ln()).abs() < 1e-12, "seed {seed}");
        for (i, z) in z.iter().enumerate() {
            for j in 0..D::SIZE {
                assert!((g.W[(i, j)] - z.exp() / total * x[(j, 0)]).abs() < 1e-12, "seed {seed}");
            }
        }
    }
    assert!(LogSumExp::derivation().contains("∂W = softmax(W x) xᵀ"), "{}", LogSumExp::derivation());
}

dims! { K = 5; }
net! { net LogSumExpCols { param W: [H, D]; input X: [D, K]; loss sum(logsumexp(W @ X) * logsumexp(W @ X)); } }

#[test]
fn logsumexp_of_each_column_of_a_matrix() {
    for seed in 0..20 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = LogSumExpCols::<f64> { W: random(&mut rng, -2.0, 2.0) };
        let report = net.gradcheck(&random(&mut rng, -2.0, 2.0));
        assert!(report.is_ok(1e-6), "seed {seed}\n{report}");
    }
}

net! { net Norm { param W: [H, D]; input x: [D]; loss norm(W @ x); } }

#[test]
fn norm() {
    // L = ‖z‖ with z = W x: ∂W = (z/‖z‖) xᵀ; at z = 0 (W = 0) the gradient is 0.
    for seed in 0..20 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = Norm::<f64> { W: random(&mut rng, -1.0, 1.0) };
        let x: Vector<D, f64> = random(&mut rng, -1.0, 1.0);
        let z: Vec<f64> =
            (0..H::SIZE).map(|i| (0..D::SIZE).map(|j| net.W[(i, j)] * x[(j, 0)]).sum()).collect();
        let n = z.iter().map(|z| z * z).sum::<f64>().sqrt();
        let (loss, g) = net.grad(&x);
        assert!((loss - n).abs() < 1e-12, "seed {seed}");
        for (i, z) in z.iter().enumerate() {
            for j in 0..D::SIZE {
                assert!((g.W[(i, j)] - z / n * x[(j, 0)]).abs() < 1e-12, "seed {seed}");
            }
        }
    }
    let (loss, g) = Norm::<f64>::zeros().grad(&Vector::from_fn(|j, _| j as f64));
    assert_eq!(loss, 0.0);
    assert!(g.W.as_slice().iter().all(|&v| v == 0.0), "the gradient at 0 is 0, not NaN");
    assert!(Norm::derivation().contains("∂W = ((W x)/‖W x‖) xᵀ"), "{}", Norm::derivation());
}

net! { net Trace { param W: [H, D]; param V: [D, H]; input x: [D]; loss trace(W @ V) * sum(x) + 0.5 * trace(W @ W.T); } }

#[test]
fn trace() {
    // L = tr(W V) Σx + ½ tr(W Wᵀ): ∂W = Σx Vᵀ + W, ∂V = Σx Wᵀ.
    for seed in 0..20 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = Trace::<f64> { W: random(&mut rng, -1.0, 1.0), V: random(&mut rng, -1.0, 1.0) };
        let x: Vector<D, f64> = random(&mut rng, -1.0, 1.0);
        let sx = x.sum();
        let (_, g) = net.grad(&x);
        for i in 0..H::SIZE {
            for j in 0..D::SIZE {
                assert!((g.W[(i, j)] - (sx * net.V[(j, i)] + net.W[(i, j)])).abs() < 1e-12, "seed {seed}");
                assert!((g.V[(j, i)] - sx * net.W[(i, j)]).abs() < 1e-12, "seed {seed}");
            }
        }
        // Batched: the mean of the per-example gradients.
        let xs: Matrix<D, K, f64> = random(&mut rng, -1.0, 1.0);
        let (_, gb) = net.grad_batch(&xs);
        let mean_sx = xs.sum() / K::SIZE as f64;
        assert!((gb.V[(0, 1)] - mean_sx * net.W[(1, 0)]).abs() < 1e-12, "seed {seed}");
    }
    let text = Trace::derivation();
    assert!(text.contains("∂V = sum(x) Wᵀ") && text.contains("∂W = sum(x) Vᵀ + W"), "{text}");
}

net! { net Sums { param W: [H, D]; input a: [H]; input c: [D]; loss dot(a, sum_rows(W)) + dot(c, sum_cols(W)); } }

#[test]
fn sum_rows_and_sum_cols() {
    // L = aᵀ(W𝟙) + cᵀ(Wᵀ𝟙): ∂W[i, j] = a[i] + c[j]; batched, the means of a and c.
    for seed in 0..20 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = Sums::<f64> { W: random(&mut rng, -1.0, 1.0) };
        let (a, c): (Vector<H, f64>, Vector<D, f64>) =
            (random(&mut rng, -1.0, 1.0), random(&mut rng, -1.0, 1.0));
        let (loss, g) = net.grad(&a, &c);
        let want: f64 = (0..H::SIZE)
            .flat_map(|i| (0..D::SIZE).map(move |j| (i, j)))
            .map(|(i, j)| (a[(i, 0)] + c[(j, 0)]) * net.W[(i, j)])
            .sum();
        assert!((loss - want).abs() < 1e-12, "seed {seed}");
        assert!(g.W.approx_eq(&Matrix::from_fn(|i, j| a[(i, 0)] + c[(j, 0)]), 1e-12), "seed {seed}");
        let (xs_a, xs_c): (Matrix<H, K, f64>, Matrix<D, K, f64>) =
            (random(&mut rng, -1.0, 1.0), random(&mut rng, -1.0, 1.0));
        let (_, gb) = net.grad_batch(&xs_a, &xs_c);
        let mean = |m: &[f64]| m.iter().sum::<f64>() / K::SIZE as f64;
        let (ma, mc): (Vec<f64>, Vec<f64>) = (
            (0..H::SIZE).map(|i| mean(&(0..K::SIZE).map(|k| xs_a[(i, k)]).collect::<Vec<_>>())).collect(),
            (0..D::SIZE).map(|j| mean(&(0..K::SIZE).map(|k| xs_c[(j, k)]).collect::<Vec<_>>())).collect(),
        );
        assert!(gb.W.approx_eq(&Matrix::from_fn(|i, j| ma[i] + mc[j]), 1e-12), "seed {seed}");
    }
}

net! {
    /// A scalar param written `[]`, another written `[1]`: both scalars.
    net ScalarParams {
        param s: [];
        param b: [1];
        param W: [H, D];
        input x: [D];
        loss sum(s * tanh(W @ x)) + square(s - b);
        grad s = sum(tanh(W @ x)) + 2.0 * (s - b);
        grad b = -2.0 * (s - b);
    }
}

#[test]
fn scalar_params() {
    // ∂s = Σ tanh(z) + 2(s − b), ∂b = −2(s − b), ∂W = s (1 − tanh²(z)) xᵀ, z = W x.
    for seed in 0..20 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = ScalarParams::<f64> {
            s: random(&mut rng, -1.0, 1.0),
            b: random(&mut rng, -1.0, 1.0),
            W: random(&mut rng, -1.0, 1.0),
        };
        let x: Vector<D, f64> = random(&mut rng, -1.0, 1.0);
        let (s, b) = (net.s[(0, 0)], net.b[(0, 0)]);
        let z: Vec<f64> =
            (0..H::SIZE).map(|i| (0..D::SIZE).map(|j| net.W[(i, j)] * x[(j, 0)]).sum()).collect();
        let (_, g) = net.grad(&x);
        let ds = z.iter().map(|z| z.tanh()).sum::<f64>() + 2.0 * (s - b);
        assert!(
            (g.s[(0, 0)] - ds).abs() < 1e-12 && (g.b[(0, 0)] + 2.0 * (s - b)).abs() < 1e-12,
            "seed {seed}"
        );
        for (i, z) in z.iter().enumerate() {
            for j in 0..D::SIZE {
                assert!(
                    (g.W[(i, j)] - s * (1.0 - z.tanh().powi(2)) * x[(j, 0)]).abs() < 1e-12,
                    "seed {seed}"
                );
            }
        }
        assert!(net.gradcheck(&x).is_ok(1e-6), "seed {seed}");
        assert!(net.check_hand_grads(&x).is_ok(1e-12), "seed {seed}");
        let xs = Matrix::<D, One, f64>::from_slice(x.as_slice()).unwrap();
        let (_, gb) = net.grad_batch(&xs);
        assert!(gb.s.approx_eq(&g.s, 1e-12) && gb.b.approx_eq(&g.b, 1e-12), "seed {seed}");
    }
    let net = ScalarParams::<f32>::init(1);
    assert_eq!((net.s[(0, 0)], net.b[(0, 0)]), (0.0, 0.0), "scalar params start at zero, as biases do");
    let path =
        std::env::temp_dir().join(format!("shapegrad-scalar-params-{}.safetensors", std::process::id()));
    let net = ScalarParams::<f32> { s: Matrix::from_fn(|_, _| 1.5), ..net };
    net.save(&path).unwrap();
    assert_eq!(ScalarParams::<f32>::load(&path).unwrap(), net);
    std::fs::remove_file(path).unwrap();
}

net! { net Decay { param W: [H, D]; input x: [D]; loss sum(tanh(W @ x)) + 0.0005 * sum(square(W)); } }

#[test]
fn constants_fold_in_the_derivation() {
    // 0.0005 · 2W is written 0.001 W.
    assert!(Decay::derivation().contains("+ 0.001 W"), "{}", Decay::derivation());
    let mut rng = Pcg64Mcg::seed_from_u64(1);
    assert!(
        Decay::<f64> { W: random(&mut rng, -1.0, 1.0) }.gradcheck(&random(&mut rng, -1.0, 1.0)).is_ok(1e-6)
    );
}

dims! { Cl = 3; }
net! { net HandCe { param W: [Cl, D]; input x: [D]; label y: Cl; let z = W @ x; loss -dot(onehot(y), log_softmax(z)); } }

#[test]
fn cross_entropy_written_by_hand_derives_softmax_minus_onehot() {
    // L = −log softmax(z)_y: ∂W = (softmax(z) − onehot(y)) xᵀ; the derivation says so.
    for seed in 0..20 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = HandCe::<f64> { W: random(&mut rng, -2.0, 2.0) };
        let x: Vector<D, f64> = random(&mut rng, -1.0, 1.0);
        let y = Class::<Cl>::new(seed as usize % 3).unwrap();
        let z: Vec<f64> =
            (0..Cl::SIZE).map(|i| (0..D::SIZE).map(|j| net.W[(i, j)] * x[(j, 0)]).sum()).collect();
        let total: f64 = z.iter().map(|z| z.exp()).sum();
        let (loss, g) = net.grad(&x, y);
        assert!((loss - (total.ln() - z[y.index()])).abs() < 1e-12, "seed {seed}");
        for (i, z) in z.iter().enumerate() {
            let dz = z.exp() / total - f64::from(u8::from(i == y.index()));
            for j in 0..D::SIZE {
                assert!((g.W[(i, j)] - dz * x[(j, 0)]).abs() < 1e-12, "seed {seed}");
            }
        }
        let xs = Matrix::<D, One, f64>::from_slice(x.as_slice()).unwrap();
        let ys = Classes::<Cl, One>::from_slice(&[y.index()]).unwrap();
        assert!(net.grad_batch(&xs, &ys).1.W.approx_eq(&g.W, 1e-12), "seed {seed}");
    }
    assert!(HandCe::derivation().contains("∂z = softmax(z) − onehot(y)"), "{}", HandCe::derivation());
}

net! { net Hinge { param W: [Cl, D]; input x: [D]; label y: Cl; let z = W @ x; loss svm(z, y); } }

#[test]
fn the_hinge_gradient_is_spelled_out() {
    // ∂z = m − onehot(y) sum(m), m_j = [z_j − z_y + 1 > 0] for j ≠ y, m_y = 0.
    for seed in 0..20 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = Hinge::<f64> { W: random(&mut rng, -1.0, 1.0) };
        let x: Vector<D, f64> = random(&mut rng, -1.0, 1.0);
        let y = Class::<Cl>::new(seed as usize % 3).unwrap();
        let z: Vec<f64> =
            (0..Cl::SIZE).map(|i| (0..D::SIZE).map(|j| net.W[(i, j)] * x[(j, 0)]).sum()).collect();
        let m: Vec<f64> = (0..Cl::SIZE)
            .map(|i| f64::from(u8::from(i != y.index() && z[i] - z[y.index()] + 1.0 > 0.0)))
            .collect();
        let count: f64 = m.iter().sum();
        let (_, g) = net.grad(&x, y);
        for (i, m) in m.iter().enumerate() {
            let dz = m - if i == y.index() { count } else { 0.0 };
            for j in 0..D::SIZE {
                assert!((g.W[(i, j)] - dz * x[(j, 0)]).abs() < 1e-12, "seed {seed}");
            }
        }
    }
    let text = Hinge::derivation();
    assert!(text.contains("∂z = m − onehot(y) sum(m) for m = [z − z[y] + 1 > 0], 0 at y"), "{text}");
}
