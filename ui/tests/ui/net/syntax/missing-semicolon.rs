use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; }

net! {
    net Layer {
        param W: [H, D];
        input x: [D];
        let z = W @ x
        let h = tanh(z);
        loss sum(h);
    }
}

fn main() {}
