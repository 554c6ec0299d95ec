//! The homework's two nets written with `net!`: derived gradients against
//! closed forms computed independently here with typed matrices, the answer
//! sheets' slips caught by `check_hand_grads`, and the derivations.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::ops::softmax_cross_entropy;
use shapegrad::prelude::*;

dims! { M = 3; N = 5; D = 6; H = 7; C = 4; }

fn random<R: Dim, K: Dim>(rng: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| rng.random_range(-1.0..1.0))
}

net! {
    /// Problem 1, as the correct answer sheet writes it (a different association from the derived form).
    net Autoencoder<M, N> {
        param W: [M, N];
        input x: [N];
        let z = W @ x;
        let v = W.T @ z - x;
        loss 0.5 * sum(v * v);
        grad W = W @ (v @ x.T) + (W @ x) @ v.T;
    }
}

net! {
    /// Problem 1 with one sheet's slip: ∇W = 2W(v xᵀ).
    net AutoencoderSheetSlip<M, N> {
        param W: [M, N];
        input x: [N];
        let v = W.T @ W @ x - x;
        loss 0.5 * sum(v * v);
        grad W = 2.0 * W @ (v @ x.T);
    }
}

#[test]
fn autoencoder_gradient_is_w_v_xt_plus_w_x_vt() {
    for seed in 0..10 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = Autoencoder::<M, N, f64> { W: random(&mut rng) };
        let x: Vector<N, f64> = random(&mut rng);
        let (loss, g) = net.grad(&x);
        // Independently: v = WᵀWx − x, L = ½ vᵀv, ∇W = W v xᵀ + W x vᵀ.
        let w = &net.W;
        let v = w.t() * &(w * &x) - &x;
        assert!((loss - 0.5 * v.dot(&v)).abs() < 1e-12);
        let closed = (w * &v).outer(&x) + (w * &x).outer(&v);
        assert!(g.W.approx_eq(&closed, 1e-12), "seed {seed}");
        assert!(net.gradcheck(&x).is_ok(1e-6), "seed {seed}");
        assert!(net.check_hand_grads(&x).is_ok(1e-12), "seed {seed}: the correct closed form passes");

        let slip = AutoencoderSheetSlip::<M, N, f64> { W: net.W.clone() };
        let report = slip.check_hand_grads(&x);
        assert!(!report.is_ok(1e-3), "seed {seed}: 2W(v xᵀ) must be flagged\n{report}");
    }
}

#[test]
fn autoencoder_with_two_dims_of_equal_size() {
    // M and N both 4: only their names tell W Wᵀ from Wᵀ W.
    let net = Autoencoder::<U4, U4, f64>::init(5);
    let x = Vector::<U4, f64>::from_slice(&[1.0, -2.0, 0.5, 3.0]).unwrap();
    assert!(net.gradcheck(&x).is_ok(1e-6));
}

net! {
    /// Problem 3, with the correct hand formulas written differently from the derived ones.
    net TwoLayer {
        param W1: [H, D];
        param b1: [H];
        param W2: [C, H];
        param b2: [C];
        input x: [D];
        label y: C;
        let z1 = W1 @ x + b1;
        let h1 = z1 * sigmoid(z1);
        let z2 = W2 @ h1 + b2;
        output z2;
        loss softmax_cross_entropy(z2, y);

        grad b2 = softmax(z2) - onehot(y);
        grad W2 = softmax(z2) @ h1.T - onehot(y) @ h1.T;
        grad b1 = (W2.T @ (softmax(z2) - onehot(y))) * (sigmoid(z1) + z1 * sigmoid(z1) * (1.0 - sigmoid(z1)));
        grad W1 = ((W2.T @ (softmax(z2) - onehot(y))) * (sigmoid(z1) + z1 * sigmoid(z1) * (1.0 - sigmoid(z1)))) @ x.T;
    }
}

