use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub B = 32; }

net! {
    net Classifier {
        param W: [C, D];
        input x: [D];
        label y: C;
        let l = softmax_cross_entropy(W @ x, y);
        output l;
        loss l;
    }
}

fn main() {}
