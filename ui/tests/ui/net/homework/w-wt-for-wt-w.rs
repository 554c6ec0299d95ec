// Problem 1: W Wᵀ written for Wᵀ W. M and N are generic, and even when they
// are given equal sizes they are different dims.
use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub B = 32; }

net! {
    net Autoencoder<M, N> {
        param W: [M, N];
        input x: [N];
        let v = W @ W.T @ x - x;
        loss 0.5 * sum(v * v);
    }
}

fn main() {}
