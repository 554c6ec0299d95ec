use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub Hh = 16; }

net! {
    net TwoLayer {
        param W1: [Hh, D];
        param W2: [C, H];
        input x: [D];
        loss sum(W2 @ (W1 @ x));
    }
}

fn main() {}
