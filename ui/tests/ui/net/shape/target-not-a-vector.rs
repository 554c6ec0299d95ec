use shapegrad::prelude::*;

dims! { pub D = 8; pub O = 2; }

net! {
    net Regressor {
        param W: [O, D];
        input x: [D];
        target t: [O, D];
        loss mse(W @ x, t);
    }
}

fn main() {}
