use shapegrad::prelude::*;

dims! { pub D = 8; pub O = 2; }

net! {
    net Regressor {
        param W: [O, D];
        input x: [D];
        target t: [O];
        let e = W @ x - t;
        output e;
        loss sum(e * e);
    }
}

fn main() {}
