use shapegrad::prelude::*;

dims! { D = 4; C = 3; H = 5; F = 2; S = 4; }

net! {
    net Normed {
        param W: [C, D];
        param g: [D];
        param s: [D];
        param gf: [F];
        param M: [D, D];
        input x: [D];
        input img: [F, S, S];
        label y: C;
        let a = batchnorm(x, g, gf);
        let b = batchnorm(M, g, s);
        let c = batchnorm(img, g, s);
        let d = batchnorm(x, g, s) + batchnorm(x, g, s);
        let e = batchnorm(img, gf, gf);
        loss softmax_cross_entropy(W @ x, y) + sum(batchnorm(x, g, s)) + sum(M) + sum(e);
    }
}

fn main() {}
