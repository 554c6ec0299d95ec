//! The 784-128-10 two-layer swish net on a batch of 64, and the machine's
//! single-core sgemm peak as the `gemm` crate reaches it.

use std::hint::black_box;

use criterion::Criterion;
use nalgebra::{DMatrix, DVector};
use shapegrad::prelude::*;

use super::{TwoLayer, TwoLayerBatchWorkspace, TwoLayerGrad, close, row_major};

dims! { Pixels = 784; Hidden = 128; Digit = 10; Batch = 64; }

/// Buffers for the hand-written batched backward pass.
pub struct Buffers {
    z1: DMatrix<f32>,
    s: DMatrix<f32>,
    h1: DMatrix<f32>,
    z2: DMatrix<f32>,
    dz2: DMatrix<f32>,
    dh1: DMatrix<f32>,
    ht: DMatrix<f32>,
    xt: DMatrix<f32>,
    pub dw1: DMatrix<f32>,
    db1: DVector<f32>,
    pub dw2: DMatrix<f32>,
    db2: DVector<f32>,
}

impl Buffers {
    fn new() -> Self {
        let (d, h, c, b) = (784, 128, 10, 64);
        Buffers {
            z1: DMatrix::zeros(h, b),
            s: DMatrix::zeros(h, b),
            h1: DMatrix::zeros(h, b),
            z2: DMatrix::zeros(c, b),
            dz2: DMatrix::zeros(c, b),
            dh1: DMatrix::zeros(h, b),
            ht: DMatrix::zeros(b, h),
            xt: DMatrix::zeros(b, d),
            dw1: DMatrix::zeros(h, d),
            db1: DVector::zeros(h),
            dw2: DMatrix::zeros(c, h),
            db2: DVector::zeros(c),
        }
    }
}

/// The params in nalgebra's types.
pub struct Params {
    w1: DMatrix<f32>,
    b1: DVector<f32>,
    w2: DMatrix<f32>,
    b2: DVector<f32>,
}

/// The mean loss and every gradient over the batch, by hand, with every
/// product into a preallocated buffer.
pub fn hand_batch(p: &Params, x: &DMatrix<f32>, y: &[usize], o: &mut Buffers) -> f32 {
    let n = y.len() as f32;
    o.z1.gemm(1.0, &p.w1, x, 0.0);
    for mut col in o.z1.column_iter_mut() {
        col += &p.b1;
    }
    o.s.zip_apply(&o.z1, |s, z| *s = 1.0 / (1.0 + (-z).exp()));
    o.h1.copy_from(&o.z1);
    o.h1.component_mul_assign(&o.s);
    o.z2.gemm(1.0, &p.w2, &o.h1, 0.0);
    let mut loss = 0.0;
    for (j, (mut z, mut d)) in o.z2.column_iter_mut().zip(o.dz2.column_iter_mut()).enumerate() {
        z += &p.b2;
        let m = z.max();
        let total: f32 = z.iter().map(|v| (v - m).exp()).sum();
        loss += total.ln() - (z[y[j]] - m);
        d.zip_apply(&z, |d, v| *d = (v - m).exp() / total / n);
        d[y[j]] -= 1.0 / n;
    }
    o.h1.transpose_to(&mut o.ht);
    o.dw2.gemm(1.0, &o.dz2, &o.ht, 0.0);
    for (i, row) in o.dz2.row_iter().enumerate() {
        o.db2[i] = row.sum();
    }
    o.dh1.gemm_tr(1.0, &p.w2, &o.dz2, 0.0);
    o.dh1.zip_zip_apply(&o.s, &o.z1, |d, s, z| *d *= s * (1.0 + z * (1.0 - s)));
    x.transpose_to(&mut o.xt);
    o.dw1.gemm(1.0, &o.dh1, &o.xt, 0.0);
    for (i, row) in o.dh1.row_iter().enumerate() {
        o.db1[i] = row.sum();
    }
    loss / n
}

