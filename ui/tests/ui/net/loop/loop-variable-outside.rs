// The loop's variable `t` exists inside its `for` only; and a step of a
// sequence is read inside the loop as `l[t]`.
use shapegrad::prelude::*;

dims! { pub D = 3; pub H = 4; pub T = 5; }

net! {
    net Outside {
        param Wx: [H, D];
        param Wh: [H, H];
        input x: [T, D];
        input h0: [H];
        for t in T {
            init h = h0;
            let h[t] = tanh(Wx @ x[t] + Wh @ h[t - 1]);
        }
        let last = h[t];
        loss sum(last);
    }
}

fn main() {}
