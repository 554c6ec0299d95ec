//! `batchnorm` in `net!`, per feature and per channel: training gradients
//! against finite differences of the training loss (f64, B = 2 and B = 5)
//! and against the closed form worked out here; the bias before a batchnorm
//! gets a zero gradient; evaluation uses the running statistics, which k
//! training steps move as computed here; they are saved and loaded.

use rand::{Rng as _, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::check::numeric_gradient;
use shapegrad::optim::{Optimizer, Sgd};
use shapegrad::prelude::*;

dims! { D = 4; H = 3; C = 2; B2 = 2; B5 = 5; F = 2; S = 4; }

net! {
    net Bn {
        param W1: [H, D];
        param b1: [H];
        param g1: [H];
        param s1: [H];
        param W2: [C, H];
        input x: [D];
        label y: C;
        let a1 = batchnorm(W1 @ x + b1, g1, s1);
        let z2 = W2 @ tanh(a1);
        output z2;
        loss softmax_cross_entropy(z2, y);
    }
}

net! {
    net Spatial {
        param K1: [F, 1, 3, 3];
        param b1: [F];
        param g1: [F];
        param s1: [F];
        param W2: [C, _];
        input x: [1, S, S];
        label y: C;
        let a1 = batchnorm(conv2d(x, K1, b1, pad = 1), g1, s1);
        let z2 = W2 @ flatten(relu(a1));
        output z2;
        loss softmax_cross_entropy(z2, y);
    }
}

fn random<R: Dim, K: Dim>(g: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| g.random_range(-1.0..1.0))
}

fn bn(seed: u64) -> Bn<f64> {
    let mut g = Pcg64Mcg::seed_from_u64(seed);
    let mut net = Bn {
        W1: random(&mut g),
        b1: random(&mut g),
        g1: random(&mut g),
        s1: random(&mut g),
        W2: random(&mut g),
        ..Bn::zeros()
    };
    net.g1.as_mut_slice().iter_mut().for_each(|v| *v += 1.5);
    net
}

fn labels<K: Dim, N: Dim>(g: &mut Pcg64Mcg) -> Classes<K, N> {
    let v: Vec<usize> = (0..N::SIZE).map(|_| g.random_range(0..K::SIZE)).collect();
    Classes::from_slice(&v).unwrap()
}

/// Each param's training gradient against central differences of
/// `loss_batch` (the same batch statistics recomputed at every probe).
fn check_training<N: Dim>(seed: u64) {
    let net = bn(seed);
    let mut g = Pcg64Mcg::seed_from_u64(10 + seed);
    let xs: Matrix<D, N, f64> = random(&mut g);
    let ys: Classes<C, N> = labels(&mut g);
    let (loss, grad) = net.grad_batch(&xs, &ys);
    assert!((loss - net.loss_batch(&xs, &ys)).abs() < 1e-15);
    let mut q = net.clone();
    let w1 = numeric_gradient(
        &net.W1,
        |w| {
            q.W1.copy_from(w);
            q.loss_batch(&xs, &ys)
        },
        1e-6,
    );
    q.W1.copy_from(&net.W1);
    let g1 = numeric_gradient(
        &net.g1,
        |w| {
            q.g1.copy_from(w);
            q.loss_batch(&xs, &ys)
        },
        1e-6,
    );
    q.g1.copy_from(&net.g1);
    let s1 = numeric_gradient(
        &net.s1,
        |w| {
            q.s1.copy_from(w);
            q.loss_batch(&xs, &ys)
        },
        1e-6,
    );
    assert!(
        grad.W1.approx_eq(&w1, 1e-7) && grad.g1.approx_eq(&g1, 1e-7) && grad.s1.approx_eq(&s1, 1e-7),
        "seed {seed}, B = {}",
        N::SIZE
    );
    // A bias before a batchnorm cannot change the loss: its gradient is 0.
    assert!(grad.b1.as_slice().iter().all(|v| v.abs() < 1e-12), "{:?}", grad.b1.as_slice());
}

#[test]
fn training_gradients_are_the_finite_differences() {
    for seed in 0..10 {
        check_training::<B2>(seed);
        check_training::<B5>(seed);
    }
}

