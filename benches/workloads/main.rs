//! The four workloads of the performance issue, each timed beside a
//! hand-written nalgebra implementation of the same computation (loss and
//! every gradient), and a convolutional net's step beside a hand-written
//! im2col one; each pair checked against each other before timing.
//!
//! `cargo bench --bench workloads` runs them and prints a table with ratios
//! (median µs per loss + all gradients, one core).

use std::hint::black_box;

use criterion::Criterion;
use nalgebra::{DMatrix, SMatrix, SVector};
use shapegrad::prelude::*;

mod table;

fn close(a: &[f32], b: &[f32], what: &str) {
    let scale = b.iter().fold(1.0f32, |m, x| m.max(x.abs()));
    let worst = a.iter().zip(b).fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(worst <= 1e-4 * scale, "{what}: shapegrad and nalgebra differ by {worst}");
}

/// Keeps a small net's result (loss and every gradient) alive where it was
/// made, for both sides of a comparison: returned to the harness instead,
/// the 850-byte value is copied once more, by a call to `memcpy` or inline
/// depending on what the compiler inlined, not on the work measured.
#[inline(always)]
fn keep<R>(r: R) {
    black_box(&r);
}

/// `ours` and `theirs` (each one call, its whole result kept alive) in 30
/// alternating blocks of 20 000 calls in this process, so that the
/// machine's drift falls on both alike; prints the medians in ns per call
/// and their ratio, naming the processor.
fn alternating(name: &str, mut ours: impl FnMut(), mut theirs: impl FnMut()) {
    const CALLS: u32 = 20_000;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        for (f, times) in [(&mut ours as &mut dyn FnMut(), &mut a), (&mut theirs as &mut dyn FnMut(), &mut b)]
        {
            let start = std::time::Instant::now();
            for _ in 0..CALLS {
                f();
            }
            times.push(start.elapsed().as_secs_f64() * 1e9 / f64::from(CALLS));
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, b) = (median(&mut a), median(&mut b));
    println!(
        "\n{name}, alternating blocks of {CALLS} calls on {}: shapegrad `grad` {a:.1} ns, nalgebra {b:.1} ns per call (ratio {:.2}; medians of 30 blocks)",
        cpu_name(),
        a / b
    );
}

/// The processor's model name, as `/proc/cpuinfo` gives it.
fn cpu_name() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let name = info.lines().find_map(|l| l.strip_prefix("model name")).and_then(|l| l.split(':').nth(1));
    let avx512 = if info.contains(" avx512f") { "AVX-512" } else { "AVX2 only" };
    format!("{} ({avx512})", name.unwrap_or("an unknown processor").trim())
}

/// nalgebra's column-major storage, row by row.
fn row_major(m: &DMatrix<f32>) -> Vec<f32> {
    m.transpose().as_slice().to_vec()
}

// ---- problem 1: the tied-weight autoencoder ----------------------------------

net! {
    net Autoencoder<M, N> {
        param W: [M, N];
        input x: [N];
        let z = W @ x;
        let v = W.T @ z - x;
        loss 0.5 * sum(v * v);
    }
}

/// ∇W = W v xᵀ + z vᵀ by hand, static sizes.
fn autoencoder_static<const M: usize, const N: usize>(
    w: &SMatrix<f32, M, N>,
    x: &SVector<f32, N>,
) -> (f32, SMatrix<f32, M, N>) {
    let z = w * x;
    let v = w.transpose() * z - x;
    let dz = w * v;
    (0.5 * v.dot(&v), dz * x.transpose() + z * v.transpose())
}

