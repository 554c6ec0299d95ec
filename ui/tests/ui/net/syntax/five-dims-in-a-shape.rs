use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub B = 32; pub E = 2; }

net! {
    net Layer {
        param W: [H, D, C, B, E];
        input x: [D];
        loss sum(x);
    }
}

fn main() {}
