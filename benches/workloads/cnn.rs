//! The convolutional net of `train_digits_cnn` (8×8 digits; 3×3 conv to 32
//! channels, pad 1, ReLU, 2×2 max pool, 3×3 conv to 64, ReLU, 2×2 max pool,
//! dense to 10, cross-entropy): one training step's loss and every gradient
//! on a batch of 32, beside the same step written by hand the usual way
//! (examples first, NCHW, im2col and the `gemm` crate's products per
//! example), both checked against each other before timing.

use std::hint::black_box;

use criterion::Criterion;
use shapegrad::prelude::*;

use super::close;

dims! { F1 = 32; F2 = 64; Side = 8; Digit = 10; Batch = 32; }

net! {
    pub net DigitCnn {
        param K1: [F1, 1, 3, 3];
        param b1: [F1];
        param K2: [F2, F1, 3, 3];
        param b2: [F2];
        param W3: [Digit, _];
        param b3: [Digit];
        input x: [1, Side, Side];
        label y: Digit;
        let z1 = conv2d(x, K1, b1, pad = 1);
        let p1 = maxpool2d(relu(z1), 2);
        let z2 = conv2d(p1, K2, b2, pad = 1);
        let p2 = maxpool2d(relu(z2), 2);
        let z3 = W3 @ flatten(p2) + b3;
        loss softmax_cross_entropy(z3, y);
    }
}

