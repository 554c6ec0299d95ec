// A state's `init` has the shape of its steps: `h` is [H], `h0` is [D].
// A state is a vector: a scalar `init` is refused too.
use shapegrad::prelude::*;

dims! { pub D = 3; pub H = 4; pub T = 5; }

net! {
    net WrongInit {
        param Wx: [H, D];
        param Wh: [H, H];
        param w: [H];
        input x: [T, D];
        input h0: [D];
        for t in T {
            init h = h0;
            init s = 0.0;
            let h[t] = tanh(Wx @ x[t] + Wh @ h[t - 1]);
            let s[t] = s[t - 1] + dot(w, h[t]);
        }
        loss sum(s);
    }
}

fn main() {}
