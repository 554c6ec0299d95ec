use shapegrad::prelude::*;

dims! { D = 4; C = 3; B = 8; }

net! {
    net Dropped {
        param W: [C, D];
        input x: [D];
        label y: C;
        loss softmax_cross_entropy(W @ dropout(x, 0.5), y);
    }
}

fn main() {
    let net = Dropped::init(0);
    let xs = Matrix::<D, B>::zeros();
    let ys = Classes::<C, B>::zeros();
    let _ = net.grad_batch(&xs, &ys);
}
