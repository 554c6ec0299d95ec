//! The traits `net!` implements and the generic training loop on them,
//! against the same computations written with the inherent methods.

use shapegrad::data::Dataset;
use shapegrad::fit::{Event, Fit};
use shapegrad::model::{BatchNet, Net, Predict, PredictBatch};
use shapegrad::optim::schedule::{Schedule, StepDecay};
use shapegrad::optim::{Adam, Optimizer};
use shapegrad::prelude::*;
use shapegrad::random::Rng;

dims! { D = 3; H = 5; C = 4; B = 6; }

net! {
    net Classifier {
        param W1: [H, D];
        param b1: [H];
        param W2: [C, H];
        input x: [D];
        label y: C;
        let z = W2 @ relu(W1 @ x + b1);
        output z;
        loss softmax_cross_entropy(z, y);
    }
}

fn data() -> Dataset<D, C> {
    let features = (0..3 * 40).map(|i| ((i * 37 % 23) as f32 / 23.0 - 0.5) * 2.0).collect();
    let labels = (0..40).map(|i| (i * 7 + i / 5) % 4).collect();
    Dataset::new(features, labels).unwrap()
}

#[test]
fn the_traits_call_the_inherent_methods() {
    let net = Classifier::<f64>::init(5);
    let (x, y) = data().example::<f64>(3);
    let (l, g) = Net::grad(&net, &x, &y);
    assert_eq!((l, g.clone()), net.grad(&x, y));
    assert_eq!(Net::loss(&net, &x, &y), net.loss(&x, y));
    assert_eq!(Predict::forward(&net, &x), net.forward(&x));
    let (xs, ys) = data().batches::<B, f64>().next().unwrap();
    let (lb, gb) = BatchNet::<f64, B, _, _>::grad_batch(&net, &xs, &ys, &mut Rng::seed(1));
    assert_eq!((lb, gb), net.grad_batch(&xs, &ys));
    assert_eq!(PredictBatch::<f64, B, _, _>::forward_batch(&net, &xs), net.forward_batch(&xs));
}

#[test]
fn fit_is_the_hand_written_loop_step_for_step() {
    let (epochs, seed) = (3, 11);
    let schedule = StepDecay::new(0.05, 5).with_gamma(0.5);

    let mut fitted = Classifier::<f32>::init(2);
    let mut adam = Adam::new(0.0);
    let mut seen = Vec::new();
    let losses = Fit::<B>::new(epochs).seed(seed).schedule(&schedule).clip_norm(0.5).run(
        &mut fitted,
        &mut adam,
        &data(),
        |event, _| seen.push(event),
    );

    let mut by_hand = Classifier::<f32>::init(2);
    let mut adam = Adam::new(0.0);
    let mut step = 0;
    let mut want = Vec::new();
    for epoch in 0..epochs {
        let shuffled = data().shuffled(seed + epoch as u64);
        let mut total = 0.0;
        for (xs, ys) in shuffled.batches::<B, f32>() {
            let (loss, mut g) = by_hand.grad_batch(&xs, &ys);
            let norm = [g.W1.as_slice(), g.b1.as_slice(), g.W2.as_slice()]
                .concat()
                .iter()
                .map(|v| f64::from(*v).powi(2))
                .sum::<f64>()
                .sqrt();
            if norm > 0.5 {
                let s = (0.5 / norm) as f32;
                g.W1 = &g.W1 * s;
                g.b1 = &g.b1 * s;
                g.W2 = &g.W2 * s;
            }
            adam.lr = schedule.lr(step) as f32;
            adam.step(&mut by_hand, &g);
            step += 1;
            total += f64::from(loss);
        }
        want.push(total / 6.0);
    }
    assert_eq!(step, 18);
    assert_eq!(seen.len(), 18 + 3);
    assert!(matches!(seen[6], Event::Epoch { epoch: 0, .. }));
    for (a, b) in losses.iter().zip(&want) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
    assert!(fitted.W1.approx_eq(&by_hand.W1, 1e-5) && fitted.W2.approx_eq(&by_hand.W2, 1e-5));
    assert!(losses[2] < losses[0], "it learns: {losses:?}");
}
