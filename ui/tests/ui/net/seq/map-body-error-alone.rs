// A slip inside a map's body (logits of the wrong size for the labels) is
// reported once: the loop is not lifted and `l`, used after it, gets no
// follow-on error.
use shapegrad::prelude::*;

dims! { pub D = 3; pub H = 4; pub T = 5; pub V = 6; }

net! {
    net Tagger {
        param W: [H, D];
        input x: [T, D];
        label ys: [T] of V;
        let s = x @ W.T;
        for t in T {
            let l[t] = softmax_cross_entropy(s[t], ys[t]);
        }
        loss mean(l);
    }
}

fn main() {}
