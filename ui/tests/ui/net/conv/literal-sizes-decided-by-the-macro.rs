use shapegrad::prelude::*;

dims! { F = 4; }

net! {
    net Cnn {
        param K1: [F, 1, 5, 5];
        param b1: [F];
        input x: [1, 6, 4];
        let z = conv2d(x, K1, b1);
        let p = avgpool2d(x, 4);
        loss sum(z) + sum(p);
    }
}

fn main() {}
