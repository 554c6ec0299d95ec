//! Trains the homework's two-layer swish network on the handwritten digits
//! (8×8 images, 10 classes) with Adam: a progress bar while it trains, the
//! test accuracy at the end, a plot of loss and accuracy per epoch, and the
//! weights saved for `classify_digits`.
//!
//! Run: `cargo run --release --example train_digits`
//! Writes `target/train_digits/{weights.safetensors,training.png}`.

use std::error::Error;
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use shapegrad::data::Digit;
use shapegrad::data::digits::{Digits, Pixels};
use shapegrad::optim::{Adam, Optimizer};
use shapegrad::prelude::*;

mod common;
use common::plot::plot;
use common::{Batch, DigitNet, OUT_DIR, argmax, prepared_digits};

const EPOCHS: usize = 60;
const SEED: u64 = 7;

/// The fraction of `data` whose largest logit is at the label.
fn accuracy(net: &DigitNet, data: &Digits) -> f64 {
    let correct = (0..data.len())
        .filter(|&i| {
            let (x, y) = data.example::<f32>(i);
            argmax(net.forward(&x).as_slice()) == y.index()
        })
        .count();
    correct as f64 / data.len() as f64
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = Path::new(OUT_DIR);
    std::fs::create_dir_all(out)?;
    let (train, test) = prepared_digits()?;
    println!(
        "{} training and {} test images of {} pixels, {} classes",
        train.len(),
        test.len(),
        Pixels::SIZE,
        Digit::SIZE
    );

    let mut net = DigitNet::<f32>::init(SEED);
    let mut adam = Adam::new(1e-3).with_weight_decay(1e-3);
    let batches = train.num_batches::<Batch>();
    let (mut xs, mut ys) = (Matrix::<Pixels, Batch>::zeros(), Classes::<Digit, Batch>::zeros());
    let (mut losses, mut train_acc, mut test_acc) = (Vec::new(), Vec::new(), Vec::new());

    let bar = ProgressBar::new((EPOCHS * batches) as u64);
    bar.set_style(ProgressStyle::with_template("{bar:40} epoch {msg} [{elapsed}]")?);
    let start = Instant::now();
    for epoch in 0..EPOCHS {
        let shuffled = train.shuffled(SEED + epoch as u64);
        let mut total = 0.0;
        for k in 0..batches {
            shuffled.batch_into(k, &mut xs, &mut ys);
            let (loss, grads) = net.grad_batch(&xs, &ys);
            adam.step(&mut net, &grads);
            total += f64::from(loss);
            bar.inc(1);
        }
        losses.push(total / batches as f64);
        train_acc.push(accuracy(&net, &train));
        test_acc.push(accuracy(&net, &test));
        bar.set_message(format!(
            "{}/{EPOCHS}: loss {:.4}, train {:.1}%, test {:.1}%",
            epoch + 1,
            losses[epoch],
            100.0 * train_acc[epoch],
            100.0 * test_acc[epoch]
        ));
    }
    bar.finish();
    let elapsed = start.elapsed();

    let final_acc = test_acc[EPOCHS - 1];
    let correct = (final_acc * test.len() as f64).round() as usize;
    println!(
        "trained {EPOCHS} epochs of {batches} batches of {} in {:.2} s",
        Batch::SIZE,
        elapsed.as_secs_f64()
    );
    println!("final training loss {:.4}", losses[EPOCHS - 1]);
    println!("test accuracy: {:.1}% ({correct}/{})", 100.0 * final_acc, test.len());

    let weights = out.join("weights.safetensors");
    net.save(&weights)?;
    println!("weights saved to {}", weights.display());
    let chart = out.join("training.png");
    plot(&chart, &losses, &train_acc, &test_acc)?;
    println!("plot written to {}", chart.display());
    if final_acc < 0.97 {
        return Err(format!("test accuracy {:.1}% is below 97%", 100.0 * final_acc).into());
    }
    Ok(())
}
