//! What two cores can give the 784-128-10 batch step, measured without the
//! `parallel` feature: the documented `grad_batch` on one thread against a
//! hand-written two-thread schedule in which each thread owns half of the
//! hidden units from `z1` to `∂W1` (only `z2`'s partial sums and `dz2`, 5 KiB,
//! cross between cores); one half of that work alone and on both threads at
//! once; and what reading an activation the other core wrote costs.
//!
//! `cargo bench -p shapegrad-benches --bench two_cores`. The `parallel`
//! feature's own figure is the `workloads` bench run with
//! `--features shapegrad/parallel`.

use std::cell::UnsafeCell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use shapegrad::ops::{Swish, Unary};
use shapegrad::prelude::*;

dims! { Pixels = 784; Hidden = 128; Half = 64; Digit = 10; Batch = 64; }

#[path = "../two_layer.rs"]
mod two_layer;
use two_layer::TwoLayer;

/// One thread's half of the hidden layer: rows `r0..r0 + 64` of W1 and b1,
/// those columns of W2.
struct HalfNet {
    w1: Matrix<Half, Pixels>,
    b1: Vector<Half>,
    w2: Matrix<Digit, Half>,
}

/// One thread's buffers, and its part of the gradient.
struct HalfStep {
    z1: Matrix<Half, Batch>,
    a1: Matrix<Half, Batch>,
    h1: Matrix<Half, Batch>,
    dh1: Matrix<Half, Batch>,
    dz1: Matrix<Half, Batch>,
    db1: Vector<Half>,
    dw2: Matrix<Digit, Half>,
    dw1: Matrix<Half, Pixels>,
}

impl HalfStep {
    fn new() -> Self {
        let z = Matrix::zeros;
        HalfStep {
            z1: z(),
            a1: z(),
            h1: z(),
            dh1: z(),
            dz1: z(),
            db1: Matrix::zeros(),
            dw2: Matrix::zeros(),
            dw1: Matrix::zeros(),
        }
    }

    /// Its rows of `z1 = W1 x + b1` and `h1 = swish(z1)`, and its part of `W2 h1`.
    fn forward(&mut self, n: &HalfNet, xs: &Matrix<Pixels, Batch>, z2_part: &mut Matrix<Digit, Batch>) {
        self.z1.set_matmul(&n.w1, xs);
        self.a1.set_add_bias(&self.z1, &n.b1);
        Swish::map_into(&self.a1, &mut self.h1);
        z2_part.set_matmul(&n.w2, &self.h1);
    }

    /// Its columns of `∂W2`, its rows of `∂b1` and `∂W1`.
    fn backward(&mut self, n: &HalfNet, xs: &Matrix<Pixels, Batch>, dz2: &Matrix<Digit, Batch>) {
        self.dw2.set_matmul_t(dz2, &self.h1);
        self.dh1.set_t_matmul(&n.w2, dz2);
        Swish::vjp_into(&self.a1, &self.h1, &self.dh1, &mut self.dz1);
        self.db1.set_row_sums(&self.dz1);
        self.dw1.set_matmul_t(&self.dz1, xs);
    }
}

/// What crosses between the threads, each written by one thread between
/// two steps of the `go`/`done` counters and read by the other after them.
struct Crossing {
    z2_part: UnsafeCell<Matrix<Digit, Batch>>,
    dz2: UnsafeCell<Matrix<Digit, Batch>>,
    go: AtomicU64,
    done: AtomicU64,
}

// SAFETY: each cell is written by one thread while the other waits on a
// counter (release/acquire), see `step` and `helper`.
unsafe impl Sync for Crossing {}

fn wait(counter: &AtomicU64, value: u64) {
    while counter.load(Ordering::Acquire) != value {
        core::hint::spin_loop();
    }
}

/// The helper's half of `steps` steps, the caller's `step` the other half.
fn helper(steps: u64, n: &HalfNet, xs: &Matrix<Pixels, Batch>, x: &Crossing) {
    let mut half = HalfStep::new();
    for s in 0..steps {
        wait(&x.go, 2 * s + 1);
        let start = Instant::now();
        // SAFETY: the caller reads `z2_part` only after `done` says 2s+1.
        half.forward(n, xs, unsafe { &mut *x.z2_part.get() });
        lap(Phase::HelperForward, start);
        x.done.store(2 * s + 1, Ordering::Release);
        wait(&x.go, 2 * s + 2);
        let start = Instant::now();
        // SAFETY: the caller wrote `dz2` before `go` said 2s+2.
        half.backward(n, xs, unsafe { &*x.dz2.get() });
        lap(Phase::HelperBackward, start);
        black_box(&half.dw1);
        x.done.store(2 * s + 2, Ordering::Release);
    }
}

