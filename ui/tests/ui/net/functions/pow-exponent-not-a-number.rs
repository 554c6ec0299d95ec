use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; }

net! {
    net Layer {
        param W: [H, D];
        param a: [H];
        input x: [D];
        loss sum(pow(W @ x, sum(a)));
    }
}

fn main() {}
