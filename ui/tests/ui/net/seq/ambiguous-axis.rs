// A vector [T] with a [T×T] matrix could go down each column or along each
// row: an error that shows both explicit forms (for `+` and for `/`).
use shapegrad::prelude::*;

dims! { pub T = 4; pub D = 3; }

net! {
    net Scores {
        param Wq: [T, D];
        param b: [T];
        input x: [T, D];
        let s = x @ Wq.T;
        let a = softmax(s + b);
        loss sum(a / b);
    }
}

fn main() {}
