//! `target NAME: [N];`: a real-valued target for regression, an argument of
//! the loss and the gradients (and their batched forms) but not of `forward`.

use shapegrad::prelude::*;

dims! { In = 3; Hidden = 5; Out = 2; Batch = 4; }

net! {
    pub net Regressor {
        param W1: [Hidden, In];
        param b1: [Hidden];
        param W2: [Out, Hidden];
        param b2: [Out];
        input x: [In];
        target t: [Out];
        let h = tanh(W1 @ x + b1);
        let y = W2 @ h + b2;
        output y;
        loss mse(y, t);
    }
}

fn net() -> Regressor<f64> {
    let mut net = Regressor::<f64>::zeros();
    net.W1 = Matrix::from_fn(|i, j| 0.3 * ((i * 3 + j) as f64 * 0.7).sin());
    net.b1 = Vector::from_fn(|i, _| 0.1 * i as f64 - 0.2);
    net.W2 = Matrix::from_fn(|i, j| 0.4 * ((i * 5 + j) as f64 * 1.3).cos());
    net.b2 = Vector::from_fn(|i, _| 0.05 * i as f64);
    net
}

#[test]
fn forward_takes_the_inputs_only_and_the_loss_is_the_mean_squared_error() {
    let net = net();
    let x = Vector::<In, f64>::from_slice(&[0.5, -1.0, 2.0]).unwrap();
    let t = Vector::<Out, f64>::from_slice(&[0.25, -0.75]).unwrap();
    let y = net.forward(&x);
    // The same prediction written out by hand.
    let h: Vec<f64> =
        (0..5).map(|i| ((0..3).map(|j| net.W1[(i, j)] * x[j]).sum::<f64>() + net.b1[i]).tanh()).collect();
    let want: Vec<f64> =
        (0..2).map(|o| (0..5).map(|i| net.W2[(o, i)] * h[i]).sum::<f64>() + net.b2[o]).collect();
    for o in 0..2 {
        assert!((y[o] - want[o]).abs() < 1e-12, "{} vs {}", y[o], want[o]);
    }
    let mse = ((want[0] - 0.25).powi(2) + (want[1] + 0.75).powi(2)) / 2.0;
    assert!((net.loss(&x, &t) - mse).abs() < 1e-12);
}

#[test]
fn gradients_match_finite_differences_at_several_points() {
    for seed in 0..5u64 {
        let mut net = net();
        net.W1 = Matrix::from_fn(|i, j| ((seed as f64 + 1.0) * (i * 3 + j) as f64 * 0.37).sin());
        let x = Vector::<In, f64>::from_fn(|i, _| (seed as f64 * 0.9 + i as f64).cos());
        let t = Vector::<Out, f64>::from_fn(|i, _| (seed as f64 + i as f64 * 2.1).sin());
        let report = net.gradcheck(&x, &t);
        assert!(report.is_ok(1e-7), "seed {seed}: {report}");
    }
}

#[test]
fn the_batched_gradient_is_the_mean_of_the_per_example_ones() {
    let net = net();
    let xs = Matrix::<In, Batch, f64>::from_fn(|i, b| ((i * 4 + b) as f64 * 0.61).sin());
    let ts = Matrix::<Out, Batch, f64>::from_fn(|i, b| ((i * 4 + b) as f64 * 0.29).cos());
    let (loss, g) = net.grad_batch(&xs, &ts);
    let mut mean_loss = 0.0;
    let mut mean_w1 = vec![0.0; 15];
    for b in 0..4 {
        let (x, t) = (xs.column(b), ts.column(b));
        let (l, gb) = net.grad(&x, &t);
        mean_loss += l / 4.0;
        mean_w1.iter_mut().zip(gb.W1.as_slice()).for_each(|(m, v)| *m += v / 4.0);
    }
    assert!((loss - mean_loss).abs() < 1e-12);
    for (a, b) in g.W1.as_slice().iter().zip(&mean_w1) {
        assert!((a - b).abs() < 1e-12);
    }
    let ys = net.forward_batch(&xs);
    assert_eq!(ys.column(2).as_slice(), net.forward(&xs.column(2)).as_slice());
}
