//! What every net shares, as traits, so that one generic training loop
//! ([`crate::fit`]) serves every net.
//!
//! `net!` implements them for every net whose arguments are one input and at
//! most one label or target (the shape of a supervised model or an
//! autoencoder): [`Net`] and [`BatchNet`] (when it has batched methods) for
//! training, [`Predict`] and [`PredictBatch`] when it has outputs. Nets with
//! several inputs keep their inherent methods only. The traits' methods
//! call the inherent ones. The types of the values are the traits'
//! parameters (`X` the input, `Y` the answer: a `Class`, a target vector,
//! or `()`; `O` the output), so that they may name dims private to the
//! net's module.
//!
//! ```
//! use shapegrad::model::BatchNet;
//! use shapegrad::prelude::*;
//! use shapegrad::random::Rng;
//!
//! dims! { D = 4; C = 3; B = 8; }
//! net! {
//!     net Linear {
//!         param W: [C, D];
//!         input x: [D];
//!         label y: C;
//!         let z = W @ x;
//!         output z;
//!         loss softmax_cross_entropy(z, y);
//!     }
//! }
//!
//! /// The mean training loss of any net on one batch.
//! fn batch_loss<X, Y, N: BatchNet<f32, B, X, Y>>(net: &N, xs: &X, ys: &Y) -> f32 {
//!     net.grad_batch(xs, ys, &mut Rng::seed(0)).0
//! }
//!
//! let net = Linear::<f32>::zeros();
//! let (xs, ys) = (Matrix::<D, B>::zeros(), Classes::<C, B>::zeros());
//! assert!((batch_loss(&net, &xs, &ys) - 3f32.ln()).abs() < 1e-6);
//! ```

use crate::optim::Params;
use crate::random::Rng;
use crate::{Dim, Scalar};

/// A net's per-example training methods: input `X`, answer `Y`.
pub trait Net<T: Scalar, X, Y>: Params<T> {
    /// The loss of one example (`loss`; evaluation mode).
    fn loss(&self, x: &X, y: &Y) -> T;
    /// The loss and the gradient of every param (`grad`).
    fn grad(&self, x: &X, y: &Y) -> (T, Self::Grad);
}

/// A net's per-example outputs: `forward`, in evaluation mode.
pub trait Predict<T: Scalar, X, O> {
    /// The output (a tuple for several).
    fn forward(&self, x: &X) -> O;
}

/// A net's batched training methods, for batches of `B` examples (one per
/// column): `X` a `Matrix<D, B, T>` (or `Tensor4<C, H, W, B, T>` for
/// images), `Y` a `Classes<C, B>`, a `Matrix<N, B, T>` or `()`.
pub trait BatchNet<T: Scalar, B: Dim, X, Y>: Params<T> {
    /// The mean loss of the batch, in training mode (`loss_batch`).
    /// Dropout masks are drawn from `rng`, which other nets ignore.
    fn loss_batch(&self, xs: &X, ys: &Y, rng: &mut Rng) -> T;

    /// The mean loss and the gradient of every param, in training mode
    /// (`grad_batch`): what an optimizer's step takes.
    fn grad_batch(&self, xs: &X, ys: &Y, rng: &mut Rng) -> (T, Self::Grad);
}

/// A net's batched outputs: `forward_batch`, in evaluation mode.
pub trait PredictBatch<T: Scalar, B: Dim, X, O> {
    /// The outputs, one example per column.
    fn forward_batch(&self, xs: &X) -> O;
}