pub fn two_layer_batch(c: &mut Criterion) {
    let mut net = TwoLayer::<Pixels, Hidden, Digit, f32>::init(4);
    net.b1 = Vector::from_fn(|i, _| (i as f32 * 0.3).sin() * 0.1);
    let xs = Matrix::<Pixels, Batch, f32>::from_fn(|i, j| ((i * 7 + j * 13) % 17) as f32 / 17.0);
    let labels: Vec<usize> = (0..64).map(|j| (j * 7) % 10).collect();
    let ys = Classes::<Digit, Batch>::from_slice(&labels).unwrap();
    let mut ws = TwoLayerBatchWorkspace::<Pixels, Hidden, Digit, Batch, f32>::new();
    let mut g = TwoLayerGrad::<Pixels, Hidden, Digit, f32>::zeros();

    let p = Params {
        w1: DMatrix::from_row_slice(128, 784, net.W1.as_slice()),
        b1: DVector::from_column_slice(net.b1.as_slice()),
        w2: DMatrix::from_row_slice(10, 128, net.W2.as_slice()),
        b2: DVector::from_column_slice(net.b2.as_slice()),
    };
    let x = DMatrix::from_row_slice(784, 64, xs.as_slice());
    let mut bufs = Buffers::new();
    let l = hand_batch(&p, &x, &labels, &mut bufs);
    let lg = net.grad_batch_into(&mut ws, &xs, &ys, &mut g);
    close(&[lg], &[l], "784-128-10 loss");
    close(g.W1.as_slice(), &row_major(&bufs.dw1), "784-128-10 ∇W1");
    close(g.W2.as_slice(), &row_major(&bufs.dw2), "784-128-10 ∇W2");

    let mut group = c.benchmark_group("two_layer_784_128_10_b64");
    group.sample_size(40);
    group.bench_function("shapegrad", |b| {
        b.iter(|| {
            let loss = black_box(&net).grad_batch_into(&mut ws, black_box(&xs), &ys, &mut g);
            black_box(&g);
            loss
        })
    });
    group.bench_function("shapegrad_documented", |b| {
        b.iter(|| black_box(black_box(&net).grad_batch(black_box(&xs), &ys)))
    });
    group.bench_function("nalgebra", |b| b.iter(|| hand_batch(&p, black_box(&x), &labels, &mut bufs)));
    group.finish();

    // The documented step, nalgebra's and the 512³ sgemm peak again in one
    // process, in alternating blocks, so that the machine's drift falls on
    // all three alike; the median block of each.
    let peak = Peak::new();
    let (mut ours, mut theirs, mut gflops) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..30 {
        let start = std::time::Instant::now();
        for _ in 0..100 {
            black_box(black_box(&net).grad_batch(black_box(&xs), &ys));
        }
        ours.push(start.elapsed().as_secs_f64() * 1e4);
        let start = std::time::Instant::now();
        for _ in 0..100 {
            black_box(hand_batch(&p, black_box(&x), &labels, &mut bufs));
            black_box(&bufs);
        }
        theirs.push(start.elapsed().as_secs_f64() * 1e4);
        gflops.push(peak.gflops());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, b, g) = (median(&mut ours), median(&mut theirs), median(&mut gflops));
    println!(
        "\ntwo_layer_784_128_10_b64, alternating blocks of 100 steps: grad_batch {a:.1} µs, nalgebra {b:.1} µs per step (ratio {:.2}); sgemm peak (gemm crate, x86-v4, 512³) {g:.1} GFLOP/s in the same blocks: the step's {:.1} MFLOP at {:.1} GFLOP/s = {:.0}% of it (medians of 30 blocks)",
        a / b,
        STEP_FLOP / 1e6,
        STEP_FLOP / a / 1e3,
        100.0 * STEP_FLOP / a / 1e3 / g,
    );
    if shapegrad::threads() > 1 {
        two_cores(&net, &xs, &ys);
    }
}

/// With the `parallel` feature: the documented step on one thread and on
/// all of them, in alternating blocks of one process (`set_threads`).
fn two_cores(
    net: &TwoLayer<Pixels, Hidden, Digit, f32>,
    xs: &Matrix<Pixels, Batch, f32>,
    ys: &Classes<Digit, Batch>,
) {
    let all = shapegrad::threads();
    let (mut one, mut many) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        for (cap, times) in [(1, &mut one), (0, &mut many)] {
            shapegrad::set_threads(cap);
            let start = std::time::Instant::now();
            for _ in 0..100 {
                black_box(black_box(net).grad_batch(black_box(xs), ys));
            }
            times.push(start.elapsed().as_secs_f64() * 1e4);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, b) = (median(&mut one), median(&mut many));
    println!(
        "two_layer_784_128_10_b64, parallel feature, alternating blocks of 100 steps: grad_batch on 1 thread {a:.1} µs, on {all} threads {b:.1} µs ({:.2}×; medians of 30 blocks)",
        b / a
    );
}

/// The 784-128-10 step's floating-point operations: its five products.
const STEP_FLOP: f64 = 2.0 * (2.0 * 128.0 * 784.0 * 64.0 + 3.0 * 10.0 * 128.0 * 64.0);

/// A 512³ `f32` product with the `gemm` crate (its `x86-v4` feature on).
struct Peak {
    a: Vec<f32>,
    b: Vec<f32>,
    out: std::cell::RefCell<Vec<f32>>,
}

impl Peak {
    const N: usize = 512;

    fn new() -> Self {
        let n = Self::N;
        Peak {
            a: (0..n * n).map(|i| (i % 13) as f32).collect(),
            b: (0..n * n).map(|i| (i % 7) as f32).collect(),
            out: std::cell::RefCell::new(vec![0f32; n * n]),
        }
    }

    fn run(&self) {
        let n = Self::N;
        let mut out = self.out.borrow_mut();
        // SAFETY: the three buffers are n×n, row-major (column stride 1, row stride n).
        unsafe {
            gemm::gemm(
                n,
                n,
                n,
                out.as_mut_ptr(),
                1,
                n as isize,
                false,
                self.a.as_ptr(),
                1,
                n as isize,
                self.b.as_ptr(),
                1,
                n as isize,
                0.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
        black_box(&*out);
    }

    /// GFLOP/s over a block of ten products.
    fn gflops(&self) -> f64 {
        let start = std::time::Instant::now();
        for _ in 0..10 {
            self.run();
        }
        let n = Self::N as f64;
        10.0 * 2.0 * n * n * n / start.elapsed().as_secs_f64() / 1e9
    }
}

/// The single-core sgemm peak: a 512³ product with the `gemm` crate.
pub fn sgemm_peak(c: &mut Criterion) {
    let peak = Peak::new();
    let mut group = c.benchmark_group("sgemm_512");
    group.sample_size(20);
    group.bench_function("gemm", |bench| bench.iter(|| peak.run()));
    group.finish();
}
