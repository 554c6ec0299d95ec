//! Checkpoints: a weights file records its net and loading checks it; an
//! optimizer's state saves and loads, so that a resumed run continues bit
//! for bit.

use shapegrad::io::{
    Checks, Identity, WeightsError, from_bytes, from_bytes_checked, optimizer_from_bytes, optimizer_to_bytes,
    to_bytes,
};
use shapegrad::optim::{Adam, Momentum, Optimizer, OptimizerState, RmsProp};
use shapegrad::prelude::*;

dims! { D = 4; H = 6; C = 3; B = 5; }

net! {
    net Normed {
        param W1: [H, D];
        param gamma: [H];
        param beta: [H];
        param W2: [C, H];
        input x: [D];
        label y: C;
        let a = batchnorm(W1 @ x, gamma, beta);
        loss softmax_cross_entropy(W2 @ swish(a), y);
    }
}

fn batch(k: usize) -> (Matrix<D, B>, Classes<C, B>) {
    let xs = Matrix::from_fn(|i, b| ((i * 5 + b * 3 + k * 7) as f32 * 0.37).sin());
    let ys = Classes::from_slice(&(0..5).map(|b| (b + k) % 3).collect::<Vec<_>>()).unwrap();
    (xs, ys)
}

/// `steps` training steps from step `from`.
fn train<O: Optimizer<f32>>(net: &mut Normed, opt: &mut O, from: usize, steps: usize) -> Vec<f32> {
    (from..from + steps)
        .map(|k| {
            let (xs, ys) = batch(k);
            let (loss, g) = net.grad_batch(&xs, &ys);
            opt.step(net, &g);
            loss
        })
        .collect()
}

fn resumes_bit_for_bit<O: Optimizer<f32> + OptimizerState<f32>>(make: impl Fn() -> O) {
    let mut straight = Normed::<f32>::init(4);
    let mut opt = make();
    let losses = train(&mut straight, &mut opt, 0, 10);

    let mut first = Normed::<f32>::init(4);
    let mut opt = make();
    let mut resumed_losses = train(&mut first, &mut opt, 0, 4);
    let (weights, state) = (to_bytes(&first), optimizer_to_bytes(&opt, &first));
    drop((first, opt));

    let mut resumed = Normed::<f32>::zeros();
    from_bytes(&mut resumed, &weights).unwrap();
    let mut opt = make();
    // Changed numbers are restored from the file.
    opt.set_number("lr", 123.0);
    optimizer_from_bytes(&mut opt, &resumed, &state).unwrap();
    resumed_losses.extend(train(&mut resumed, &mut opt, 4, 6));
    assert_eq!(resumed_losses, losses, "{}", opt.name());
    assert_eq!(resumed, straight, "{}: weights and running statistics", opt.name());
}

#[test]
fn a_resumed_run_continues_bit_for_bit() {
    resumes_bit_for_bit(|| Adam::new(0.01).with_weight_decay(1e-3));
    resumes_bit_for_bit(|| Momentum::nesterov(0.05));
    resumes_bit_for_bit(|| RmsProp::new(0.005));
}

mod swish_net {
    use super::*;
    net! { pub net Same { param W: [C, D]; input x: [D]; label y: C; loss softmax_cross_entropy(swish(W @ x), y); } }
}

mod relu_net {
    use super::*;
    net! { pub net Same { param W: [C, D]; input x: [D]; label y: C; loss softmax_cross_entropy(relu(W @ x), y); } }
}

#[test]
fn weights_of_another_net_are_refused_naming_both_unless_asked() {
    let bytes = to_bytes(&swish_net::Same::<f32>::init(1));
    let err = from_bytes(&mut relu_net::Same::<f32>::zeros(), &bytes).unwrap_err();
    let WeightsError::OtherNet { file, this } = &err else { panic!("{err}") };
    assert_eq!((file.0.as_str(), this.0), ("Same", "Same"));
    assert_ne!(file.1, this.1, "the structures differ");
    assert!(err.to_string().contains("other ops or shapes under the same name"), "{err}");

    let err =
        from_bytes(&mut Normed::<f32>::zeros(), &to_bytes(&swish_net::Same::<f32>::init(1))).unwrap_err();
    assert!(err.to_string().starts_with("these weights are of net `Same`, not `Normed`"), "{err}");

    let anyway = Checks { identity: Identity::Ignore, ..Checks::default() };
    let mut relu = relu_net::Same::<f32>::zeros();
    from_bytes_checked(&mut relu, &bytes, anyway).unwrap();
    assert_eq!(relu.W, swish_net::Same::<f32>::init(1).W);
    // The same net's own file loads.
    from_bytes(&mut swish_net::Same::<f32>::zeros(), &bytes).unwrap();
}

#[test]
fn a_file_that_records_no_net_is_checked_by_its_tensors() {
    let net = swish_net::Same::<f32>::init(2);
    let data: Vec<u8> = net.W.as_slice().iter().flat_map(|v| v.to_le_bytes()).collect();
    let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![3, 4], &data).unwrap();
    let bytes = safetensors::serialize([("W", view)], None).unwrap();
    let mut back = relu_net::Same::<f32>::zeros();
    from_bytes(&mut back, &bytes).unwrap();
    assert_eq!(back.W, net.W);
}

#[test]
fn without_the_optimizer_state_a_resumed_run_differs() {
    let mut straight = Normed::<f32>::init(4);
    let mut opt = Adam::new(0.01);
    train(&mut straight, &mut opt, 0, 10);
    let mut resumed = Normed::<f32>::init(4);
    let mut opt = Adam::new(0.01);
    train(&mut resumed, &mut opt, 0, 4);
    let mut fresh = Adam::new(0.01);
    train(&mut resumed, &mut fresh, 4, 6);
    assert_ne!(resumed.W1, straight.W1);
}
