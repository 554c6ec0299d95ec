// The `_` of `W` would take its size from the conv's output, which failed:
// the conv's error is reported alone, not a follow-on "cannot infer this `_`".
use shapegrad::prelude::*;

dims! { C = 3; H = 8; W = 8; F = 4; G = 2; K = 10; }

net! {
    net Cnn {
        param K1: [F, G, 3, 3];
        param b1: [F];
        param W3: [K, _];
        input x: [C, H, W];
        label y: K;
        let z = W3 @ flatten(relu(conv2d(x, K1, b1)));
        loss softmax_cross_entropy(z, y);
    }
}

fn main() {}