/// `c ← a·b (+ c)`, row-major, `a` m×k (or its transpose stored k×m), `b`
/// k×n (or n×k), with the `gemm` crate on one core.
#[allow(clippy::too_many_arguments)]
fn mm(m: usize, n: usize, k: usize, a: &[f32], at: bool, b: &[f32], bt: bool, c: &mut [f32], acc: bool) {
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    let (a_cs, a_rs) = if at { (m as isize, 1) } else { (1, k as isize) };
    let (b_cs, b_rs) = if bt { (k as isize, 1) } else { (1, n as isize) };
    // SAFETY: the lengths are checked above and the strides address inside them.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            acc,
            a.as_ptr(),
            a_cs,
            a_rs,
            b.as_ptr(),
            b_cs,
            b_rs,
            if acc { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// 3×3 windows, pad 1, stride 1, of `x` `[c, s, s]` into `col` `[c·9 × s·s]`;
/// with `back`, the adjoint: `col` summed into `x`.
fn im2col(c: usize, s: usize, x: &mut [f32], col: &mut [f32], back: bool) {
    for ci in 0..c {
        for u in 0..3 {
            for v in 0..3 {
                let row = (ci * 9 + u * 3 + v) * s * s;
                for i in 0..s {
                    for j in 0..s {
                        let (h, w) = ((i + u).wrapping_sub(1), (j + v).wrapping_sub(1));
                        let inside = h < s && w < s;
                        let at = row + i * s + j;
                        if back {
                            if inside {
                                x[(ci * s + h) * s + w] += col[at];
                            }
                        } else {
                            col[at] = if inside { x[(ci * s + h) * s + w] } else { 0.0 };
                        }
                    }
                }
            }
        }
    }
}

/// 2×2 max pool of relu(`z`) `[c, s, s]` into `p`, the argmax kept.
fn pool(c: usize, s: usize, z: &[f32], p: &mut [f32], arg: &mut [usize]) {
    let o = s / 2;
    for ci in 0..c {
        for i in 0..o {
            for j in 0..o {
                let mut best = (ci * s + 2 * i) * s + 2 * j;
                for (di, dj) in [(0, 1), (1, 0), (1, 1)] {
                    let k = (ci * s + 2 * i + di) * s + 2 * j + dj;
                    if z[k] > z[best] {
                        best = k;
                    }
                }
                p[(ci * o + i) * o + j] = z[best].max(0.0);
                arg[(ci * o + i) * o + j] = best;
            }
        }
    }
}

/// The hand-written step's buffers, per example where it loops.
pub struct Hand {
    k1: Vec<f32>,
    b1: Vec<f32>,
    k2: Vec<f32>,
    b2: Vec<f32>,
    w3: Vec<f32>,
    b3: Vec<f32>,
    col1: Vec<f32>,
    z1: Vec<f32>,
    p1: Vec<f32>,
    arg1: Vec<usize>,
    col2: Vec<f32>,
    z2: Vec<f32>,
    arg2: Vec<usize>,
    flat: Vec<f32>,
    z3: Vec<f32>,
    dflat: Vec<f32>,
    dz2: Vec<f32>,
    dcol2: Vec<f32>,
    dp1: Vec<f32>,
    dz1: Vec<f32>,
    pub grads: [Vec<f32>; 6],
}

impl Hand {
    fn new(net: &DigitCnn) -> Self {
        let b = 32;
        let v = |n: usize| vec![0.0f32; n];
        Hand {
            k1: net.K1.as_slice().to_vec(),
            b1: net.b1.as_slice().to_vec(),
            k2: net.K2.as_slice().to_vec(),
            b2: net.b2.as_slice().to_vec(),
            w3: net.W3.as_slice().to_vec(),
            b3: net.b3.as_slice().to_vec(),
            col1: v(b * 9 * 64),
            z1: v(b * 32 * 64),
            p1: v(b * 32 * 16),
            arg1: vec![0; b * 32 * 16],
            col2: v(b * 288 * 16),
            z2: v(b * 64 * 16),
            arg2: vec![0; b * 256],
            flat: v(256 * b),
            z3: v(10 * b),
            dflat: v(256 * b),
            dz2: v(64 * 16),
            dcol2: v(288 * 16),
            dp1: v(32 * 16),
            dz1: v(32 * 64),
            grads: [v(32 * 9), v(32), v(64 * 288), v(64), v(10 * 256), v(10)],
        }
    }

    /// The loss and every gradient for images `x` (`[32][64]`, examples first).
    fn step(&mut self, x: &[f32], labels: &[usize]) -> f32 {
        let b = labels.len();
        let mut p2 = [0.0f32; 256];
        for e in 0..b {
            let mut xe: Vec<f32> = x[e * 64..(e + 1) * 64].to_vec();
            let (col1, z1) = (&mut self.col1[e * 576..(e + 1) * 576], &mut self.z1[e * 2048..(e + 1) * 2048]);
            im2col(1, 8, &mut xe, col1, false);
            for (f, row) in z1.chunks_mut(64).enumerate() {
                row.fill(self.b1[f]);
            }
            mm(32, 64, 9, &self.k1, false, col1, false, z1, true);
            let p1 = &mut self.p1[e * 512..(e + 1) * 512];
            pool(32, 8, z1, p1, &mut self.arg1[e * 512..(e + 1) * 512]);
            let (col2, z2) =
                (&mut self.col2[e * 4608..(e + 1) * 4608], &mut self.z2[e * 1024..(e + 1) * 1024]);
            im2col(32, 4, p1, col2, false);
            for (f, row) in z2.chunks_mut(16).enumerate() {
                row.fill(self.b2[f]);
            }
            mm(64, 16, 288, &self.k2, false, col2, false, z2, true);
            pool(64, 4, z2, &mut p2, &mut self.arg2[e * 256..(e + 1) * 256]);
            for (k, &v) in p2.iter().enumerate() {
                self.flat[k * b + e] = v;
            }
        }
        for (d, row) in self.z3.chunks_mut(b).enumerate() {
            row.fill(self.b3[d]);
        }
        mm(10, b, 256, &self.w3, false, &self.flat, false, &mut self.z3, true);
        // Softmax cross-entropy per column; ∂z3 = (softmax − onehot)/B in place.
        let mut loss = 0.0;
        for (e, &y) in labels.iter().enumerate() {
            let m = (0..10).map(|d| self.z3[d * b + e]).fold(f32::MIN, f32::max);
            let sum: f32 = (0..10).map(|d| (self.z3[d * b + e] - m).exp()).sum();
            loss += (sum.ln() + m - self.z3[y * b + e]) / b as f32;
            for d in 0..10 {
                let s = (self.z3[d * b + e] - m).exp() / sum;
                self.z3[d * b + e] = (s - f32::from(d == y)) / b as f32;
            }
        }
        let [dk1, db1, dk2, db2, dw3, db3] = &mut self.grads;
        mm(10, 256, b, &self.z3, false, &self.flat, true, dw3, false);
        for (d, row) in self.z3.chunks(b).enumerate() {
            db3[d] = row.iter().sum();
        }
        mm(256, b, 10, &self.w3, true, &self.z3, false, &mut self.dflat, false);
        for g in [&mut *dk1, &mut *db1, &mut *dk2, &mut *db2] {
            g.fill(0.0);
        }
        for e in 0..b {
            self.dz2.fill(0.0);
            let z2 = &self.z2[e * 1024..(e + 1) * 1024];
            for (k, &at) in self.arg2[e * 256..(e + 1) * 256].iter().enumerate() {
                if z2[at] > 0.0 {
                    self.dz2[at] = self.dflat[k * b + e];
                }
            }
            let col2 = &self.col2[e * 4608..(e + 1) * 4608];
            mm(64, 288, 16, &self.dz2, false, col2, true, dk2, true);
            for (f, row) in self.dz2.chunks(16).enumerate() {
                db2[f] += row.iter().sum::<f32>();
            }
            mm(288, 16, 64, &self.k2, true, &self.dz2, false, &mut self.dcol2, false);
            self.dp1.fill(0.0);
            im2col(32, 4, &mut self.dp1, &mut self.dcol2, true);
            self.dz1.fill(0.0);
            let z1 = &self.z1[e * 2048..(e + 1) * 2048];
            for (k, &at) in self.arg1[e * 512..(e + 1) * 512].iter().enumerate() {
                if z1[at] > 0.0 {
                    self.dz1[at] = self.dp1[k];
                }
            }
            mm(32, 9, 64, &self.dz1, false, &self.col1[e * 576..(e + 1) * 576], true, dk1, true);
            for (f, row) in self.dz1.chunks(64).enumerate() {
                db1[f] += row.iter().sum::<f32>();
            }
        }
        loss
    }
}

pub fn cnn_step(c: &mut Criterion) {
    let net = DigitCnn::<f32>::init(3);
    let xs =
        Tensor4::<U1, Side, Side, Batch>::from_fn(|_, h, w, b| ((h * 8 + w + 5 * b) as f32 * 0.37).sin());
    let labels: Vec<usize> = (0..32).map(|b| (b * 7) % 10).collect();
    let ys = Classes::<Digit, Batch>::from_slice(&labels).unwrap();
    // The same images, examples first, for the hand-written step.
    let x_nchw: Vec<f32> =
        (0..32).flat_map(|b| (0..64).map(move |p| (p, b))).map(|(p, b)| xs[(0, p / 8, p % 8, b)]).collect();
    let mut ws = DigitCnnBatchWorkspace::<Batch, f32>::new();
    let mut g = DigitCnnGrad::<f32>::zeros();
    let mut hand = Hand::new(&net);
    let loss = net.grad_batch_into(&mut ws, &xs, &ys, &mut g);
    let hand_loss = hand.step(&x_nchw, &labels);
    close(&[loss], &[hand_loss], "cnn loss");
    let ours = [
        g.K1.as_slice(),
        g.b1.as_slice(),
        g.K2.as_slice(),
        g.b2.as_slice(),
        g.W3.as_slice(),
        g.b3.as_slice(),
    ];
    for (name, (a, b)) in ["∂K1", "∂b1", "∂K2", "∂b2", "∂W3", "∂b3"].iter().zip(ours.iter().zip(&hand.grads))
    {
        close(a, b, name);
    }
    let mut group = c.benchmark_group("cnn_digits_b32");
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
    group.bench_function("hand", |b| {
        b.iter(|| {
            let loss = hand.step(black_box(&x_nchw), &labels);
            black_box(&hand.grads);
            loss
        })
    });
    group.finish();

    // The two again in one process, in alternating blocks of 100 steps, so
    // that the machine's drift falls on both alike; the median block of each
    // is what `benches/pytorch/cnn_step.py` reports for PyTorch.
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        let start = std::time::Instant::now();
        for _ in 0..100 {
            black_box(black_box(&net).grad_batch_into(&mut ws, black_box(&xs), &ys, &mut g));
            black_box(&g);
        }
        ours.push(start.elapsed().as_secs_f64() * 1e4);
        let start = std::time::Instant::now();
        for _ in 0..100 {
            black_box(hand.step(black_box(&x_nchw), &labels));
            black_box(&hand.grads);
        }
        theirs.push(start.elapsed().as_secs_f64() * 1e4);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (a, b) = (median(&mut ours), median(&mut theirs));
    println!(
        "\ncnn_digits_b32, alternating blocks of 100 steps: shapegrad {a:.1} µs, hand {b:.1} µs per step (median of 30 blocks; ratio {:.2})",
        a / b
    );
}
