use shapegrad::prelude::*;

dims! { C = 1; H = 8; W = 8; K = 10; }

net! {
    net Dense {
        param W3: [K, _];
        param b3: [K];
        input x: [C, H, W];
        loss sum(b3) + sum(W3) + sum(flatten(x));
    }
}

fn main() {}