/// The batch gradient of `W1` by hand: z = W1 X + b1, per feature
/// x̂ = (z − μ)/σ, a = γ x̂ + β, ∂a from the loss through tanh and the
/// softmax, ∂z = (γ/σ)(∂a − mean(∂a) − x̂ mean(∂a x̂)), ∂W1 = ∂z Xᵀ.
#[test]
fn the_batch_gradient_is_the_closed_form() {
    for seed in 0..10 {
        let net = bn(seed);
        let mut g = Pcg64Mcg::seed_from_u64(20 + seed);
        let xs: Matrix<D, B5, f64> = random(&mut g);
        let ys: Classes<C, B5> = labels(&mut g);
        let (_, grad) = net.grad_batch(&xs, &ys);
        let n = B5::SIZE as f64;
        let z = &(&net.W1 * &xs) + &Matrix::<H, B5, f64>::from_fn(|i, _| net.b1[i]);
        let mut dz = Matrix::<H, B5, f64>::zeros();
        for i in 0..H::SIZE {
            let mu = (0..B5::SIZE).map(|b| z[(i, b)]).sum::<f64>() / n;
            let var = (0..B5::SIZE).map(|b| (z[(i, b)] - mu).powi(2)).sum::<f64>() / n;
            let sigma = (var + 1e-5).sqrt();
            let xh: Vec<f64> = (0..B5::SIZE).map(|b| (z[(i, b)] - mu) / sigma).collect();
            // ∂a[i, b]: the softmax cross-entropy's (p − onehot)/B back through W2 and tanh.
            let da: Vec<f64> = (0..B5::SIZE)
                .map(|b| {
                    let a: Vec<f64> = (0..H::SIZE)
                        .map(|j| {
                            let mj = (0..B5::SIZE).map(|c| z[(j, c)]).sum::<f64>() / n;
                            let vj = (0..B5::SIZE).map(|c| (z[(j, c)] - mj).powi(2)).sum::<f64>() / n;
                            net.g1[j] * (z[(j, b)] - mj) / (vj + 1e-5).sqrt() + net.s1[j]
                        })
                        .collect();
                    let logits: Vec<f64> = (0..C::SIZE)
                        .map(|c| (0..H::SIZE).map(|j| net.W2[(c, j)] * a[j].tanh()).sum())
                        .collect();
                    let m = logits.iter().cloned().fold(f64::MIN, f64::max);
                    let e: Vec<f64> = logits.iter().map(|l| (l - m).exp()).collect();
                    let sum: f64 = e.iter().sum();
                    let dl: Vec<f64> =
                        (0..C::SIZE).map(|c| (e[c] / sum - f64::from(c == ys.get(b).index())) / n).collect();
                    (0..C::SIZE).map(|c| net.W2[(c, i)] * dl[c]).sum::<f64>() * (1.0 - a[i].tanh().powi(2))
                })
                .collect();
            let mean_da = da.iter().sum::<f64>() / n;
            let mean_dax = da.iter().zip(&xh).map(|(d, x)| d * x).sum::<f64>() / n;
            for b in 0..B5::SIZE {
                dz[(i, b)] = net.g1[i] / sigma * (da[b] - mean_da - xh[b] * mean_dax);
            }
        }
        let want = dz.matmul_t(&xs);
        assert!(grad.W1.approx_eq(&want, 1e-12), "seed {seed}");
    }
}

#[test]
fn running_statistics_follow_the_steps_and_serve_evaluation() {
    let mut net = bn(3);
    let mut g = Pcg64Mcg::seed_from_u64(30);
    let (mut mean, mut var) = (vec![0.0; 3], vec![1.0; 3]);
    let mut sgd = Sgd::new(0.05);
    for _ in 0..4 {
        let xs: Matrix<D, B5, f64> = random(&mut g);
        let ys: Classes<C, B5> = labels(&mut g);
        let z = &(&net.W1 * &xs) + &Matrix::<H, B5, f64>::from_fn(|i, _| net.b1[i]);
        for i in 0..H::SIZE {
            let mu = (0..5).map(|b| z[(i, b)]).sum::<f64>() / 5.0;
            let unbiased = (0..5).map(|b| (z[(i, b)] - mu).powi(2)).sum::<f64>() / 4.0;
            mean[i] = 0.9 * mean[i] + 0.1 * mu;
            var[i] = 0.9 * var[i] + 0.1 * unbiased;
        }
        let (_, grad) = net.grad_batch(&xs, &ys);
        sgd.step(&mut net, &grad);
    }
    for i in 0..H::SIZE {
        assert!((net.a1.mean[i] - mean[i]).abs() < 1e-12 && (net.a1.var[i] - var[i]).abs() < 1e-12);
    }
    // A per-example gradient carries no batch statistics: a step leaves them.
    let x: Vector<D, f64> = random(&mut g);
    let (_, per_example) = net.grad(&x, Class::new(0).unwrap());
    let before = net.a1.clone();
    sgd.step(&mut net, &per_example);
    assert_eq!(net.a1, before);
    // Evaluation normalizes with them.
    let z = &(&net.W1 * &x) + &net.b1;
    let a: Vec<f64> =
        (0..3).map(|i| net.g1[i] * (z[i] - mean[i]) / (var[i] + 1e-5).sqrt() + net.s1[i]).collect();
    let out = net.forward(&x);
    for c in 0..C::SIZE {
        let want: f64 = (0..3).map(|j| net.W2[(c, j)] * a[j].tanh()).sum();
        assert!((out[c] - want).abs() < 1e-12);
    }
    // Saved and loaded with the weights, under `a1.running_mean` and `a1.running_var`.
    let path = std::env::temp_dir().join(format!("shapegrad-bn-{}.safetensors", std::process::id()));
    net.save(&path).unwrap();
    let back = Bn::<f64>::load(&path).unwrap();
    assert_eq!(back, net);
    let mut names = Vec::new();
    shapegrad::optim::Params::visit_state(&back, &mut |p| names.push(p.name));
    assert_eq!(names, ["a1.running_mean", "a1.running_var"]);
    // A file without them (a net without the batchnorm) is refused.
    net! { net Plain { param W1: [H, D]; input x: [D]; loss sum(W1 @ x); } }
    let plain = std::env::temp_dir().join(format!("shapegrad-plain-{}.safetensors", std::process::id()));
    Plain::<f64>::zeros().save(&plain).unwrap();
    let err = Bn::<f64>::load(&plain).unwrap_err().to_string();
    assert!(err.starts_with("these weights are of net `Plain`, not `Bn`"), "{err}");
    // Loaded anyway, it still lacks the tensors.
    let anyway = shapegrad::io::Checks { identity: shapegrad::io::Identity::Ignore, ..Default::default() };
    let err = shapegrad::io::load_with(&mut Bn::<f64>::zeros(), &plain, anyway).unwrap_err().to_string();
    assert!(err.contains("b1") || err.contains("running"), "{err}");
    std::fs::remove_file(&path).ok();
    std::fs::remove_file(&plain).ok();
}

