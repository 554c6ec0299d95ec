use shapegrad::prelude::*;

dims! { C = 1; H = 8; W = 8; }

net! {
    net Generic<N> {
        param K1: [N, C, 3, 3];
        param b1: [N];
        input x: [C, H, W];
        loss sum(conv2d(x, K1, b1));
    }
}

fn main() {}
