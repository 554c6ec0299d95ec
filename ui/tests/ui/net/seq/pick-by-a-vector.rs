use shapegrad::prelude::*;

dims! { V = 6; M = 4; }

net! {
    net Embed {
        param E: [V, M];
        input x: [V];
        loss sum(E[x]);
    }
}

fn main() {}
