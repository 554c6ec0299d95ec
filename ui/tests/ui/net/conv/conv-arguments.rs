use shapegrad::prelude::*;

dims! { C = 1; H = 8; W = 8; F = 4; D = 64; }

net! {
    net Cnn {
        param K1: [F, C, 3, 3];
        param b1: [F];
        param b2: [C];
        input x: [C, H, W];
        input v: [D];
        let a = conv2d(v, K1, b1);
        let b = conv2d(x, b1, b1);
        let c = conv2d(x, K1, b2);
        let d = conv2d(x, K1, b1, strides = 2);
        let e = conv2d(x, K1, b1, stride = 0);
        let f = maxpool2d(x, 1.5);
        let g = flatten(v);
        loss sum(x) + sum(b1) + sum(b2) + sum(K1 * K1);
    }
}

fn main() {}
