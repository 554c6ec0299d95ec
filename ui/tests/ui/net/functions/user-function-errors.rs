// Functions of a net: a name `net!` has already, a function defined twice,
// a call with the wrong number of arguments, a function that calls itself,
// and a slip inside a body (reported at the body) — all reported together.
use shapegrad::prelude::*;

dims! { pub D = 3; pub H = 4; }

net! {
    /// A gate.
    fn gate(a, b) = sigmoid(a) * tanh(b);
    fn gate(a) = a;
    fn sigmoid(v) = v;
    fn forever(v) = forever(v) + 1.0;
    fn wrong(v) = v @ v;

    net N {
        param W: [H, D];
        input x: [D];
        let h = gate(W @ x);
        let k = forever(W @ x);
        let m = wrong(W @ x);
        loss sum(h) + sum(k) + sum(m);
    }
}

fn main() {}
