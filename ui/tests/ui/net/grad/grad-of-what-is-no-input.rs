use shapegrad::prelude::*;

dims! { D = 5; C = 3; }

net! {
    net Linear {
        param W: [C, D];
        input x: [D];
        label y: C;
        loss softmax_cross_entropy(W @ x, y);
        grad W;
        grad y;
        grad q;
        grad x;
        grad x;
    }
}

fn main() {}
