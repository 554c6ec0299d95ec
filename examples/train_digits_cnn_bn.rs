//! `train_digits_cnn` with spatial batchnorm after each convolution (per
//! channel, over the batch and the positions; running statistics in
//! evaluation, saved with the weights): 8×8 digits `[One, Rows, Cols]`, two
//! 3×3 convolutions with batchnorm, ReLU and 2×2 max pooling, then a dense
//! layer whose input size `_` the macro derives. Adam with a cosine schedule, a progress bar,
//! the test accuracy, a plot of loss and accuracy per epoch, and the
//! weights saved (and reloaded, to check they classify alike).
//!
//! Run: `cargo run --release --example train_digits_cnn_bn`
//! Writes `target/train_digits_cnn_bn/{weights.safetensors,training.png}`.

use std::error::Error;

use shapegrad::data::Digit;
use shapegrad::data::digits::{self, Cols, Digits, Rows};
use shapegrad::fit::{Event, Fit};
use shapegrad::optim::Adam;
use shapegrad::optim::schedule::{Cosine, Schedule};
use shapegrad::prelude::*;

#[macro_use]
mod common;
use common::cnn::{F1, F2};
use common::progress::Training;
use common::{Batch, argmax};

net! {
    /// conv → relu → pool → conv → relu → pool → dense.
    pub net DigitCnn {
        param K1: [F1, One, 3, 3];
        param b1: [F1];
        param g1: [F1];
        param s1: [F1];
        param K2: [F2, F1, 3, 3];
        param b2: [F2];
        param g2: [F2];
        param s2: [F2];
        param W3: [Digit, _];
        param b3: [Digit];
        input x: [One, Rows, Cols];
        label y: Digit;
        let z1 = batchnorm(conv2d(x, K1, b1, pad = 1), g1, s1);
        let p1 = maxpool2d(relu(z1), 2);
        let z2 = batchnorm(conv2d(p1, K2, b2, pad = 1), g2, s2);
        let p2 = maxpool2d(relu(z2), 2);
        let z3 = W3 @ flatten(p2) + b3;
        output z3;
        loss softmax_cross_entropy(z3, y);
    }
}

train_cnn!(DigitCnn, "train_digits_cnn_bn");