/// The caller's side of step `s`: its half, then the loss and `dz2` from
/// both halves' `z2`; returns the loss.
#[allow(clippy::too_many_arguments)]
fn step(
    s: u64,
    net: &TwoLayer<Pixels, Hidden, Digit, f32>,
    n: &HalfNet,
    half: &mut HalfStep,
    x: &Crossing,
    xs: &Matrix<Pixels, Batch>,
    ys: &Classes<Digit, Batch>,
    tail: &mut Tail,
) -> f32 {
    x.go.store(2 * s + 1, Ordering::Release);
    let start = Instant::now();
    half.forward(n, xs, &mut tail.z2_part);
    let start = lap(Phase::Forward, start);
    wait(&x.done, 2 * s + 1);
    let start = lap(Phase::Wait, start);
    // SAFETY: the helper wrote its part before `done` said 2s+1.
    tail.z2.set_add(&tail.z2_part, unsafe { &*x.z2_part.get() });
    tail.logits.set_add_bias(&tail.z2, &net.b2);
    tail.losses.set_softmax_cross_entropy_cols(&tail.logits, ys);
    let loss = tail.losses.mean();
    tail.dz2.set_softmax_cross_entropy_cols_dz(&tail.logits, ys);
    // SAFETY: the helper reads `dz2` only after `go` says 2s+2.
    let dz2 = unsafe { &mut *x.dz2.get() };
    dz2.set_scale(&tail.dz2, 1.0 / 64.0);
    tail.db2.set_row_sums(dz2);
    x.go.store(2 * s + 2, Ordering::Release);
    let start = lap(Phase::Tail, start);
    half.backward(n, xs, dz2);
    let start = lap(Phase::Backward, start);
    wait(&x.done, 2 * s + 2);
    lap(Phase::Wait, start);
    black_box((&half.dw1, &half.dw2, &half.db1, &tail.db2));
    loss
}

/// The caller's buffers for the softmax and loss.
struct Tail {
    z2_part: Matrix<Digit, Batch>,
    z2: Matrix<Digit, Batch>,
    logits: Matrix<Digit, Batch>,
    losses: Matrix<One, Batch>,
    dz2: Matrix<Digit, Batch>,
    db2: Vector<Digit>,
}

/// Where the schedule's time goes, summed over its steps: the caller's
/// half, its waits and the loss between the halves, and the helper's half
/// (the phases cost two clock reads each).
#[derive(Clone, Copy)]
enum Phase {
    Forward,
    Wait,
    Tail,
    Backward,
    HelperForward,
    HelperBackward,
}

static PHASES: [AtomicU64; 6] = [const { AtomicU64::new(0) }; 6];

