use shapegrad::prelude::*;

dims! { D = 3; H = 4; }

net! {
    net Gates {
        param Wx: [4 * H, D];
        input x: [D];
        let a = Wx @ x;
        loss sum(a[H..x]) + sum(a[2 * H..H]);
    }
}

fn main() {}
