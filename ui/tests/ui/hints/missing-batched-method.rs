// A net whose loss multiplies a per-example value from the left (x·xᵀ) has no
// batched form; calling one says so where it is called.
use shapegrad::prelude::*;

dims! { pub D = 4; pub B = 8; }

net! {
    net Gram {
        param W: [D, D];
        input x: [D];
        loss sum(W * (x @ x.T));
    }
}

fn main() {
    let net = Gram::<f32>::zeros();
    let xs = Matrix::<D, B>::zeros();
    let _ = net.grad_batch(&xs);
}
