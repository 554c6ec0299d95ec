//! The contract's transformer block (token embedding with learned positions,
//! pre-LN causal single-head attention, FFN, a loss at every step) at
//! D = 64, F = 256, V = 64, T = 64, batches of 32 sequences: one training
//! step's loss and every gradient, f32, through the documented batched
//! methods. Its reference is PyTorch eager on the same core,
//! `benches/pytorch/block_step.py` (run by hand, outside CI).

use std::hint::black_box;

use criterion::Criterion;
use shapegrad::prelude::*;

dims! { pub V = 64; pub D = 64; pub F = 256; pub T = 64; pub Batch = 32; }

include!("../../tests/blocks/contract.rs");

/// The step's multiply-adds, ×2 for FLOPs: per sequence, forward `q, k, v,
/// ·Woᵀ` (4·T·D²), the scores and `aᵀv` (2·T²·D), the FFN (2·T·D·F) and the
/// logits (T·D·V); the backward pass twice that (each product's two
/// adjoints).
pub const FLOPS: f64 =
    2.0 * 3.0 * 32.0 * (4.0 * 64.0 * 4096.0 + 2.0 * 4096.0 * 64.0 + 2.0 * 4096.0 * 256.0 + 64.0 * 4096.0);

pub fn block_step(c: &mut Criterion) {
    let net = ContractBlock::<f32>::init(3);
    let ws = Sequences::<V, T, Batch>::from_fn(|t, b| (7 * t + 3 * b) % 64).unwrap();
    let ys = Sequences::<V, T, Batch>::from_fn(|t, b| (7 * t + 3 * b + 7) % 64).unwrap();
    let mask = Tensor3::<T, T, Batch>::from_fn(|key, query, _| if key <= query { 0.0 } else { -1e9 });
    let mut buffers = ContractBlockBatchWorkspace::<Batch, f32>::new();
    let mut g = ContractBlockGrad::<f32>::zeros();
    let loss = net.grad_batch_into(&mut buffers, &ws, &mask, &ys, &mut g);
    assert!(loss.is_finite() && (loss - 64f32.ln()).abs() < 1.0, "loss {loss}");
    let mut group = c.benchmark_group("block_d64_t64_b32");
    group.sample_size(30);
    group.bench_function("shapegrad", |b| {
        b.iter(|| {
            let loss = black_box(&net).grad_batch_into(&mut buffers, black_box(&ws), &mask, &ys, &mut g);
            black_box(&g);
            loss
        })
    });
    group.bench_function("shapegrad_documented", |b| {
        b.iter(|| black_box(black_box(&net).grad_batch(black_box(&ws), &mask, &ys)))
    });
    group.finish();
}
