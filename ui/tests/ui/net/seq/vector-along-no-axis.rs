use shapegrad::prelude::*;

dims! { R = 3; C = 4; K = 5; }

net! {
    net Axes {
        param A: [R, C];
        param v: [K];
        loss sum(A * v) + sum(A + v);
    }
}

fn main() {}
