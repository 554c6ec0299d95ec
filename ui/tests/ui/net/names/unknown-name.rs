use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub B = 32; }

net! {
    net TwoLayer {
        param W1: [H, D];
        param W2: [C, H];
        input x: [D];
        let h1 = sigmoid(W1 @ x);
        loss sum(W2 @ h2);
    }
}

fn main() {}
