//! A training step allocates nothing after the first: a counting global
//! allocator sees zero allocations over 100 steps of batching, the batched
//! gradient into a workspace, and an Adam update; and the documented
//! methods (`loss`, `grad`, `forward` and their batched forms, in a cached
//! workspace) allocate only the values they return, and not even those
//! when the caller drops each before the next (their buffers are reused).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use shapegrad::data::Digit;
use shapegrad::data::digits::{self, Cols, Pixels, Rows};
use shapegrad::optim::{Adam, Optimizer};
use shapegrad::prelude::*;

mod seeds;

struct Counting;

thread_local! {
    /// This thread's allocations: the test harness allocates on its own
    /// threads while a test runs (starting the next one), which a global
    /// count would see.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// The allocations this thread has made so far.
fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

fn count() {
    // `try_with`: the count is unavailable while the thread is torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: forwards every call to the system allocator unchanged; it only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

dims! { Hidden = 64; Batch = 32; Wide = 256; }

net! {
    net DigitNet {
        param W1: [Hidden, Pixels];
        param b1: [Hidden];
        param W2: [Digit, Hidden];
        param b2: [Digit];
        input x: [Pixels];
        label y: Digit;
        let h = swish(W1 @ x + b1);
        loss softmax_cross_entropy(W2 @ h + b2, y);
    }
}

net! {
    /// A stack of residual blocks: a loop over its members, whose step
    /// values live in the workspace as a recurrence's do.
    layer Res(x) {
        param W: [Hidden, Hidden];
        param b: [Hidden];
        x + relu(W @ x + b)
    }

    net Stacked {
        param W1: [Hidden, Pixels];
        param blocks: [Res; 4];
        param W2: [Digit, Hidden];
        input x: [Pixels];
        label y: Digit;
        loss softmax_cross_entropy(W2 @ blocks(tanh(W1 @ x)), y);
    }
}

net! {
    net Autoencoder<M, N> {
        param W: [M, N];
        input x: [N];
        let v = W.T @ (W @ x) - x;
        loss 0.5 * sum(v * v);
    }
}

#[test]
fn a_hundred_training_steps_allocate_nothing() {
    let (train, _) = digits::train_test().unwrap();
    let mut net = DigitNet::<f32>::init(1);
    let mut adam = Adam::new(1e-3);
    let mut ws = DigitNetBatchWorkspace::<Batch, f32>::new();
    let mut grads = DigitNetGrad::<f32>::zeros();
    let (mut xs, mut ys) = (Matrix::<Pixels, Batch>::zeros(), Classes::<Digit, Batch>::zeros());
    let step = |k: usize| {
        train.batch_into(k % train.num_batches::<Batch>(), &mut xs, &mut ys);
        let loss = net.grad_batch_into(&mut ws, &xs, &ys, &mut grads);
        adam.step(&mut net, &grads);
        loss
    };
    // Adam's state is allocated at step 0.
    let (first, last, during) = hundred_steps(step);
    assert_eq!(during, 0, "{during} allocations in 100 training steps");
    assert!(last < first, "the steps did train: {first} → {last}");

    // The per-example gradient of a generic net, with an SGD-like update by hand.
    let mut ae = Autoencoder::<U8, Wide, f32>::init(2);
    let mut ws = AutoencoderWorkspace::<U8, Wide, f32>::new();
    let mut g = AutoencoderGrad::<U8, Wide, f32>::zeros();
    let x = Vector::<Wide, f32>::from_fn(|i, _| (i as f32 * 0.1).sin());
    ae.grad_into(&mut ws, &x, &mut g);
    let before = allocations();
    for _ in 0..100 {
        ae.grad_into(&mut ws, &x, &mut g);
        ae.W.axpy(-0.01, &g.W);
    }
    assert_eq!(allocations() - before, 0);

    // A stack of layers, looped over its members.
    let mut net = Stacked::<f32>::init(3);
    let mut adam = Adam::new(1e-3);
    let mut ws = StackedBatchWorkspace::<Batch, f32>::new();
    let mut grads = StackedGrad::<f32>::zeros();
    let step = |k: usize| {
        train.batch_into(k % train.num_batches::<Batch>(), &mut xs, &mut ys);
        let loss = net.grad_batch_into(&mut ws, &xs, &ys, &mut grads);
        adam.step(&mut net, &grads);
        loss
    };
    let (first, last, during) = hundred_steps(step);
    assert_eq!(during, 0, "{during} allocations in 100 steps of a stack");
    assert!(last < first, "the stack did train: {first} → {last}");
}

net! {
    /// A convolutional net: im2col buffers, pools and `_` included.
    net DigitCnn {
        param K1: [U8, U1, 3, 3];
        param b1: [U8];
        param K2: [U16, U8, 2, 2];
        param b2: [U16];
        param W3: [Digit, _];
        param b3: [Digit];
        input x: [U1, Rows, Cols];
        label y: Digit;
        let p1 = maxpool2d(relu(conv2d(x, K1, b1, pad = 1)), 2);
        let p2 = avgpool2d(relu(conv2d(p1, K2, b2, stride = 2)), 2);
        loss softmax_cross_entropy(W3 @ flatten(p2) + b3, y);
    }
}

#[test]
fn a_hundred_convolutional_steps_allocate_nothing() {
    let (train, _) = digits::train_test().unwrap();
    let mut net = DigitCnn::<f32>::init(1);
    let mut adam = Adam::new(1e-3);
    let mut ws = DigitCnnBatchWorkspace::<Batch, f32>::new();
    let mut grads = DigitCnnGrad::<f32>::zeros();
    let (mut xs, mut ys) = (Tensor4::<U1, Rows, Cols, Batch>::zeros(), Classes::<Digit, Batch>::zeros());
    let step = |k: usize| {
        train.images_into(k % train.num_batches::<Batch>(), &mut xs, &mut ys).unwrap();
        let loss = net.grad_batch_into(&mut ws, &xs, &ys, &mut grads);
        adam.step(&mut net, &grads);
        loss
    };
    let (first, last, during) = hundred_steps(step);
    assert_eq!(during, 0, "{during} allocations in 100 convolutional training steps");
    assert!(last < first, "the steps did train: {first} → {last}");
}

net! {
    /// Batchnorm (per feature and per channel), layernorm and dropout.
    net Normed {
        param K1: [U4, U1, 3, 3];
        param b1: [U4];
        param g1: [U4];
        param s1: [U4];
        param W2: [Hidden, _];
        param g2: [Hidden];
        param s2: [Hidden];
        param g3: [Hidden];
        param s3: [Hidden];
        param W3: [Digit, Hidden];
        input x: [U1, Rows, Cols];
        label y: Digit;
        let a1 = batchnorm(conv2d(x, K1, b1, pad = 1), g1, s1);
        let p1 = dropout(maxpool2d(relu(a1), 2), 0.2);
        let a2 = batchnorm(W2 @ flatten(p1), g2, s2);
        let h2 = dropout(relu(layernorm(a2, g3, s3)), 0.5);
        loss softmax_cross_entropy(W3 @ h2, y);
    }
}

#[test]
fn a_hundred_steps_with_norms_and_dropout_allocate_nothing() {
    let (train, _) = digits::train_test().unwrap();
    let mut net = Normed::<f32>::init(1);
    let mut adam = Adam::new(1e-3);
    let mut rng = shapegrad::random::Rng::seed(1);
    let mut ws = NormedBatchWorkspace::<Batch, f32>::new();
    let mut grads = NormedGrad::<f32>::zeros();
    let (mut xs, mut ys) = (Tensor4::<U1, Rows, Cols, Batch>::zeros(), Classes::<Digit, Batch>::zeros());
    let mut step = |k: usize| {
        train.images_into(k % train.num_batches::<Batch>(), &mut xs, &mut ys).unwrap();
        let loss = net.grad_batch_into(&mut ws, &xs, &ys, &mut rng, &mut grads);
        adam.step(&mut net, &grads);
        loss
    };
    let first = step(0);
    let mut losses = Vec::with_capacity(100);
    let before = allocations();
    for k in 1..=100 {
        losses.push(step(k));
    }
    let during = allocations() - before;
    assert_eq!(during, 0, "{during} allocations in 100 steps with batchnorm, layernorm and dropout");
    let late = losses[90..].iter().sum::<f32>() / 10.0;
    assert!(late < first, "the steps did train: {first} → {late}");
}

net! {
    /// The digits net with an output, for `forward` and `forward_batch`.
    net Scored {
        param W1: [Hidden, Pixels];
        param b1: [Hidden];
        param W2: [Digit, Hidden];
        param b2: [Digit];
        input x: [Pixels];
        label y: Digit;
        let z = W2 @ swish(W1 @ x + b1) + b2;
        output z;
        loss softmax_cross_entropy(z, y);
    }
}

net! {
    /// Inline values only (200 f64 are 1.6 KB), but a dozen of them: too
    /// much for the stack, so its workspace is cached instead.
    net Deep {
        param W: [U200, U200];
        input x: [U200];
        let a = tanh(W @ x);
        let b = tanh(W @ a);
        let c = tanh(W @ b);
        let d = tanh(W @ c);
        loss sum(d * d);
    }
}

#[test]
fn a_small_nets_documented_methods_allocate_nothing() {
    // A workspace of inline buffers is made on the stack when it is at most 16 KiB.
    const { assert!(seeds::TwoLayerWorkspace::<U8, U16, U4, f32>::INLINE) };
    const { assert!(!ScoredWorkspace::<f32>::INLINE && !DeepWorkspace::<f64>::INLINE) };
    const { assert!(Vector::<U200, f64>::INLINE && size_of::<DeepWorkspace<f64>>() > 16 * 1024) };
    let deep = Deep::<f64>::init(1);
    let x = Vector::<U200, f64>::from_fn(|i, _| (i as f64 * 0.1).sin());
    // Its params are boxed (200×200), its gradient one buffer, which reuses
    // the dropped gradient's; the cached workspace nothing.
    assert_eq!(allocations_per_call(20, || _ = std::hint::black_box(deep.grad(&x))), 0.0);
    assert_eq!(allocations_per_call(20, || _ = std::hint::black_box(deep.loss(&x))), 0.0);

    let net = seeds::TwoLayer::<U8, U16, U4, f32>::init(5);
    let x = Vector::<U8, f32>::from_fn(|i, _| (i as f32 * 0.9).sin());
    let y = Class::<U4>::new(2).unwrap();
    // Every param, gradient and intermediate value is inline: nothing to allocate.
    assert_eq!(allocations_per_call(50, || _ = std::hint::black_box(net.loss(&x, y))), 0.0);
    assert_eq!(allocations_per_call(50, || _ = std::hint::black_box(net.grad(&x, y))), 0.0);
    assert_eq!(allocations_per_call(50, || _ = std::hint::black_box(net.forward(&x))), 0.0);
    let (loss, g) = net.grad(&x, y);
    assert_eq!(loss, net.loss(&x, y));
    assert!(net.gradcheck(&x, y).is_ok(1e-6), "{}", net.gradcheck(&x, y));
    assert!(g.b2.as_slice().iter().sum::<f32>().abs() < 1e-6, "softmax − one-hot sums to 0");
}

/// The allocations `f` makes, over `calls` calls after a first one.
/// Step 0 (which allocates what a training run keeps, Adam's state among
/// it), then steps 1 to 100: the first loss, the last, and how many
/// allocations the hundred made.
fn hundred_steps(mut step: impl FnMut(usize) -> f32) -> (f32, f32, usize) {
    let first = step(0);
    let before = allocations();
    let mut last = first;
    for k in 1..=100 {
        last = step(k);
    }
    (first, last, allocations() - before)
}

fn allocations_per_call(calls: usize, mut f: impl FnMut()) -> f64 {
    f();
    let before = allocations();
    for _ in 0..calls {
        f();
    }
    (allocations() - before) as f64 / calls as f64
}

#[test]
fn the_documented_methods_allocate_only_what_they_return() {
    let (train, _) = digits::train_test().unwrap();
    let net = Scored::<f32>::init(3);
    let (x, y) = train.example::<f32>(0);
    let (xs, ys) = train.batches::<Batch, f32>().next().unwrap();
    // The losses return a number: nothing at all.
    assert_eq!(allocations_per_call(50, || _ = std::hint::black_box(net.loss(&x, y))), 0.0);
    assert_eq!(allocations_per_call(50, || _ = std::hint::black_box(net.loss_batch(&xs, &ys))), 0.0);
    // A gradient is one buffer per param too large to be inline: the two
    // weight matrices (64×64 and 10×64), not the biases (64 and 10). A
    // training loop drops each gradient before the next: the next reuses
    // its buffers (`shapegrad::storage`), so nothing is allocated.
    const { assert!(!Matrix::<Hidden, Pixels>::INLINE && !Matrix::<Digit, Hidden>::INLINE) };
    const { assert!(Vector::<Hidden>::INLINE && Vector::<Digit>::INLINE) };
    assert_eq!(allocations_per_call(50, || drop(std::hint::black_box(net.grad(&x, y)))), 0.0);
    assert_eq!(allocations_per_call(50, || drop(std::hint::black_box(net.grad_batch(&xs, &ys)))), 0.0);
    // Gradients that are kept are buffers of their own.
    let mut kept = Vec::with_capacity(51);
    assert_eq!(allocations_per_call(50, || kept.push(net.grad_batch(&xs, &ys))), 2.0);
    drop(kept);
    // An output: 10 scores are inline, 10×32 of them one buffer, reused likewise.
    const { assert!(!Matrix::<Digit, Batch>::INLINE) };
    assert_eq!(allocations_per_call(50, || _ = std::hint::black_box(net.forward(&x))), 0.0);
    assert_eq!(allocations_per_call(50, || drop(std::hint::black_box(net.forward_batch(&xs)))), 0.0);
    // Another thread has a cache of its own, and computes the same values.
    let loss = net.loss_batch(&xs, &ys);
    let other = std::thread::scope(|s| s.spawn(|| net.loss_batch(&xs, &ys)).join().unwrap());
    assert_eq!(loss, other);
}

/// The contract's transformer block: per-example matrices and token
/// sequences, whose batched methods loop over the examples.
mod block {
    use shapegrad::prelude::*;

    dims! { pub V = 16; pub D = 16; pub T = 8; pub F = 32; pub Seqs = 4; }

    include!("blocks/contract.rs");
}

#[test]
fn a_hundred_steps_of_a_transformer_block_allocate_nothing() {
    use block::{ContractBlock, ContractBlockBatchWorkspace, ContractBlockGrad, Seqs, T, V};
    let mut net = ContractBlock::<f32>::init(1);
    let mut adam = Adam::new(1e-2);
    let mut ws = ContractBlockBatchWorkspace::<Seqs, f32>::new();
    let mut grads = ContractBlockGrad::<f32>::zeros();
    let tokens = Sequences::<V, T, Seqs>::from_fn(|t, b| (t + 3 * b) % 16).unwrap();
    let next = Sequences::<V, T, Seqs>::from_fn(|t, b| (t + 1 + 3 * b) % 16).unwrap();
    let mask = Tensor3::<T, T, Seqs>::from_fn(|key, query, _| if key <= query { 0.0 } else { -1e9 });
    let mut step = || {
        let loss = net.grad_batch_into(&mut ws, &tokens, &mask, &next, &mut grads);
        adam.step(&mut net, &grads);
        loss
    };
    let (first, last, during) = hundred_steps(|_| step());
    assert_eq!(during, 0, "{during} allocations in 100 steps of a transformer block");
    assert!(last < 0.5 * first, "the steps did train: {first} → {last}");
}

mod lstm {
    use shapegrad::prelude::*;

    dims! { pub D = 8; pub H = 16; pub V = 10; pub T = 12; pub Seqs = 4; }

    net! {
        /// An LSTM language model: a loop over time, two states, packed gates.
        pub net Lstm {
            param E: [V, D];
            param Wx: [4 * H, D];
            param Wh: [4 * H, H];
            param b: [4 * H];
            param Wy: [V, H];
            input ws: [T] of V;
            input h0: [H];
            label ys: [T] of V;
            for t in T {
                init h = h0;
                init c = h0;
                let a = Wx @ E[ws[t]] + Wh @ h[t - 1] + b;
                let c[t] = sigmoid(a[H..2 * H]) * c[t - 1] + sigmoid(a[0..H]) * tanh(a[2 * H..3 * H]);
                let h[t] = sigmoid(a[3 * H..4 * H]) * tanh(c[t]);
                let l[t] = softmax_cross_entropy(Wy @ h[t], ys[t]);
            }
            loss mean(l);
        }
    }
}

#[test]
fn a_hundred_steps_of_an_lstm_allocate_nothing() {
    use lstm::{H, Lstm, LstmBatchWorkspace, LstmGrad, Seqs, T, V};
    let mut net = Lstm::<f32>::init(1);
    let mut adam = Adam::new(1e-2);
    let mut ws = LstmBatchWorkspace::<Seqs, f32>::new();
    let mut grads = LstmGrad::<f32>::zeros();
    let tokens = Sequences::<V, T, Seqs>::from_fn(|t, b| (t + 3 * b) % 10).unwrap();
    let next = Sequences::<V, T, Seqs>::from_fn(|t, b| (t + 1 + 3 * b) % 10).unwrap();
    let h0 = Matrix::<H, Seqs>::zeros();
    let mut step = || {
        let loss = net.grad_batch_into(&mut ws, &tokens, &h0, &next, &mut grads);
        adam.step(&mut net, &grads);
        loss
    };
    let (first, last, during) = hundred_steps(|_| step());
    assert_eq!(during, 0, "{during} allocations in 100 steps of an LSTM");
    assert!(last < 0.5 * first, "the steps did train: {first} → {last}");
}
