use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub B = 32; }

// `W * x` with `x: [D]` is elementwise along the rows of `W` (axes named by
// their dims); with a matrix on the right, `*` cannot be elementwise and the
// matrix product is suggested.
net! {
    net Layer {
        param W: [H, D];
        input X: [D, B];
        loss sum(W * X);
    }
}

fn main() {}
