//! Homework problem 3: a two-layer swish network with softmax cross-entropy,
//! written once with `net!`. The backward pass is derived at compile time;
//! this prints it, checks it against finite differences and against the
//! hand-written formulas, and runs a few steps of gradient descent.
//!
//! Run: `cargo run --release --example 02-two-layer`

use shapegrad::prelude::*;

dims! {
    /// Input features.
    pub D = 8;
    /// Hidden units.
    pub H = 16;
    /// Classes.
    pub C = 4;
}

net! {
    /// Problem 3: z₁ = W₁x + b₁, h₁ = swish(z₁), z₂ = W₂h₁ + b₂, L = CE(softmax(z₂), y).
    pub net TwoLayer {
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

        // The answer sheets' formulas, checked against the derived ones.
        grad b2 = softmax(z2) - onehot(y);
        grad W2 = (softmax(z2) - onehot(y)) @ h1.T;
        grad b1 = (W2.T @ (softmax(z2) - onehot(y))) * (sigmoid(z1) * (1.0 + z1 * (1.0 - sigmoid(z1))));
    }
}

fn main() -> Result<(), ShapeError> {
    println!("{}", TwoLayer::derivation());

    let mut net = TwoLayer::<f64>::init(3);
    let x = Vector::<D, f64>::from_slice(&[0.5, -1.0, 0.25, 2.0, -0.75, 1.5, 0.0, -0.5])?;
    let y = Class::<C>::new(2)?;

    let check = net.gradcheck(&x, y);
    println!("derived gradients vs central finite differences:\n{check}\n");
    assert!(check.is_ok(1e-6), "the derived gradient disagrees with finite differences");
    let hand = net.check_hand_grads(&x, y);
    println!("hand-written `grad` lines vs derived:\n{hand}\n");

    println!("gradient descent, step 0.5:");
    for step in 0..=20 {
        let (loss, g) = net.grad(&x, y);
        if step % 5 == 0 {
            println!("  step {step:>2}  L = {loss:.6}  p(y) = {:.4}", net.forward(&x).softmax()[y.index()]);
        }
        net.W1.axpy(-0.5, &g.W1);
        net.b1.axpy(-0.5, &g.b1);
        net.W2.axpy(-0.5, &g.W2);
        net.b2.axpy(-0.5, &g.b2);
    }
    Ok(())
}