#[test]
fn evaluation_gradients_and_spatial_training_match_finite_differences() {
    for seed in 0..5 {
        let net = bn(seed);
        let mut g = Pcg64Mcg::seed_from_u64(40 + seed);
        let x: Vector<D, f64> = random(&mut g);
        assert!(net.gradcheck(&x, Class::new(1).unwrap()).is_ok(1e-7));
        let s = Spatial::<f64>::init(seed);
        let xs = Tensor4::<U1, S, S, B2, f64>::from_fn(|_, _, _, _| g.random_range(-1.0..1.0));
        let ys: Classes<C, B2> = labels(&mut g);
        let (_, grad) = s.grad_batch(&xs, &ys);
        let mut q = s.clone();
        let k = numeric_gradient(
            &s.K1,
            |w| {
                q.K1.copy_from(w);
                q.loss_batch(&xs, &ys)
            },
            1e-6,
        );
        assert!(grad.K1.approx_eq(&k, 1e-7), "seed {seed}");
        q.K1.copy_from(&s.K1);
        let gm = numeric_gradient(
            &s.g1,
            |w| {
                q.g1.copy_from(w);
                q.loss_batch(&xs, &ys)
            },
            1e-6,
        );
        assert!(grad.g1.approx_eq(&gm, 1e-7), "seed {seed}");
        assert!(
            grad.b1.as_slice().iter().all(|v| v.abs() < 1e-13),
            "a conv bias before a batchnorm: {:?}",
            grad.b1.as_slice()
        );
        let x = Tensor3::<U1, S, S, f64>::from_fn(|_, _, _| g.random_range(-1.0..1.0));
        assert!(s.gradcheck(&x, Class::new(0).unwrap()).is_ok(1e-6));
    }
}

#[test]
fn the_summary_lists_params_and_state() {
    let text = Bn::summary();
    assert!(text.starts_with("Bn: 5 params, 27 values\n") && text.ends_with("total         27\n"), "{text}");
    assert!(text.contains("W1     [H×D]  12\n") && text.contains("W2     [C×H]   6\n"), "{text}");
    assert!(text.contains("a1     (running statistics, not trained: 6 values)"), "{text}");
    assert!(Spatial::summary().contains("K1     [F×1×3×3]"), "{}", Spatial::summary());
}

#[test]
fn the_derivation_prints_the_training_form() {
    let text = Bn::derivation();
    assert!(text.contains("∂(W1 x + b1) = (g1/σ_B) ⊙ (∂a1 − mean_B(∂a1) − x̂ ⊙ mean_B(∂a1 ⊙ x̂))"), "{text}");
    assert!(text.contains("∂g1 = Σ_B ∂a1 ⊙ x̂,  ∂s1 = Σ_B ∂a1"), "{text}");
    assert!(Spatial::derivation().contains("per channel, over the batch and the positions"));
    assert!(Bn::derivation_latex().contains("\\frac{g_{1}}{\\sigma_B}"), "{}", Bn::derivation_latex());
}
