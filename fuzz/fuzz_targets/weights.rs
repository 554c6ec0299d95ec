//! Loading weights from arbitrary bytes into a net with a matrix, a vector,
//! convolution kernels, a scalar and batchnorm running statistics: an error
//! value or the weights, never a panic, never an allocation the file does
//! not back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shapegrad::prelude::*;

dims! { C = 2; H = 4; F = 3; K = 5; }

net! {
    net Target {
        param K1: [F, C, 3, 3];
        param b1: [F];
        param g1: [F];
        param s1: [F];
        param W2: [K, _];
        param t: [];
        input x: [C, H, H];
        label y: K;
        let a1 = batchnorm(conv2d(x, K1, b1, pad = 1), g1, s1);
        loss softmax_cross_entropy(W2 @ flatten(a1), y) + t * t;
    }
}

fuzz_target!(|bytes: &[u8]| {
    let mut net = Target::<f32>::zeros();
    let _ = shapegrad::io::from_bytes(&mut net, bytes);
    let mut net = Target::<f64>::zeros();
    let _ = shapegrad::io::from_bytes_with(&mut net, bytes, shapegrad::io::Finite::Allow);
});
