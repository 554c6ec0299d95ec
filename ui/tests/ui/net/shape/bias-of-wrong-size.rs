use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub B = 32; }

net! {
    net Batch {
        param W1: [H, D];
        param b1: [D];
        input X: [D, B];
        loss sum(W1 @ X + b1);
    }
}

fn main() {}