net! {
    /// Problem 3 with the answer sheets' slips: swish′ = σ(2 − σ), and a
    /// gradient of W1 that drops the factor W2ᵀ ∂z2.
    net TwoLayerSheetSlips {
        param W1: [H, D];
        param b1: [H];
        param W2: [C, H];
        param b2: [C];
        input x: [D];
        label y: C;
        let z1 = W1 @ x + b1;
        let h1 = z1 * sigmoid(z1);
        let z2 = W2 @ h1 + b2;
        loss softmax_cross_entropy(z2, y);

        grad b1 = (W2.T @ (softmax(z2) - onehot(y))) * (sigmoid(z1) * (2.0 - sigmoid(z1)));
        grad W1 = (sigmoid(z1) + z1 * sigmoid(z1) * (1.0 - sigmoid(z1))) @ x.T;
    }
}

#[test]
fn two_layer_gradients_match_the_closed_forms() {
    for seed in 0..10 {
        let mut rng = Pcg64Mcg::seed_from_u64(100 + seed);
        let net = TwoLayer::<f64> {
            W1: random(&mut rng),
            b1: random(&mut rng),
            W2: random(&mut rng),
            b2: random(&mut rng),
        };
        let x: Vector<D, f64> = random(&mut rng);
        let y = Class::<C>::new(rng.random_range(0..4)).unwrap();
        let (loss, g) = net.grad(&x, y);

        // Independently, with typed matrices:
        let z1 = &net.W1 * &x + &net.b1;
        let s = z1.map(|z| 1.0 / (1.0 + (-z).exp()));
        let h1 = z1.hadamard(&s);
        let z2 = &net.W2 * &h1 + &net.b2;
        let dz2 = z2.softmax() - y.onehot::<f64>();
        let dz1 = (net.W2.t() * &dz2).hadamard(&s.zip_map(&z1, |s, z| s * (1.0 + z * (1.0 - s))));
        assert!((loss - softmax_cross_entropy(&z2, y)).abs() < 1e-12);
        assert!(g.b2.approx_eq(&dz2, 1e-12), "seed {seed}");
        assert!(g.W2.approx_eq(&dz2.outer(&h1), 1e-12), "seed {seed}");
        assert!(g.b1.approx_eq(&dz1, 1e-12), "seed {seed}");
        assert!(g.W1.approx_eq(&dz1.outer(&x), 1e-12), "seed {seed}");
        assert!(net.forward(&x).approx_eq(&z2, 1e-12));
        assert!(net.gradcheck(&x, y).is_ok(1e-6), "seed {seed}");

        let hand = net.check_hand_grads(&x, y);
        assert_eq!(hand.entries().len(), 4);
        assert!(hand.is_ok(1e-12), "seed {seed}: the correct formulas pass\n{hand}");

        let slips = TwoLayerSheetSlips::<f64> {
            W1: net.W1.clone(),
            b1: net.b1.clone(),
            W2: net.W2.clone(),
            b2: net.b2.clone(),
        };
        let report = slips.check_hand_grads(&x, y);
        assert!(
            report.get("b1").unwrap().max_mixed > 1e-3,
            "seed {seed}: σ(2 − σ) must be flagged\n{report}"
        );
        assert!(
            report.get("W1").unwrap().max_mixed > 1e-3,
            "seed {seed}: the dropped factor must be flagged\n{report}"
        );
    }
}

