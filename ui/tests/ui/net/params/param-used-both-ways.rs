// `W` is used as declared once, so the other use is the slip: the error
// stays at that use.
use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; }

net! {
    net Tied {
        param W: [D, H];
        input x: [D];
        input h: [H];
        loss sum(W @ h) + sum(W @ x);
    }
}

fn main() {}
