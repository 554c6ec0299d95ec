// A step reads an earlier step of a state, never a later one.
use shapegrad::prelude::*;

dims! { pub D = 3; pub H = 4; pub T = 5; }

net! {
    net Ahead {
        param Wx: [H, D];
        param Wh: [H, H];
        input x: [T, D];
        input h0: [H];
        for t in T {
            init h = h0;
            let h[t] = tanh(Wx @ x[t] + Wh @ h[t + 1]);
        }
        loss sum(h);
    }
}

fn main() {}
