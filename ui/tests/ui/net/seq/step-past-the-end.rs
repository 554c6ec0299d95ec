use shapegrad::prelude::*;

dims! { D = 3; H = 4; }

net! {
    net Steps {
        param W: [H, D];
        input x: [D];
        let z = W @ x;
        loss z[H] + z[2 * H - 1];
    }
}

fn main() {}
