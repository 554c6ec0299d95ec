// A stack runs as a loop over its members, each applied to the value of the
// one before: a layer that changes its argument's shape cannot be stacked,
// and a slip inside the body is reported under the stack's dims, beside
// the net's other slips.
use shapegrad::prelude::*;

dims! { D = 4; H = 3; C = 2; }

net! {
    layer Up(x) {
        param W: [C, H];
        W @ x
    }

    layer Slip(x) {
        param W: [H, D];
        x + W @ x
    }

    net Slips {
        input x: [H];
        label y: C;
        param ups: [Up; 3];
        param slips: [Slip; 2];
        param V: [C, H];
        let a = ups(x);
        let b = slips(x);
        loss softmax_cross_entropy(V @ b + a, y);
    }
}

fn main() {}
