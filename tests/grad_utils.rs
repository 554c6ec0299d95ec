//! The gradient utilities every generated gradient struct has, against
//! values computed here from the fields themselves.

use shapegrad::grads::Gradients;
use shapegrad::prelude::*;

dims! { D = 3; H = 4; C = 2; }

net! {
    net Two {
        param W1: [H, D];
        param b1: [H];
        param W2: [C, H];
        input x: [D];
        label y: C;
        loss softmax_cross_entropy(W2 @ tanh(W1 @ x + b1), y);
    }
}

fn grads() -> TwoGrad<f64> {
    let net = Two::<f64>::init(3);
    let x = Vector::<D, f64>::from_slice(&[1.5, -2.0, 0.5]).unwrap();
    net.grad(&x, Class::new(1).unwrap()).1
}

fn all(g: &TwoGrad<f64>) -> Vec<f64> {
    [g.W1.as_slice(), g.b1.as_slice(), g.W2.as_slice()].concat()
}

#[test]
fn visiting_goes_through_every_param_by_name_in_order() {
    let g = grads();
    let mut seen = Vec::new();
    g.visit_grads(&mut |name, values| seen.push((name, values.to_vec())));
    let names: Vec<&str> = seen.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["W1", "b1", "W2"]);
    assert_eq!(seen[2].1, g.W2.as_slice());
}

#[test]
fn norm_clipping_and_scaling_act_on_all_gradients_together() {
    let g = grads();
    let values = all(&g);
    let norm = values.iter().map(|v| v * v).sum::<f64>().sqrt();
    assert!(norm > 0.1, "a gradient to clip: {norm}");
    assert!((g.global_norm() - norm).abs() < 1e-12);

    let mut clipped = g.clone();
    assert!((clipped.clip_by_norm(norm / 4.0) - norm).abs() < 1e-12);
    for (c, v) in all(&clipped).iter().zip(&values) {
        assert!((c - v / 4.0).abs() < 1e-12);
    }
    let mut untouched = g.clone();
    untouched.clip_by_norm(2.0 * norm);
    assert_eq!(untouched, g);

    let limit = values.iter().fold(0f64, |m, v| m.max(v.abs())) / 2.0;
    let mut by_value = g.clone();
    by_value.clip_by_value(limit);
    for (c, v) in all(&by_value).iter().zip(&values) {
        assert_eq!(*c, v.clamp(-limit, limit));
    }

    let mut scaled = g.clone();
    scaled.scale(-3.0);
    for (c, v) in all(&scaled).iter().zip(&values) {
        assert_eq!(*c, -3.0 * v);
    }
}

#[test]
fn a_nan_gradient_is_reported_and_left_alone_by_norm_clipping() {
    let mut g = grads();
    g.b1[2] = f64::NAN;
    let before = all(&g);
    assert!(g.clip_by_norm(1e-3).is_nan());
    assert_eq!(format!("{:?}", all(&g)), format!("{before:?}"));
}