fn autoencoder_small(c: &mut Criterion) {
    dims! { M4 = 4; N8 = 8; }
    let net = Autoencoder::<M4, N8, f32>::init(1);
    let x = Vector::<N8, f32>::from_fn(|i, _| (i as f32 * 0.7).sin());
    let mut ws = AutoencoderWorkspace::<M4, N8, f32>::new();
    let mut g = AutoencoderGrad::<M4, N8, f32>::zeros();
    let w_na = SMatrix::<f32, 4, 8>::from_fn(|i, j| net.W[(i, j)]);
    let x_na = SVector::<f32, 8>::from_fn(|i, _| x[i]);
    let (l, gw) = autoencoder_static(&w_na, &x_na);
    let lg = net.grad_into(&mut ws, &x, &mut g);
    close(&[lg], &[l], "autoencoder 4×8 loss");
    close(g.W.as_slice(), &row_major(&DMatrix::from_fn(4, 8, |i, j| gw[(i, j)])), "autoencoder 4×8 ∇W");
    let mut group = c.benchmark_group("autoencoder_4x8");
    group.bench_function("shapegrad", |b| {
        b.iter(|| {
            let loss = black_box(&net).grad_into(&mut ws, black_box(&x), &mut g);
            black_box(&g);
            loss
        })
    });
    group.bench_function("shapegrad_documented", |b| b.iter(|| keep(black_box(&net).grad(black_box(&x)))));
    group.bench_function("nalgebra", |b| {
        b.iter(|| keep(autoencoder_static(black_box(&w_na), black_box(&x_na))))
    });
    group.finish();
    alternating(
        "autoencoder_4x8",
        || keep(black_box(&net).grad(black_box(&x))),
        || keep(autoencoder_static(black_box(&w_na), black_box(&x_na))),
    );
}

/// The same at 64×256 with products into preallocated buffers.
struct AutoencoderBuffers {
    z: nalgebra::DVector<f32>,
    v: nalgebra::DVector<f32>,
    dz: nalgebra::DVector<f32>,
    dw: DMatrix<f32>,
}

fn autoencoder_dynamic(w: &DMatrix<f32>, x: &nalgebra::DVector<f32>, b: &mut AutoencoderBuffers) -> f32 {
    b.z.gemv(1.0, w, x, 0.0);
    b.v.copy_from(x);
    b.v.gemv_tr(1.0, w, &b.z, -1.0);
    b.dz.gemv(1.0, w, &b.v, 0.0);
    b.dw.ger(1.0, &b.dz, x, 0.0);
    b.dw.ger(1.0, &b.z, &b.v, 1.0);
    0.5 * b.v.dot(&b.v)
}

fn autoencoder_large(c: &mut Criterion) {
    dims! { M64 = 64; N256 = 256; }
    let net = Autoencoder::<M64, N256, f32>::init(2);
    let x = Vector::<N256, f32>::from_fn(|i, _| (i as f32 * 0.37).cos());
    let mut ws = AutoencoderWorkspace::<M64, N256, f32>::new();
    let mut g = AutoencoderGrad::<M64, N256, f32>::zeros();
    let w_na = DMatrix::<f32>::from_row_slice(64, 256, net.W.as_slice());
    let x_na = nalgebra::DVector::<f32>::from_column_slice(x.as_slice());
    let mut bufs = AutoencoderBuffers {
        z: nalgebra::DVector::zeros(64),
        v: nalgebra::DVector::zeros(256),
        dz: nalgebra::DVector::zeros(64),
        dw: DMatrix::zeros(64, 256),
    };
    let l = autoencoder_dynamic(&w_na, &x_na, &mut bufs);
    let lg = net.grad_into(&mut ws, &x, &mut g);
    close(&[lg], &[l], "autoencoder 64×256 loss");
    close(g.W.as_slice(), &row_major(&bufs.dw), "autoencoder 64×256 ∇W");
    let mut group = c.benchmark_group("autoencoder_64x256");
    group.bench_function("shapegrad", |b| {
        b.iter(|| {
            let loss = black_box(&net).grad_into(&mut ws, black_box(&x), &mut g);
            black_box(&g);
            loss
        })
    });
    group.bench_function("shapegrad_documented", |b| {
        b.iter(|| black_box(black_box(&net).grad(black_box(&x))))
    });
    group.bench_function("nalgebra", |b| {
        b.iter(|| autoencoder_dynamic(black_box(&w_na), black_box(&x_na), &mut bufs))
    });
    group.finish();
}

// ---- problem 3: the two-layer swish network ------------------------------------

#[path = "../two_layer.rs"]
mod two_layer;
use two_layer::{TwoLayer, TwoLayerBatchWorkspace, TwoLayerGrad, TwoLayerWorkspace};

type TwoLayerGrads = (SMatrix<f32, 16, 8>, SVector<f32, 16>, SMatrix<f32, 4, 16>, SVector<f32, 4>);

