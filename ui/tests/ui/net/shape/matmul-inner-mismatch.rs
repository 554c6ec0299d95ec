use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub B = 32; }

net! {
    net Layer {
        param W: [H, D];
        input x: [H];
        loss sum(W @ x);
    }
}

fn main() {}
