//! The backward pass writes every element of every gradient: `grad_into`
//! into a gradient full of NaN gives the same bits as into zeros, for nets
//! of every kind of op a param's gradient comes out of (products, tied
//! weights, biases summed over a batch, convolutions, norms, scalar and
//! elementwise params). `grad` relies on it: its returned gradient reuses
//! the buffers of gradients this thread dropped (`Matrix::for_overwrite`),
//! which here hold NaN.

use shapegrad::data::Digit;
use shapegrad::data::digits::{self, Cols, Pixels, Rows};
use shapegrad::grads::Gradients;
use shapegrad::prelude::*;

mod seeds;

dims! { Hidden = 32; Batch = 8; Wide = 96; }

/// Every gradient value of `g`, in order.
fn values<G: Gradients<f64>>(g: &G) -> Vec<u64> {
    let mut all = Vec::new();
    g.visit_grads(&mut |_, v| all.extend(v.iter().map(|x| x.to_bits())));
    all
}

fn nan<G: Gradients<f64>>(mut g: G) -> G {
    g.visit_grads_mut(&mut |_, v| v.fill(f64::NAN));
    g
}

/// Asserts that `run` (a `grad_into`) writes the same gradient into zeros
/// and into NaN, and that no value is NaN.
fn overwrites<G: Gradients<f64>>(zeros: impl Fn() -> G, mut run: impl FnMut(&mut G)) -> Vec<u64> {
    let (mut a, mut b) = (zeros(), nan(zeros()));
    run(&mut a);
    run(&mut b);
    let (a, b) = (values(&a), values(&b));
    assert!(a.iter().all(|&x| !f64::from_bits(x).is_nan()), "a gradient is NaN");
    let first = a.iter().zip(&b).position(|(x, y)| x != y);
    assert_eq!(first, None, "gradient value {first:?} (in order) was not written by grad_into");
    a
}

net! {
    /// Products, a tied matrix (two outer products into one gradient),
    /// elementwise and scalar params.
    net Dense {
        param W1: [Hidden, Pixels];
        param b1: [Hidden];
        param a: [Hidden];
        param s: [];
        param W2: [Digit, Hidden];
        input x: [Pixels];
        label y: Digit;
        let h = tanh(W1 @ x + b1) * a;
        let r = W1.T @ h - x;
        loss softmax_cross_entropy(W2 @ h, y) + 0.01 * s * sum(r * r) + s * s;
    }
}

#[test]
fn dense_gradients_are_written_in_full() {
    let (train, _) = digits::train_test().unwrap();
    let net = Dense::<f64>::init(3);
    let net = Dense { a: Vector::from_fn(|i, _| 0.5 + 0.01 * i as f64), s: Matrix::from_element(0.3), ..net };
    let (x, y) = train.example::<f64>(0);
    let mut ws = DenseWorkspace::<f64>::new();
    let want = overwrites(DenseGrad::zeros, |g| {
        net.grad_into(&mut ws, &x, y, g);
    });
    // `grad`'s result reuses the NaN buffers of a dropped gradient.
    drop(nan(DenseGrad::<f64>::zeros()));
    assert!(values(&net.grad(&x, y).1) == want, "grad differs from grad_into");

    let mut ws = DenseBatchWorkspace::<Batch, f64>::new();
    let (xs, ys) = train.batches::<Batch, f64>().next().unwrap();
    let want = overwrites(DenseGrad::zeros, |g| {
        net.grad_batch_into(&mut ws, &xs, &ys, g);
    });
    drop(nan(DenseGrad::<f64>::zeros()));
    assert!(values(&net.grad_batch(&xs, &ys).1) == want, "grad_batch differs from grad_batch_into");
}

net! {
    /// Convolutions, pools, batchnorm per channel and per feature, layernorm.
    net Conv {
        param K1: [U4, U1, 3, 3];
        param b1: [U4];
        param g1: [U4];
        param s1: [U4];
        param K2: [U6, U4, 2, 2];
        param b2: [U6];
        param W3: [Hidden, _];
        param g3: [Hidden];
        param s3: [Hidden];
        param g4: [Hidden];
        param s4: [Hidden];
        param W4: [Digit, Hidden];
        param b4: [Digit];
        input x: [U1, Rows, Cols];
        label y: Digit;
        let p1 = maxpool2d(relu(batchnorm(conv2d(x, K1, b1, pad = 1), g1, s1)), 2);
        let p2 = avgpool2d(relu(conv2d(p1, K2, b2, stride = 2)), 2);
        let h3 = relu(layernorm(batchnorm(W3 @ flatten(p2), g3, s3), g4, s4));
        loss softmax_cross_entropy(W4 @ h3 + b4, y);
    }
}

#[test]
fn convolution_and_norm_gradients_are_written_in_full() {
    let (train, _) = digits::train_test().unwrap();
    let net = Conv::<f64>::init(4);
    let mut ws = ConvBatchWorkspace::<Batch, f64>::new();
    let (mut xs, mut ys) = (Tensor4::<U1, Rows, Cols, Batch>::zeros(), Classes::<Digit, Batch>::zeros());
    train.images_into(1, &mut xs, &mut ys).unwrap();
    let xs = xs.map(f64::from);
    let want = overwrites(ConvGrad::zeros, |g| {
        net.grad_batch_into(&mut ws, &xs, &ys, g);
    });
    drop(nan(ConvGrad::<f64>::zeros()));
    assert!(values(&net.grad_batch(&xs, &ys).1) == want, "grad_batch differs from grad_batch_into");
}

#[test]
fn tied_gradients_are_written_in_full() {
    // The tied autoencoder, boxed (`Hidden`×`Wide`), one example and a batch.
    let net = seeds::Autoencoder::<Hidden, Wide, f64>::init(5);
    let x = Vector::<Wide, f64>::from_fn(|i, _| (i as f64 * 0.3).sin());
    let mut ws = seeds::AutoencoderWorkspace::<Hidden, Wide, f64>::new();
    let want = overwrites(seeds::AutoencoderGrad::zeros, |g| {
        net.grad_into(&mut ws, &x, g);
    });
    drop(nan(seeds::AutoencoderGrad::<Hidden, Wide, f64>::zeros()));
    assert!(values(&net.grad(&x).1) == want, "grad differs from grad_into");
    let xs = Matrix::<Wide, Batch, f64>::from_fn(|i, j| ((i * 3 + j) as f64 * 0.1).cos());
    let mut ws = seeds::AutoencoderBatchWorkspace::<Hidden, Wide, Batch, f64>::new();
    let want = overwrites(seeds::AutoencoderGrad::zeros, |g| {
        net.grad_batch_into(&mut ws, &xs, g);
    });
    drop(nan(seeds::AutoencoderGrad::<Hidden, Wide, f64>::zeros()));
    assert!(values(&net.grad_batch(&xs).1) == want, "grad_batch differs from grad_batch_into");
}
