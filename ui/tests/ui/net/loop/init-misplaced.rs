// `init` gives a state of a loop its value before step 0: it sits inside
// the `for`, beside the state's `let h[t] = …;`, once.
use shapegrad::prelude::*;

dims! { pub D = 3; pub H = 4; pub T = 5; }

net! {
    net Misplaced {
        param Wx: [H, D];
        param Wh: [H, H];
        input x: [T, D];
        input h0: [H];
        init g = h0;
        for t in T {
            init h = h0;
            init h = h0;
            init k = h0;
            let h[t] = tanh(Wx @ x[t] + Wh @ h[t - 1]);
        }
        loss sum(h);
    }
}

fn main() {}
