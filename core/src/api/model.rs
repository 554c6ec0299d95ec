//! What every net shares, as traits, so that one generic training loop
//! ([`crate::fit`]) serves every net.
//!
//! `net!` implements them for every net with a loss and at least one input:
//! [`Net`] and [`BatchNet`] (when it has batched methods) for training,
//! [`Predict`] and [`PredictBatch`] when it has outputs. The traits' methods
//! call the inherent ones. The types of the values are the traits'
//! parameters, so that they may name dims private to the net's module: `X`
//! the input, or a tuple of the inputs in declaration order for several (an
//! RNN's `(x, h0)`: `&(Matrix<…>, Vector<H, T>)`); `Y` the answer: a
//! `Class`, a target vector, a tuple of several, or `()`; `O` the output (a
//! tuple for several). [`crate::fit::Fit`] trains any of them from a
//! [`crate::fit::Batches`] of those types.
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

/// `forward_batch` over a number of examples known only at run time: the
/// rows of `inputs` (`D` values each, one example after another) go through
/// in batches of `B`, the last one padded with copies of its last example,
/// and the outputs come back the same way (`O` values per example). The
/// feature dims stay static and checked; only the count is dynamic. Cost: a
/// pass over `⌈n/B⌉` whole batches, so at most `B − 1` padded columns' work.
///
/// ```
/// use shapegrad::model::forward_rows;
/// use shapegrad::prelude::*;
/// dims! { D = 2; O = 1; }
/// net! { net Sum2 { param w: [O, D]; input x: [D]; let y = w @ x; output y; loss sum(y); } }
/// let mut net = Sum2::<f32>::zeros();
/// net.w = Matrix::from_slice(&[1.0, 10.0]).unwrap();
/// // Five examples through batches of 4: 4 + 1 (padded).
/// let ys = forward_rows::<f32, U4, D, O, _>(&net, &[1., 1., 2., 0., 0., 3., 1., 2., 5., 5.]);
/// assert_eq!(ys, [11., 2., 30., 21., 55.]);
/// ```
///
/// # Panics
/// When `inputs` is not a whole number of examples.
pub fn forward_rows<T, B, D, O, N>(net: &N, inputs: &[T]) -> Vec<T>
where
    T: Scalar,
    B: Dim,
    D: Dim,
    O: Dim,
    N: PredictBatch<T, B, crate::Matrix<D, B, T>, crate::Matrix<O, B, T>>,
{
    assert!(inputs.len().is_multiple_of(D::SIZE), "{} values are not rows of {}", inputs.len(), D::SIZE);
    let n = inputs.len() / D::SIZE;
    let mut xs = crate::Matrix::<D, B, T>::zeros();
    let mut out = Vec::with_capacity(n * O::SIZE);
    for first in (0..n).step_by(B::SIZE) {
        let real = B::SIZE.min(n - first);
        for b in 0..B::SIZE {
            let i = first + b.min(real - 1);
            for (r, &v) in inputs[i * D::SIZE..(i + 1) * D::SIZE].iter().enumerate() {
                xs[(r, b)] = v;
            }
        }
        let ys = net.forward_batch(&xs);
        for b in 0..real {
            out.extend((0..O::SIZE).map(|r| ys[(r, b)]));
        }
    }
    out
}
