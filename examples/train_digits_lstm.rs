//! Trains an LSTM on the handwritten digits read row by row: each 8×8 image
//! is a sequence of 8 steps of 8 pixels (`[Rows, Cols]`), the LSTM's last
//! hidden state is classified. The recurrence is written once, as a loop
//! over the steps; the backward pass through time is derived. Adam, a
//! progress bar, the test accuracy, a plot of loss and accuracy per epoch,
//! and the weights saved (and reloaded, to check they classify alike).
//!
//! Run: `cargo run --release --example train_digits_lstm`
//! Writes `target/train_digits_lstm/{weights.safetensors,training.png}`.

use std::error::Error;

use shapegrad::data::Digit;
use shapegrad::data::digits::{self, Cols, Digits, Rows};
use shapegrad::fit::{Event, Fit};
use shapegrad::optim::Adam;
use shapegrad::prelude::*;

use shapegrad_report::progress::Training;
use shapegrad_report::{argmax, out_dir};

dims! {
    /// The LSTM's hidden units.
    pub H = 64;
    /// Examples per batch.
    pub Batch = 32;
}

net! {
    /// An LSTM over the rows of an image (PyTorch's gate order i, f, g, o,
    /// one packed product), its initial state learned, its last step classified.
    pub net DigitLstm {
        param Wx: [4 * H, Cols];
        param Wh: [4 * H, H];
        param b: [4 * H];
        param h0: [H];
        param c0: [H];
        param Wy: [Digit, H];
        param by: [Digit];
        input x: [Rows, Cols];
        label y: Digit;
        for t in Rows {
            init h = h0;
            init c = c0;
            let a = Wx @ x[t] + Wh @ h[t - 1] + b;
            let i = sigmoid(a[0..H]);
            let f = sigmoid(a[H..2 * H]);
            let g = tanh(a[2 * H..3 * H]);
            let o = sigmoid(a[3 * H..4 * H]);
            let c[t] = f * c[t - 1] + i * g;
            let h[t] = o * tanh(c[t]);
        }
        let z = Wy @ h[Rows - 1] + by;
        output z;
        loss softmax_cross_entropy(z, y);
    }
}

const EPOCHS: usize = 60;
const SEED: u64 = 7;

/// Example `i` of `data` as a sequence of rows.
fn rows(data: &Digits, i: usize) -> Matrix<Rows, Cols> {
    Matrix::from_fn(|t, c| data.features(i)[t * Cols::SIZE + c])
}

/// The fraction of `data` whose largest logit is at the label.
fn accuracy(net: &DigitLstm, data: &Digits) -> f64 {
    let correct = (0..data.len())
        .filter(|&i| argmax(net.forward(&rows(data, i)).as_slice()) == data.label(i).index())
        .count();
    correct as f64 / data.len() as f64
}

fn main() -> Result<(), Box<dyn Error>> {
    let out = &out_dir("train_digits_lstm");
    std::fs::create_dir_all(out)?;
    // Pixels as the set gives them, in [0, 1], every step's alike.
    let (train, test) = digits::train_test()?;
    println!(
        "{} training and {} test images, each {} steps of {} pixels, {} classes",
        train.len(),
        test.len(),
        Rows::SIZE,
        Cols::SIZE,
        Digit::SIZE
    );
    println!("{}", DigitLstm::derivation());

    let mut net = DigitLstm::<f32>::init(SEED);
    let mut adam = Adam::new(3e-3);
    let mut run = Training::new(EPOCHS, train.num_batches::<Batch>())?;
    let start = std::time::Instant::now();
    // A batch of sequences is a `Tensor3<Rows, Cols, Batch>`, the example index last.
    Fit::<Batch>::new(EPOCHS).seed(SEED).run::<f32, _, _, Tensor3<Rows, Cols, Batch>, _>(
        &mut net,
        &mut adam,
        &train,
        |event, net| match event {
            Event::Batch { .. } => run.batch(),
            Event::Epoch { loss, .. } => run.epoch(loss, accuracy(net, &train), accuracy(net, &test)),
        },
    );
    let seconds = start.elapsed().as_secs_f64();
    let final_acc = run.finish(Batch::SIZE, test.len(), out)?;
    println!("{EPOCHS} epochs in {seconds:.1} s (the accuracies of every epoch included)");
    let weights = out.join("weights.safetensors");
    net.save(&weights)?;
    let reloaded = DigitLstm::<f32>::load(&weights)?;
    if accuracy(&reloaded, &test) != final_acc {
        return Err("the reloaded weights classify differently".into());
    }
    println!("weights saved to {}", weights.display());
    if final_acc < 0.97 {
        return Err(format!("test accuracy {:.1}% is below 97%", 100.0 * final_acc).into());
    }
    Ok(())
}
