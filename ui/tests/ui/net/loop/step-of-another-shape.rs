// Every step of a state has its `init`'s shape; a step is a vector or a
// scalar, not a matrix.
use shapegrad::prelude::*;

dims! { pub D = 3; pub H = 4; pub V = 6; pub T = 5; }

net! {
    net WrongStep {
        param Wx: [V, D];
        param Wh: [H, H];
        input x: [T, D];
        input h0: [H];
        for t in T {
            init h = h0;
            let h[t] = tanh(Wx @ x[t]) + 0.0 * sum(Wh @ h[t - 1]);
            let m[t] = x[t] @ x[t].T;
        }
        loss sum(h);
    }
}

fn main() {}
