// A net with two modes (dropout) whose graph has no batched form (a
// per-example matrix input) cannot loop over its examples either (a batch's
// masks are drawn for the whole batch); calling a batched method says so where
// it is called.
use shapegrad::prelude::*;

dims! { pub D = 4; pub T = 3; pub H = 5; pub B = 8; }

net! {
    net Seq {
        param W: [H, D];
        input x: [T, D];
        loss sum(dropout(x @ W.T, 0.5));
    }
}

fn main() {
    let net = Seq::<f32>::zeros();
    let xs = Tensor3::<T, D, B>::zeros();
    let _ = net.grad_batch(&xs);
}