/// The backward pass of problem 3 by hand, static sizes 8-16-4.
fn two_layer_static(
    (w1, b1, w2, b2): (&SMatrix<f32, 16, 8>, &SVector<f32, 16>, &SMatrix<f32, 4, 16>, &SVector<f32, 4>),
    x: &SVector<f32, 8>,
    y: usize,
) -> (f32, TwoLayerGrads) {
    let z1 = w1 * x + b1;
    let s = z1.map(|z| 1.0 / (1.0 + (-z).exp()));
    let h1 = z1.component_mul(&s);
    let z2 = w2 * h1 + b2;
    let m = z2.max();
    let e = z2.map(|z| (z - m).exp());
    let total = e.sum();
    let loss = total.ln() - (z2[y] - m);
    let mut dz2 = e / total;
    dz2[y] -= 1.0;
    let dh1 = w2.transpose() * dz2;
    let dz1 = dh1.zip_zip_map(&s, &z1, |d, s, z| d * s * (1.0 + z * (1.0 - s)));
    (loss, (dz1 * x.transpose(), dz1, dz2 * h1.transpose(), dz2))
}

fn two_layer_small(c: &mut Criterion) {
    dims! { D8 = 8; H16 = 16; C4 = 4; }
    let net = TwoLayer::<D8, H16, C4, f32>::init(3);
    let x = Vector::<D8, f32>::from_fn(|i, _| (i as f32 * 0.9).sin());
    let y = Class::<C4>::new(2).unwrap();
    let mut ws = TwoLayerWorkspace::<D8, H16, C4, f32>::new();
    let mut g = TwoLayerGrad::<D8, H16, C4, f32>::zeros();
    let w1 = SMatrix::<f32, 16, 8>::from_fn(|i, j| net.W1[(i, j)]);
    let b1 = SVector::<f32, 16>::from_fn(|i, _| (i as f32 * 0.1).cos() * 0.1);
    let w2 = SMatrix::<f32, 4, 16>::from_fn(|i, j| net.W2[(i, j)]);
    let b2 = SVector::<f32, 4>::from_fn(|i, _| i as f32 * 0.05);
    let mut net = net;
    net.b1 = Vector::from_fn(|i, _| b1[i]);
    net.b2 = Vector::from_fn(|i, _| b2[i]);
    let (l, (gw1, _, gw2, _)) = two_layer_static((&w1, &b1, &w2, &b2), &SVector::from_fn(|i, _| x[i]), 2);
    let lg = net.grad_into(&mut ws, &x, y, &mut g);
    close(&[lg], &[l], "two-layer 8-16-4 loss");
    close(g.W1.as_slice(), &row_major(&DMatrix::from_fn(16, 8, |i, j| gw1[(i, j)])), "two-layer ∇W1");
    close(g.W2.as_slice(), &row_major(&DMatrix::from_fn(4, 16, |i, j| gw2[(i, j)])), "two-layer ∇W2");
    let x_na = SVector::<f32, 8>::from_fn(|i, _| x[i]);
    let mut group = c.benchmark_group("two_layer_8_16_4");
    group.bench_function("shapegrad", |b| {
        b.iter(|| {
            let loss = black_box(&net).grad_into(&mut ws, black_box(&x), y, &mut g);
            black_box(&g);
            loss
        })
    });
    group.bench_function("shapegrad_documented", |b| b.iter(|| keep(black_box(&net).grad(black_box(&x), y))));
    group.bench_function("nalgebra", |b| {
        b.iter(|| keep(two_layer_static((black_box(&w1), &b1, &w2, &b2), black_box(&x_na), black_box(2))))
    });
    group.finish();
    alternating(
        "two_layer_8_16_4",
        || keep(black_box(&net).grad(black_box(&x), y)),
        || keep(two_layer_static((black_box(&w1), &b1, &w2, &b2), black_box(&x_na), black_box(2))),
    );
}

mod block;
mod cnn;
mod mnist_sized;

fn main() {
    let mut c = Criterion::default().configure_from_args();
    autoencoder_small(&mut c);
    two_layer_small(&mut c);
    autoencoder_large(&mut c);
    mnist_sized::two_layer_batch(&mut c);
    mnist_sized::sgemm_peak(&mut c);
    cnn::cnn_step(&mut c);
    block::block_step(&mut c);
    c.final_summary();
    table::print();
}
