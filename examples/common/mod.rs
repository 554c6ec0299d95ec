//! What the digits examples share: the dense net, the data, the plot.

// Each example uses part of this module.
#![allow(dead_code)]

pub mod cnn;

// (Each example uses part of it.)
#[allow(unused_imports)]
pub use shapegrad_report::{argmax, out_dir, progress};

use shapegrad::data::Digit;
use shapegrad::data::digits::{self, Digits, Pixels};
use shapegrad::prelude::*;

dims! {
    /// Hidden units.
    pub Hidden = 64;
    /// Examples per batch.
    pub Batch = 32;
}

net! {
    /// Homework problem 3, on digits: z₁ = W₁x + b₁, h₁ = swish(z₁), z₂ = W₂h₁ + b₂.
    pub net DigitNet {
        param W1: [Hidden, Pixels];
        param b1: [Hidden];
        param W2: [Digit, Hidden];
        param b2: [Digit];
        input x: [Pixels];
        label y: Digit;
        let z1 = W1 @ x + b1;
        let h1 = z1 * sigmoid(z1);
        let z2 = W2 @ h1 + b2;
        output z2;
        loss softmax_cross_entropy(z2, y);
    }
}

/// Where `train_digits` writes and `classify_digits` reads.
pub const OUT_DIR: &str = "train_digits";

/// The fixed train/test split, each pixel standardized with the training
/// set's mean and deviation (the same for both examples, as they are
/// computed from the same fixed split).
pub fn prepared_digits() -> Result<(Digits, Digits), shapegrad::data::DataError> {
    let (mut train, mut test) = digits::train_test()?;
    let (mean, std) = train.feature_stats();
    train.standardize(&mean, &std);
    test.standardize(&mean, &std);
    Ok((train, test))
}
