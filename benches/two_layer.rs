//! Problem 3's two-layer swish network, shared by the benchmarks that time
//! it (`workloads` at 8-16-4 and 784-128-10, `two_cores`).

use shapegrad::prelude::*;

net! {
    pub net TwoLayer<D, H, C> {
        param W1: [H, D];
        param b1: [H];
        param W2: [C, H];
        param b2: [C];
        input x: [D];
        label y: C;
        let z1 = W1 @ x + b1;
        let h1 = z1 * sigmoid(z1);
        let z2 = W2 @ h1 + b2;
        loss softmax_cross_entropy(z2, y);
    }
}
