use shapegrad::prelude::*;

dims! { pub D = 8; }

net! {
    net Layer {
        param w: [D];
        input t: [];
        loss dot(w, w) * t;
    }
}

fn main() {}
