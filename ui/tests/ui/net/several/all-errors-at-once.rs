// Every error of the invocation is reported, and the code below that uses
// the net gets no follow-on errors: a stub of the net is emitted anyway.
use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub B = 32; }

net! {
    net TwoLayer {
        param W1: [H, D];
        param b1: [H];
        param W2: [C, H];
        input x: [D];
        label y: C;
        let z1 = W1 @ x + b1;
        let h1 = relu(z1);
        let z2 = W2 @ z1.T;
        loss softmax_cross_entropy(z3, y);
        grad b1 = W2 @ z1;
    }
}

fn train(net: &mut TwoLayer, x: &Vector<D>, y: Class<C>) -> f32 {
    let (loss, grads) = net.grad(x, y);
    net.W1.axpy(-0.1, &grads.W1);
    loss
}

fn main() {}
