// Reading `h[t - 1]` needs the value before step 0: `init h = …;`. Here
// the loop has a state `c` with its `init`, but `h` has none.
use shapegrad::prelude::*;

dims! { pub D = 3; pub H = 4; pub T = 5; }

net! {
    net NoInit {
        param Wx: [H, D];
        param Wh: [H, H];
        input x: [T, D];
        input c0: [H];
        for t in T {
            init c = c0;
            let c[t] = c[t - 1] + Wx @ x[t];
            let h[t] = tanh(c[t] + Wh @ h[t - 1]);
        }
        loss sum(h);
    }
}

fn main() {}
