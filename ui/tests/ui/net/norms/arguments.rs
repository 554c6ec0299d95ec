use shapegrad::prelude::*;

dims! { D = 4; C = 3; H = 5; }

net! {
    net Normed {
        param W: [C, D];
        param g: [D];
        param s: [H];
        param M: [D, D];
        input x: [D];
        label y: C;
        let a = dropout(x, 1.0);
        let b = dropout(x, g);
        let c = layernorm(x, g, s);
        let d = layernorm(M, s, s);
        loss softmax_cross_entropy(W @ x, y) + sum(g) + sum(s) + sum(M);
    }
}

fn main() {}
