//! The transformer block step of `workloads` (block_d64_t64_b32) through the
//! documented `grad_batch`, timed in `SHAPEGRAD_BLOCKS` blocks (default 5) of
//! 20 steps, the median printed: the Rust side of
//! `benches/pytorch/block_alternating.sh`, which runs it and PyTorch's step
//! in turn on one core so that the machine's drift falls on both alike.
//!
//! `cargo bench -p shapegrad-benches --bench block_blocks`

use std::hint::black_box;

use criterion as _;

#[path = "../common/blocks.rs"]
mod blocks;
use shapegrad::prelude::*;

#[path = "../workloads/block.rs"]
#[allow(dead_code)]
mod block;
use block::{Batch, ContractBlock, ContractBlockGrad, T, V};

fn main() {
    let count = blocks::count();
    let net = ContractBlock::<f32>::init(3);
    let ws = Sequences::<V, T, Batch>::from_fn(|t, b| (7 * t + 3 * b) % 64).unwrap();
    let ys = Sequences::<V, T, Batch>::from_fn(|t, b| (7 * t + 3 * b + 7) % 64).unwrap();
    let mask = Tensor3::<T, T, Batch>::from_fn(|key, query, _| if key <= query { 0.0 } else { -1e9 });
    let step = || {
        let (loss, g): (f32, ContractBlockGrad<f32>) = black_box(&net).grad_batch(black_box(&ws), &mask, &ys);
        black_box((loss, g));
    };
    let median = blocks::median_seconds(count, 20, 5, step);
    println!(
        "shapegrad block_d64_t64_b32 grad_batch ({}): median {:.1} us",
        shapegrad::kernel_isa(),
        1e6 * median
    );
}
