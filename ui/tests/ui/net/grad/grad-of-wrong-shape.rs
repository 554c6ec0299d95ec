use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub B = 32; }

net! {
    net Layer {
        param W: [H, D];
        input x: [D];
        let z = W @ x;
        loss 0.5 * sum(z * z);
        grad W = x @ z.T;
    }
}

fn main() {}
