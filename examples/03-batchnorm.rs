//! Batchnorm, the backward pass a backprop course asks students to derive
//! (UCLA C147 homework 4, CS231n assignment 2): the net is written once;
//! this prints its derivation (the training form in the compact
//! `∂x = (γ/σ)(∂y − mean(∂y) − x̂ ⊙ mean(∂y ⊙ x̂))`), checks the training
//! gradient against finite differences in f64, compares it with the
//! step-by-step version through the batch mean and variance written out by
//! hand below, and then trains an MLP with batchnorm and dropout on the
//! handwritten digits.
//!
//! Run: `cargo run --release --example 03-batchnorm`

use std::error::Error;

use shapegrad::check::numeric_gradient;
use shapegrad::data::Digit;
use shapegrad::data::digits::{self, Pixels};
use shapegrad::optim::{Adam, Optimizer};
use shapegrad::prelude::*;
use shapegrad::random::Rng;

dims! {
    /// Features of the small net.
    pub D = 5;
    /// Hidden units.
    pub H = 4;
    /// Classes of the small net.
    pub C = 3;
    /// Examples per batch of the check.
    pub B = 6;
    /// Hidden units of the digits net.
    pub Hidden = 128;
    /// Examples per training batch.
    pub Batch = 32;
}

net! {
    /// The homework's layer: a = batchnorm(W x), a softmax on top.
    pub net Small {
        param W1: [H, D];
        param gamma: [H];
        param beta: [H];
        param W2: [C, H];
        input x: [D];
        label y: C;
        let a = batchnorm(W1 @ x, gamma, beta);
        loss softmax_cross_entropy(W2 @ relu(a), y);
    }
}

net! {
    /// Digits: 64 pixels → 128 (batchnorm, relu, dropout) → 10.
    pub net DigitBn {
        param W1: [Hidden, Pixels];
        param b1: [Hidden];
        param g1: [Hidden];
        param s1: [Hidden];
        param W2: [Digit, Hidden];
        param b2: [Digit];
        input x: [Pixels];
        label y: Digit;
        let a1 = batchnorm(W1 @ x + b1, g1, s1);
        let h1 = dropout(relu(a1), 0.2);
        let z2 = W2 @ h1 + b2;
        output z2;
        loss softmax_cross_entropy(z2, y);
    }
}

/// ∂a → ∂z through the batch mean and variance, step by step as the
/// computational graph of the forward pass goes (per feature `i`, over the
/// `n` columns): μ = mean(z), d = z − μ, v = mean(d²), s = √(v + ε),
/// x̂ = d/s, a = γx̂ + β.
fn by_hand(z: &Matrix<H, B, f64>, gamma: &Vector<H, f64>, da: &Matrix<H, B, f64>) -> Matrix<H, B, f64> {
    let n = B::SIZE as f64;
    let mut dz = Matrix::zeros();
    for i in 0..H::SIZE {
        let mu = (0..B::SIZE).map(|b| z[(i, b)]).sum::<f64>() / n;
        let d: Vec<f64> = (0..B::SIZE).map(|b| z[(i, b)] - mu).collect();
        let v = d.iter().map(|x| x * x).sum::<f64>() / n;
        let s = (v + 1e-5).sqrt();
        // a = γ x̂ + β          → ∂x̂ = γ ∂a
        let dxhat: Vec<f64> = (0..B::SIZE).map(|b| gamma[i] * da[(i, b)]).collect();
        // x̂ = d / s            → ∂d = ∂x̂ / s,  ∂s = −Σ ∂x̂ d / s²
        let ds = -dxhat.iter().zip(&d).map(|(g, d)| g * d).sum::<f64>() / (s * s);
        // s = √(v + ε)          → ∂v = ∂s / (2s)
        let dv = ds / (2.0 * s);
        // v = mean(d²)          → ∂d += 2 d ∂v / n
        let dd: Vec<f64> = (0..B::SIZE).map(|b| dxhat[b] / s + 2.0 * d[b] * dv / n).collect();
        // d = z − μ, μ = mean(z) → ∂z = ∂d − mean(∂d)
        let mean_dd = dd.iter().sum::<f64>() / n;
        for b in 0..B::SIZE {
            dz[(i, b)] = dd[b] - mean_dd;
        }
    }
    dz
}

