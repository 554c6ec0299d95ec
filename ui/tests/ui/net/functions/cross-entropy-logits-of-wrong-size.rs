use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub B = 32; }

net! {
    net Classifier {
        param W: [H, D];
        input x: [D];
        label y: C;
        loss softmax_cross_entropy(W @ x, y);
    }
}

fn main() {}
