use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; }

net! {
    net Mlp {
        param W1: [H, D];
        param W2: [C, H];
        input x: [D];
        label y: H;
        let z2 = W2 @ relu(W1 @ x);
        loss softmax_cross_entropy(z2, y);
    }
}

fn main() {}
