use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; }

net! {
    net Mlp {
        param W1: [H, D];
        param b1: [D];
        param W2: [C, H];
        input x: [D];
        label y: C;
        let z1 = W1 @ x + b1;
        let z2 = W2 @ relu(z1);
        loss softmax_cross_entropy(z2, y);
    }
}

fn main() {}