fn main() -> Result<(), Box<dyn Error>> {
    println!("{}", Small::derivation());

    // The training gradient against finite differences of the training loss.
    let net = Small::<f64>::init(5);
    let xs = Matrix::<D, B, f64>::from_fn(|i, j| ((3 * i + 5 * j) as f64 * 0.7).sin());
    let ys = Classes::<C, B>::from_slice(&[0, 1, 2, 2, 1, 0])?;
    let (loss, grad) = net.grad_batch(&xs, &ys);
    let mut q = net.clone();
    let numeric = numeric_gradient(
        &net.W1,
        |w| {
            q.W1.copy_from(w);
            q.loss_batch(&xs, &ys)
        },
        1e-6,
    );
    let fd_error = grad.W1.max_abs_diff(&numeric);
    println!("batch loss {loss:.6}; ∂W1 against finite differences: max |error| {fd_error:.2e}");

    // The same ∂W1 through the step-by-step backward pass: ∂a from the
    // softmax and relu above the batchnorm, then `by_hand`, then ∂W1 = ∂z Xᵀ.
    let z = net.W1.matmul(&xs);
    let mut a = Matrix::<H, B, f64>::zeros();
    for i in 0..H::SIZE {
        let mu = (0..B::SIZE).map(|b| z[(i, b)]).sum::<f64>() / B::SIZE as f64;
        let v = (0..B::SIZE).map(|b| (z[(i, b)] - mu).powi(2)).sum::<f64>() / B::SIZE as f64;
        for b in 0..B::SIZE {
            a[(i, b)] = net.gamma[i] * (z[(i, b)] - mu) / (v + 1e-5).sqrt() + net.beta[i];
        }
    }
    let h = a.map(|v| v.max(0.0));
    let logits = net.W2.matmul(&h);
    let mut dlogits = Matrix::<C, B, f64>::zeros();
    for b in 0..B::SIZE {
        let col: Vec<f64> = (0..C::SIZE).map(|c| logits[(c, b)]).collect();
        let m = col.iter().cloned().fold(f64::MIN, f64::max);
        let sum: f64 = col.iter().map(|v| (v - m).exp()).sum();
        for c in 0..C::SIZE {
            let onehot = f64::from(c == ys.get(b).index());
            dlogits[(c, b)] = ((col[c] - m).exp() / sum - onehot) / B::SIZE as f64;
        }
    }
    let dh = net.W2.t_matmul(&dlogits);
    let da = Matrix::<H, B, f64>::from_fn(|i, b| if a[(i, b)] > 0.0 { dh[(i, b)] } else { 0.0 });
    let dw1 = by_hand(&z, &net.gamma, &da).matmul_t(&xs);
    let hand_error = grad.W1.max_abs_diff(&dw1);
    println!("∂W1 against the step-by-step hand-written backward pass: max |error| {hand_error:.2e}");
    if fd_error > 1e-7 || hand_error > 1e-12 {
        return Err("the batchnorm gradient disagrees".into());
    }

    // An MLP with batchnorm and dropout on the digits.
    let (train, test) = digits::train_test()?;
    let mut net = DigitBn::<f32>::init(7);
    let mut adam = Adam::new(1e-3);
    let mut rng = Rng::seed(7);
    for epoch in 0..30 {
        for (xs, ys) in train.shuffled(epoch).batches::<Batch, f32>() {
            let (_, grads) = net.grad_batch(&xs, &ys, &mut rng); // training: batch statistics, dropout
            adam.step(&mut net, &grads); // also moves the running statistics
        }
    }
    // Evaluation: running statistics, no dropout; every test example, in
    // batches (the last one padded, the padding ignored).
    let confusion = test.confusion::<Batch, f32>(|xs| net.forward_batch(xs));
    let (accuracy, correct) = (confusion.accuracy(), confusion.correct());
    println!(
        "digits, batchnorm + dropout MLP: test accuracy {:.1}% ({correct}/{})",
        100.0 * accuracy,
        test.len()
    );
    if accuracy < 0.95 {
        return Err(format!("test accuracy {:.1}% is below 95%", 100.0 * accuracy).into());
    }
    Ok(())
}
