// `let l[t] = …;` defines a step of a sequence, which only a `for` has; and
// inside a loop, the sequence being defined is read as `l[t]`, not `l`.
use shapegrad::prelude::*;

dims! { pub D = 3; pub T = 5; }

net! {
    net Steps {
        param w: [D];
        input x: [T, D];
        let l[t] = dot(w, x[t]);
        for t in T {
            let m[t] = dot(w, x[t]);
            let n[t] = m * 2.0;
        }
        loss sum(w);
    }
}

fn main() {}
