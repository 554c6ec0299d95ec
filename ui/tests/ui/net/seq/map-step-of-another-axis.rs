// Inside `for t in T`, `x[t]` picks along the axis `T`; `x` is [D×T], whose
// first axis is `D`: an error naming both dims. A second map in the same net
// reads an earlier step, which is a recurrence (no `init` yet), and a third
// defines a step that does not depend on `t`: all three reported together.
use shapegrad::prelude::*;

dims! { pub D = 3; pub T = 5; pub V = 4; }

net! {
    net Steps {
        param W: [V, D];
        input x: [D, T];
        input u: [T, D];
        for t in T {
            let z[t] = W @ x[t];
        }
        for t in T {
            let h[t] = tanh(W @ u[t]) + h[t - 1];
        }
        for t in T {
            let c[t] = sum(W);
        }
        loss sum(W);
    }
}

fn main() {}
