use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub B = 32; }

net! {
    net Sym<M, N> {
        param W: [M, N];
        loss sum(W + W.T);
    }
}

fn main() {}
