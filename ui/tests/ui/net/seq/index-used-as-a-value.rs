use shapegrad::prelude::*;

dims! { V = 6; M = 4; }

net! {
    net Embed {
        param E: [V, M];
        input w: V;
        loss sum(E[w]) + sum(w);
    }
}

fn main() {}
