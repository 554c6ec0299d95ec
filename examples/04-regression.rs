//! Regression with a `target`: a small net learns y = sin(x₀)·x₁ + 0.5·x₁²
//! from noisy samples, trained with `Fit`, a warmup-then-cosine schedule and
//! gradient clipping, then checked on held-out examples.
//!
//! Run: `cargo run --release --example 04-regression`

use shapegrad::data::Regression;
use shapegrad::fit::{Event, Fit};
use shapegrad::optim::Adam;
use shapegrad::optim::schedule::{Cosine, Schedule};
use shapegrad::prelude::*;

dims! { In = 2; Hidden = 32; Out = 1; Batch = 32; }

net! {
    net Regressor {
        param W1: [Hidden, In];
        param b1: [Hidden];
        param W2: [Out, Hidden];
        param b2: [Out];
        input x: [In];
        target t: [Out];
        let y = W2 @ tanh(W1 @ x + b1) + b2;
        output y;
        loss mse(y, t);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 2,000 samples on [−2, 2]², noise of ±0.05, a fixed pseudo-random sequence.
    let mut rng = shapegrad::random::Rng::seed(3);
    let (mut xs, mut ts) = (Vec::new(), Vec::new());
    for _ in 0..2000 {
        let (a, b) = (4.0 * rng.uniform() as f32 - 2.0, 4.0 * rng.uniform() as f32 - 2.0);
        xs.extend([a, b]);
        ts.push(a.sin() * b + 0.5 * b * b + 0.1 * (rng.uniform() as f32 - 0.5));
    }
    let (train, test) = Regression::<In, Out>::new(xs, ts)?.split_at(1600);
    let mut net = Regressor::<f32>::init(1);
    let batches = train.num_batches::<Batch>();
    let schedule = Cosine::new(1e-2, 200 * batches - 100).with_warmup(100);
    let fit = Fit::<Batch>::new(200).seed(1).schedule(&schedule).clip_norm(5.0);
    let losses = fit.run(&mut net, &mut Adam::new(0.0), &train, |event, _| {
        if let Event::Epoch { epoch, loss } = event
            && epoch % 50 == 49
        {
            println!("epoch {:>3}: training mse {loss:.5}", epoch + 1);
        }
    });
    let test_mse =
        (0..test.len()).map(|i| f64::from(net.loss(&test.example(i).0, &test.example(i).1))).sum::<f64>()
            / test.len() as f64;
    println!(
        "test mse {test_mse:.5} over {} held-out examples (noise variance {:.5})",
        test.len(),
        0.01 / 12.0
    );
    let (x, t) = test.example::<f32>(0);
    println!("x = {:?}: predicted {:.3}, true {:.3}", x.as_slice(), net.forward(&x)[0], t[0]);
    if test_mse > 0.02 || losses[199] > 0.02 {
        return Err(format!("the fit is poor: test mse {test_mse}").into());
    }
    Ok(())
}
