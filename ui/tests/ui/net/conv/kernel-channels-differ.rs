use shapegrad::prelude::*;

dims! { C = 3; H = 8; W = 8; F = 4; G = 2; }

net! {
    net Cnn {
        param K1: [F, G, 3, 3];
        param b1: [F];
        input x: [C, H, W];
        loss sum(conv2d(x, K1, b1));
    }
}

fn main() {}
