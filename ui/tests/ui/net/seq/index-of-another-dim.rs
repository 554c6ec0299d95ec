use shapegrad::prelude::*;

dims! { V = 6; K = 5; M = 4; }

net! {
    net Embed {
        param E: [V, M];
        input w: K;
        loss sum(E[w]);
    }
}

fn main() {}
