use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; }

net! {
    net TwoLayer {
        param W1: [H, D];
        param b1: [C];
        param W2: [C, D];
        input x: [D];
        let z1 = W1 @ x + b1;
        let z2 = W2 @ z1;
        loss sum(z2);
    }
}

fn main() {}
