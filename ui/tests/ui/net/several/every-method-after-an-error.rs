// A net with an error in a `let` still has every item a valid net has, so
// the code that uses it gets the net's error alone: no "no method named
// `forward`", no mismatched types, no unsatisfied trait bound.
use shapegrad::model::{Net, Predict};
use shapegrad::prelude::*;

dims! { pub D = 8; pub H = 16; pub C = 4; pub B = 32; }

net! {
    net Mlp {
        param W1: [H, D];
        param b1: [C];
        param W2: [C, H];
        param b2: [C];
        input x: [D];
        label y: C;
        let h = relu(W1 @ x + b1);
        let z = W2 @ h + b2;
        output z;
        loss softmax_cross_entropy(z, y);
        grad x;
    }
}

fn per_example(net: &Mlp, x: &Vector<D>, y: Class<C>) -> Vector<C> {
    let (loss, grads) = net.grad(x, y);
    let mut ws = MlpWorkspace::new();
    let mut out = MlpGrad::zeros();
    let _: f32 = loss + net.loss(x, y) + net.loss_with(&mut ws, x, y) + net.grad_into(&mut ws, x, y, &mut out);
    let _ = (grads.W1.as_slice(), net.gradcheck(x, y).is_ok(1e-3), net.check_hand_grads(x, y));
    let z = net.forward(x);
    let _ = net.forward_with(&mut ws, x).as_slice();
    let _ = Net::loss(net, x, &y) + Predict::forward(net, x)[(0, 0)];
    let (_, _, inputs) = net.grad_inputs(x, y);
    let _: &Vector<D> = &inputs.x;
    z
}

fn batched(net: &Mlp, xs: &Matrix<D, B>, ys: &Classes<C, B>) -> Matrix<C, B> {
    let (loss, grads) = net.grad_batch(xs, ys);
    let mut ws = MlpBatchWorkspace::<B>::new();
    let mut out = MlpGrad::zeros();
    let _: f32 = loss + net.loss_batch(xs, ys) + net.loss_batch_with(&mut ws, xs, ys);
    let _: f32 = net.grad_batch_into(&mut ws, xs, ys, &mut out);
    let _ = grads.b2;
    net.forward_batch(xs)
}

fn elsewhere(net: &Mlp) -> std::io::Result<()> {
    let bytes: Vec<u8> = net.to_onnx();
    let _ = (bytes, Mlp::summary(), Mlp::derivation(), Mlp::derivation_latex());
    net.save("w.safetensors").ok();
    let _ = Mlp::<f32>::load("w.safetensors").ok().map(|n| n.cast::<f64>());
    net.export_onnx("m.onnx")
}

fn main() {
    let net = Mlp::<f32>::init(1);
    let _ = (per_example, batched, elsewhere, net);
}
