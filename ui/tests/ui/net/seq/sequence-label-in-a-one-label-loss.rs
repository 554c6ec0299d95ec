use shapegrad::prelude::*;

dims! { V = 6; M = 4; T = 5; C = 3; }

net! {
    net Tagger {
        param E: [V, M];
        param W: [C, M];
        input ws: [T] of V;
        input xs: [T, M] of V;
        label ys: [T] of C;
        let Z = W @ E[ws].T;
        loss softmax_cross_entropy(Z, ys);
    }
}

fn main() {}
