//! `layernorm` and `dropout` in `net!`: the layer normalization against a
//! reference written here and finite differences (f64), per example and
//! batched (B = 2 and B = 5); dropout's two modes — the identity in
//! evaluation, the same masks for the same seed in training, the training
//! gradient against finite differences of the training loss with the same
//! masks — and the derivation's compact line.

use rand::{Rng as _, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::check::numeric_gradient;
use shapegrad::prelude::*;
use shapegrad::random::Rng;

dims! { D = 6; H = 5; C = 3; B2 = 2; B5 = 5; }

net! {
    net Normed {
        param W1: [H, D];
        param b1: [H];
        param g1: [H];
        param s1: [H];
        param W2: [C, H];
        input x: [D];
        label y: C;
        let h1 = tanh(layernorm(W1 @ x + b1, g1, s1));
        let z2 = W2 @ h1;
        output z2;
        loss softmax_cross_entropy(z2, y);
    }
}

net! {
    net Dropped {
        param W1: [H, D];
        param b1: [H];
        param W2: [C, H];
        input x: [D];
        label y: C;
        let h1 = dropout(tanh(W1 @ x + b1), 0.4);
        let z2 = W2 @ dropout(h1, 0.25);
        output z2;
        loss softmax_cross_entropy(z2, y);
    }
}

fn random<R: Dim, K: Dim>(g: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| g.random_range(-1.0..1.0))
}

fn normed(seed: u64) -> Normed<f64> {
    let mut g = Pcg64Mcg::seed_from_u64(seed);
    Normed {
        W1: random(&mut g),
        b1: random(&mut g),
        g1: random(&mut g),
        s1: random(&mut g),
        W2: random(&mut g),
    }
}

/// The layer normalization as a textbook writes it.
fn layernorm_reference(v: &[f64], gamma: &[f64], beta: &[f64]) -> Vec<f64> {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / n;
    v.iter().zip(gamma).zip(beta).map(|((a, g), b)| g * (a - mean) / (var + 1e-5).sqrt() + b).collect()
}

#[test]
fn layernorm_is_the_reference_and_its_gradient_the_finite_difference() {
    for seed in 0..20 {
        let net = normed(seed);
        let mut g = Pcg64Mcg::seed_from_u64(100 + seed);
        let x: Vector<D, f64> = random(&mut g);
        let y = Class::<C>::new(g.random_range(0..3)).unwrap();
        let z = &net.W1 * &x + &net.b1;
        let h: Vec<f64> = layernorm_reference(z.as_slice(), net.g1.as_slice(), net.s1.as_slice())
            .into_iter()
            .map(f64::tanh)
            .collect();
        let z2 = net.forward(&x);
        for c in 0..C::SIZE {
            let want: f64 = (0..H::SIZE).map(|j| net.W2[(c, j)] * h[j]).sum();
            assert!((z2[(c, 0)] - want).abs() < 1e-12, "seed {seed}");
        }
        let report = net.gradcheck(&x, y);
        assert!(report.is_ok(1e-7), "seed {seed}:\n{report}");
    }
}

#[test]
fn layernorm_batches_are_their_examples() {
    fn check<Bt: Dim>(seed: u64) {
        let net = normed(seed);
        let mut g = Pcg64Mcg::seed_from_u64(200 + seed);
        let xs: Matrix<D, Bt, f64> = random(&mut g);
        let labels: Vec<usize> = (0..Bt::SIZE).map(|_| g.random_range(0..3)).collect();
        let ys = Classes::<C, Bt>::from_slice(&labels).unwrap();
        let (loss, grad) = net.grad_batch(&xs, &ys);
        let mut mean_loss = 0.0;
        let mut mean_w1 = Matrix::<H, D, f64>::zeros();
        let mut mean_g1 = Vector::<H, f64>::zeros();
        for b in 0..Bt::SIZE {
            let (l, gb) = net.grad(&xs.column(b), ys.get(b));
            mean_loss += l / Bt::SIZE as f64;
            mean_w1.axpy(1.0 / Bt::SIZE as f64, &gb.W1);
            mean_g1.axpy(1.0 / Bt::SIZE as f64, &gb.g1);
        }
        assert!((loss - mean_loss).abs() < 1e-12);
        assert!(grad.W1.approx_eq(&mean_w1, 1e-12) && grad.g1.approx_eq(&mean_g1, 1e-12));
    }
    for seed in 0..5 {
        check::<B2>(seed);
        check::<B5>(seed);
    }
}

fn dropped(seed: u64) -> Dropped<f64> {
    let mut g = Pcg64Mcg::seed_from_u64(seed);
    Dropped { W1: random(&mut g), b1: random(&mut g), W2: random(&mut g) }
}

#[test]
fn dropout_is_the_identity_in_evaluation() {
    let net = dropped(1);
    let mut g = Pcg64Mcg::seed_from_u64(9);
    let xs: Matrix<D, B5, f64> = random(&mut g);
    let out = net.forward_batch(&xs);
    for b in 0..B5::SIZE {
        let x = xs.column(b);
        let h = (&net.W1 * &x + &net.b1).map(f64::tanh);
        assert!(net.forward(&x).approx_eq(&(&net.W2 * &h), 1e-14));
        assert!(out.column(b).approx_eq(&net.forward(&x), 1e-14));
    }
}

#[test]
fn dropout_trains_with_the_callers_masks() {
    for seed in 0..5 {
        let net = dropped(seed);
        let mut g = Pcg64Mcg::seed_from_u64(300 + seed);
        let xs: Matrix<D, B2, f64> = random(&mut g);
        let ys = Classes::<C, B2>::from_slice(&[0, 2]).unwrap();
        // The same seed, the same masks: the same loss and gradient.
        let (l1, g1) = net.grad_batch(&xs, &ys, &mut Rng::seed(seed));
        let (l2, g2) = net.grad_batch(&xs, &ys, &mut Rng::seed(seed));
        assert_eq!((l1, &g1), (l2, &g2));
        assert_eq!(net.loss_batch(&xs, &ys, &mut Rng::seed(seed)), l1);
        // Against finite differences of the training loss with those masks.
        let mut q = net.clone();
        let numeric = numeric_gradient(
            &net.W1,
            |w| {
                q.W1.copy_from(w);
                q.loss_batch(&xs, &ys, &mut Rng::seed(seed))
            },
            1e-6,
        );
        assert!(g1.W1.approx_eq(&numeric, 1e-7), "seed {seed}");
        // Masks differ between draws: over 200 seeds, the loss is not constant.
        let losses: Vec<f64> = (0..200).map(|s| net.loss_batch(&xs, &ys, &mut Rng::seed(s))).collect();
        assert!(losses.iter().any(|&l| (l - losses[0]).abs() > 1e-9));
    }
}

#[test]
fn the_derivation_writes_layernorm_compactly() {
    let text = Normed::derivation();
    assert!(
        text.contains("− mean(")
            && text.contains(")/σ(W1 x + b1)")
            && text.contains("⊙ normalize(W1 x + b1)"),
        "{text}"
    );
    assert!(Normed::derivation_latex().contains("\\frac{"), "{}", Normed::derivation_latex());
}