/// Adds the time since `start` to `phase`; the time now.
fn lap(phase: Phase, start: Instant) -> Instant {
    let now = Instant::now();
    PHASES[phase as usize].fetch_add((now - start).as_nanos() as u64, Ordering::Relaxed);
    now
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

mod cross;

fn main() {
    if shapegrad::threads() > 1 {
        println!("two_cores: run without the `parallel` feature (the schedule uses its own two threads)");
        return;
    }
    println!("kernel: {} (one core is the reference; no peak is divided by here)", shapegrad::kernel_isa());
    let net = TwoLayer::<Pixels, Hidden, Digit, f32>::init(4);
    let xs = Matrix::<Pixels, Batch, f32>::from_fn(|i, j| ((i * 7 + j * 3) as f32 * 0.01).sin());
    let mut ys = Classes::<Digit, Batch>::zeros();
    for j in 0..64 {
        ys.set(j, Class::new(j % 10).expect("a digit"));
    }
    let half = |r0: usize| HalfNet {
        w1: Matrix::from_fn(|i, j| net.W1[(r0 + i, j)]),
        b1: Matrix::from_fn(|i, _| net.b1[(r0 + i, 0)]),
        w2: Matrix::from_fn(|i, j| net.W2[(i, r0 + j)]),
    };
    let (n0, n1) = (half(0), half(64));
    let x = Crossing {
        z2_part: UnsafeCell::new(Matrix::zeros()),
        dz2: UnsafeCell::new(Matrix::zeros()),
        go: AtomicU64::new(0),
        done: AtomicU64::new(0),
    };
    let (blocks, per_block) = (30u64, 100u64);
    let (mut one, mut two) = (Vec::new(), Vec::new());
    let mut mine = HalfStep::new();
    let z = Matrix::zeros;
    let mut tail =
        Tail { z2_part: z(), z2: z(), logits: z(), losses: Matrix::zeros(), dz2: z(), db2: Matrix::zeros() };
    let mut loss = 0.0;
    std::thread::scope(|s| {
        let (x, xs_ref, n1) = (&x, &xs, &n1);
        s.spawn(move || helper(blocks * per_block, n1, xs_ref, x));
        let mut at = 0;
        for _ in 0..blocks {
            let start = Instant::now();
            for _ in 0..per_block {
                black_box(black_box(&net).grad_batch(black_box(&xs), &ys));
            }
            one.push(start.elapsed().as_secs_f64() * 1e6 / per_block as f64);
            let start = Instant::now();
            for _ in 0..per_block {
                loss = step(at, &net, &n0, &mut mine, x, &xs, &ys, &mut tail);
                at += 1;
            }
            two.push(start.elapsed().as_secs_f64() * 1e6 / per_block as f64);
        }
    });
    // The schedule computes the documented gradient (its first half here).
    let (want_loss, g) = net.grad_batch(&xs, &ys);
    let worst = (0..64)
        .flat_map(|j| (0..784).map(move |p| (j, p)))
        .map(|(j, p)| (g.W1[(j, p)] - mine.dw1[(j, p)]).abs())
        .fold((loss - want_loss).abs(), f32::max);
    assert!(worst < 1e-5, "the two-thread schedule's gradient is off by {worst}");
    let (a, b) = (median(&mut one), median(&mut two));
    println!(
        "784-128-10 batch 64, alternating blocks of {per_block} steps (medians of {blocks}): grad_batch on one thread {a:.1} µs; hidden units split across two threads by hand {b:.1} µs ({:.2}×)",
        b / a
    );

    let per_step =
        |p: Phase| PHASES[p as usize].load(Ordering::Relaxed) as f64 / 1e3 / (blocks * per_block) as f64;
    println!(
        "  its steps, µs each: this thread's half {:.1} forward + {:.1} backward, waiting {:.1}, loss and dz2 {:.1}; the helper's half {:.1} + {:.1}",
        per_step(Phase::Forward),
        per_step(Phase::Backward),
        per_step(Phase::Wait),
        per_step(Phase::Tail),
        per_step(Phase::HelperForward),
        per_step(Phase::HelperBackward),
    );

    // Half of that work on one thread, then on both at once (each thread
    // its own copy, nothing shared).
    let half_alone = median(&mut (0..9).map(|_| half_steps(&n0, &xs, 200)).collect::<Vec<_>>());
    let both = std::thread::scope(|s| {
        let other = s.spawn(|| half_steps(&n1, &xs, 2000));
        let mine = half_steps(&n0, &xs, 2000);
        (mine, other.join().expect("the other half"))
    });
    println!(
        "one half of the step (64 hidden units) alone on one thread: {half_alone:.1} µs ({:.2}× the whole step); on both threads at once: {:.1} and {:.1} µs",
        half_alone / a,
        both.0,
        both.1
    );
    cross::report();
}

/// µs per call of one half's forward and backward work, over `n` calls.
fn half_steps(n: &HalfNet, xs: &Matrix<Pixels, Batch>, calls: usize) -> f64 {
    let mut half = HalfStep::new();
    let (mut part, dz2) =
        (Matrix::zeros(), Matrix::<Digit, Batch>::from_fn(|i, j| ((i + j) % 3) as f32 * 0.01));
    let start = Instant::now();
    for _ in 0..calls {
        half.forward(n, xs, &mut part);
        half.backward(n, xs, &dz2);
        black_box((&part, &half.dw1, &half.dw2, &half.db1));
    }
    start.elapsed().as_secs_f64() * 1e6 / calls as f64
}
