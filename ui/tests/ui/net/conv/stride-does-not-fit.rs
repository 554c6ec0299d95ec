use shapegrad::prelude::*;

dims! { C = 1; H = 8; W = 9; F = 4; }

net! {
    net Cnn {
        param K1: [F, C, 3, 3];
        param b1: [F];
        input x: [C, H, W];
        loss sum(conv2d(x, K1, b1, stride = 2, pad = 1));
    }
}

fn main() {}
