//! Trains the homework's two-layer swish network on the handwritten digits
//! (8×8 images, 10 classes) with Adam: a progress bar while it trains, the
//! test accuracy at the end, a plot of loss and accuracy per epoch, and the
//! weights saved for `classify_digits`, and the forward pass as an ONNX model.
//!
//! Run: `cargo run --release --example train_digits`
//! Writes `target/train_digits/{weights.safetensors,model.onnx,training.png}`.

use std::error::Error;

use shapegrad::data::Digit;
use shapegrad::data::digits::{Digits, Pixels};
use shapegrad::fit::{Event, Fit};
use shapegrad::optim::Adam;
use shapegrad::prelude::*;

mod common;
use common::progress::Training;
use common::{Batch, DigitNet, OUT_DIR, prepared_digits};

const EPOCHS: usize = 60;
const SEED: u64 = 7;

/// The fraction of `data` whose largest logit is at the label: every
/// example, in batches (the last one partial).
fn accuracy(net: &DigitNet, data: &Digits) -> f64 {
    data.confusion::<Batch, f32>(|xs| net.forward_batch(xs)).accuracy()
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = &common::out_dir(OUT_DIR);
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
    let mut run = Training::new(EPOCHS, train.num_batches::<Batch>())?;
    // Each epoch a shuffle (seed SEED + epoch), then a step per batch.
    Fit::<Batch>::new(EPOCHS).seed(SEED).run(&mut net, &mut adam, &train, |event, net| match event {
        Event::Batch { .. } => run.batch(),
        Event::Epoch { loss, .. } => run.epoch(loss, accuracy(net, &train), accuracy(net, &test)),
    });
    let weights = out.join("weights.safetensors");
    net.save(&weights)?;
    println!("weights saved to {}", weights.display());
    // The forward pass for other engines: input `x` [N, 64], output `z2` [N, 10].
    let model = out.join("model.onnx");
    net.export_onnx(&model)?;
    println!("ONNX model written to {}", model.display());
    let final_acc = run.finish(Batch::SIZE, test.len(), out)?;
    println!("{}", test.confusion::<Batch, f32>(|xs| net.forward_batch(xs)));
    if final_acc < 0.97 {
        return Err(format!("test accuracy {:.1}% is below 97%", 100.0 * final_acc).into());
    }
    Ok(())
}
