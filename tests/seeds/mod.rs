//! The nets of the two seed homework sheets, at any sizes, for the tests
//! that need small nets of their shapes (`mod seeds;`).

#![allow(dead_code)]

use shapegrad::prelude::*;

net! {
    /// Problem 3: z₁ = W₁x + b₁, h₁ = swish(z₁), z₂ = W₂h₁ + b₂, L = CE(softmax(z₂), y).
    pub net TwoLayer<D, H, C> {
        param W1: [H, D];
        param b1: [H];
        param W2: [C, H];
        param b2: [C];
        input x: [D];
        label y: C;
        let z1 = W1 @ x + b1;
        let z2 = W2 @ (z1 * sigmoid(z1)) + b2;
        output z2;
        loss softmax_cross_entropy(z2, y);
    }
}

net! {
    /// Problem 1: the tied-weight autoencoder, L = ½‖Wᵀ W x − x‖².
    pub net Autoencoder<M, N> {
        param W: [M, N];
        input x: [N];
        let z = W @ x;
        let v = W.T @ z - x;
        loss 0.5 * sum(v * v);
    }
}
