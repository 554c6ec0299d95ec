// A layer's body ends with its value, holds `param`s and `let`s only, and
// its name is defined once.
use shapegrad::prelude::*;

dims! { D = 4; C = 2; }

net! {
    layer NoValue(x) {
        param W: [C, D];
        let z = W @ x;
    }

    layer WithInput(x) {
        input v: [D];
        x
    }

    layer Twice(x) {
        x
    }

    layer Twice(x) {
        x
    }

    net Uses {
        input x: [D];
        label y: C;
        param W: [C, D];
        loss softmax_cross_entropy(W @ x, y);
    }
}

fn main() {}
