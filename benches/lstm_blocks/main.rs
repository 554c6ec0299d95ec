//! An LSTM language-model step through the documented `grad_batch`: D = 64
//! inputs, H = 128 hidden, V = 64 classes (a softmax cross-entropy at every
//! step), T = 32 steps, a batch of B = 32 sequences, the loss and every
//! gradient in f32, timed in `SHAPEGRAD_BLOCKS` blocks (default 5) of 20
//! steps, the median printed. The Rust side of
//! `benches/pytorch/lstm_alternating.sh`, which runs it and PyTorch eager's
//! fused `nn.LSTM` (plus a linear head) in turn on one core.
//!
//! `cargo bench -p shapegrad-benches --bench lstm_blocks`

use std::hint::black_box;

use criterion as _;

#[path = "../common/blocks.rs"]
mod blocks;
use shapegrad::prelude::*;

dims! { D = 64; H = 128; V = 64; T = 32; Batch = 32; }

net! {
    /// An LSTM (PyTorch's gate order i, f, g, o), a linear head and a
    /// cross-entropy at every step, summed over the steps.
    pub net LstmLm {
        param Wx: [4 * H, D];
        param Wh: [4 * H, H];
        param b: [4 * H];
        param Wy: [V, H];
        param by: [V];
        input x: [T, D];
        input h0: [H];
        input c0: [H];
        label y: [T] of V;
        for t in T {
            init h = h0;
            init c = c0;
            let a = Wx @ x[t] + Wh @ h[t - 1] + b;
            let i = sigmoid(a[0..H]);
            let f = sigmoid(a[H..2 * H]);
            let g = tanh(a[2 * H..3 * H]);
            let o = sigmoid(a[3 * H..4 * H]);
            let c[t] = f * c[t - 1] + i * g;
            let h[t] = o * tanh(c[t]);
            let l[t] = softmax_cross_entropy(Wy @ h[t] + by, y[t]);
        }
        loss sum(l);
    }
}

fn main() {
    let count = blocks::count();
    let net = LstmLm::<f32>::init(3);
    let xs = Tensor3::<T, D, Batch>::from_fn(|t, d, b| ((7 * t + 3 * d + b) % 17) as f32 / 17.0 - 0.5);
    let h0 = Matrix::<H, Batch>::zeros();
    let c0 = Matrix::<H, Batch>::zeros();
    let ys = Sequences::<V, T, Batch>::from_fn(|t, b| (7 * t + 3 * b + 7) % 64).unwrap();
    let step = || {
        let (loss, g): (f32, LstmLmGrad<f32>) = black_box(&net).grad_batch(black_box(&xs), &h0, &c0, &ys);
        black_box((loss, g));
    };
    let median = blocks::median_seconds(count, 20, 3, step);
    println!(
        "shapegrad lstm_d64_h128_t32_b32 grad_batch ({}): median {:.1} us",
        shapegrad::kernel_isa(),
        1e6 * median
    );
}
