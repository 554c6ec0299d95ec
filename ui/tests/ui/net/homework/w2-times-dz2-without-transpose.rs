// Problem 3(c): ∂L/∂h₁ = W₂ · ∂L/∂z₂ written as a hand-derived gradient.
use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub B = 32; }

net! {
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
        loss softmax_cross_entropy(z2, y);
        grad b1 = (W2 @ (softmax(z2) - onehot(y))) * sigmoid(z1);
    }
}

fn main() {}
