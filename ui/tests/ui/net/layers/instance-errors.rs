// Each slip with layers, reported together: an unknown layer, an instance
// missing a dim, an instance used as a value, a call with two arguments,
// a shape slip inside a layer's body under the instance's dims, and a
// stack of a layer without arguments.
use shapegrad::prelude::*;

dims! { D = 4; H = 3; C = 2; }

net! {
    layer Dense<I, O>(x) {
        param W: [O, I];
        param b: [O];
        W @ x + b
    }

    layer Gate(x) {
        param U: [H, H];
        U @ x
    }

    layer Bias() {
        param c: [H];
        c
    }

    net Slips {
        input x: [D];
        label y: C;
        param l1: Dense<D, H>;
        param l2: Dense<C>;
        param l3: Dens<H, C>;
        param g: Gate;
        param l4: Dense<H, C>;
        param biases: [Bias; 3];
        let h = l1(x) + l1;
        let k = g(x);
        let z = l4(h, h);
        loss softmax_cross_entropy(l4(h), y);
    }
}

fn main() {}