#[test]
fn derivations_read_as_the_correct_answers() {
    assert_eq!(
        Autoencoder::<M, N>::derivation(),
        "backward pass of `Autoencoder`, with ∂X = ∂L/∂X and L = 0.5 * sum(v * v)
∂v = v                              [N]
∂z = W v                            [M]
∂W = ∂z xᵀ + z vᵀ = W v xᵀ + z vᵀ   [M×N]
"
    );
    assert_eq!(
        TwoLayer::derivation(),
        "backward pass of `TwoLayer`, with ∂X = ∂L/∂X and L = softmax_cross_entropy(z2, y)
∂z2 = softmax(z2) − onehot(y)                                            [C]
∂h1 = W2ᵀ ∂z2                                                            [H]
∂z1 = ∂h1 ⊙ σ(z1)(1 + z1(1 − σ(z1)))                                     [H]
∂b2 = ∂z2 = softmax(z2) − onehot(y)                                      [C]
∂W2 = ∂z2 h1ᵀ = (softmax(z2) − onehot(y)) h1ᵀ                            [C×H]
∂b1 = ∂z1 = (W2ᵀ (softmax(z2) − onehot(y))) ⊙ σ(z1)(1 + z1(1 − σ(z1)))   [H]
∂W1 = ∂z1 xᵀ                                                             [H×D]
"
    );
    assert_eq!(
        Autoencoder::<M, N>::derivation_latex(),
        "\\begin{aligned}
\\partial v &= v && [N] \\\\
\\partial z &= W v && [M] \\\\
\\partial W &= \\partial z x^\\top + z v^\\top = W v x^\\top + z v^\\top && [M \\times N]
\\end{aligned}"
    );
    assert_eq!(
        TwoLayer::derivation_latex(),
        "\\begin{aligned}
\\partial z_{2} &= \\operatorname{softmax}(z_{2}) - \\operatorname{onehot}(y) && [C] \\\\
\\partial h_{1} &= W_{2}^\\top \\partial z_{2} && [H] \\\\
\\partial z_{1} &= \\partial h_{1} \\odot \\sigma(z_{1})(1 + z_{1}(1 - \\sigma(z_{1}))) && [H] \\\\
\\partial b_{2} &= \\partial z_{2} = \\operatorname{softmax}(z_{2}) - \\operatorname{onehot}(y) && [C] \\\\
\\partial W_{2} &= \\partial z_{2} h_{1}^\\top && [C \\times H] \\\\
\\partial b_{1} &= \\partial z_{1} && [H] \\\\
\\partial W_{1} &= \\partial z_{1} x^\\top && [H \\times D]
\\end{aligned}"
    );
}

#[test]
fn derivations_exist_for_every_element_type_and_name_the_instantiated_dims() {
    // Through `Derivation` (in the prelude) for f64; the text does not depend on T.
    assert_eq!(TwoLayer::<f64>::derivation(), TwoLayer::derivation());
    assert_eq!(
        <Autoencoder<M, N, f64> as Derivation>::derivation_latex(),
        Autoencoder::<M, N>::derivation_latex()
    );
    // Autoencoder<M, N> instantiated with H and D writes H and D.
    assert_eq!(
        Autoencoder::<H, D>::derivation(),
        "backward pass of `Autoencoder`, with ∂X = ∂L/∂X and L = 0.5 * sum(v * v)
∂v = v                              [D]
∂z = W v                            [H]
∂W = ∂z xᵀ + z vᵀ = W v xᵀ + z vᵀ   [H×D]
"
    );
    assert!(Autoencoder::<H, D, f64>::derivation_latex().contains("[H \\times D]"));
    // Built once per instantiation: repeated calls return the same text.
    assert!(std::ptr::eq(Autoencoder::<H, D>::derivation(), Autoencoder::<H, D>::derivation()));
}

/// The page that shows the net, from code: its values with their shapes,
/// its graph (a node per value) and its derivation (a MathML row per adjoint).
#[test]
fn the_two_layer_net_explains_itself_as_a_page() {
    let page = TwoLayer::explain_html();
    assert!(page.starts_with("<!DOCTYPE html>"));
    for shape in ["z1: [H]", "h1: [H]", "z2: [C]", "loss: a scalar"] {
        assert!(page.contains(shape), "no `{shape}` in the page");
    }
    assert_eq!(page.matches("<g class=\"node\"").count(), 10);
    assert_eq!(
        page.matches("<mtr").count(),
        TwoLayer::derivation().lines().filter(|l| l.starts_with('∂')).count()
    );
}
