use shapegrad::prelude::*;

dims! { C = 1; H = 8; W = 6; F = 4; }

net! {
    net Cnn {
        param K1: [F, C, 3, 3];
        param b1: [F];
        input x: [C, H, W];
        let z1 = conv2d(x, K1, b1, pad = 1);
        let p1 = maxpool2d(relu(z1), 4);
        loss sum(p1);
    }
}

fn main() {}
