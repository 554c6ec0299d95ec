use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; }

net! {
    net Layer {
        param W: [H, D];
        loss trace(W);
    }
}

fn main() {}
