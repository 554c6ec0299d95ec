//! What every net's gradient struct can do beyond holding the gradients:
//! visit them by name, measure them, clip and scale them.
//!
//! ```
//! use shapegrad::grads::Gradients;
//! use shapegrad::prelude::*;
//!
//! dims! { D = 2; C = 2; }
//! net! {
//!     net Linear {
//!         param W: [C, D];
//!         input x: [D];
//!         label y: C;
//!         loss softmax_cross_entropy(W @ x, y);
//!     }
//! }
//! let net = Linear::<f64>::zeros();
//! let x = Vector::<D, f64>::from_slice(&[3.0, 4.0]).unwrap();
//! let (_, mut g) = net.grad(&x, Class::new(0).unwrap());
//! // ∂L/∂W = (softmax(0) − onehot(0))·xᵀ = [−½, ½]ᵀ·[3, 4]: norm ½·√2·5.
//! assert!((g.global_norm() - 2.5 * 2f64.sqrt()).abs() < 1e-12);
//! let before = g.clip_by_norm(1.0);
//! assert!((before - 2.5 * 2f64.sqrt()).abs() < 1e-12 && (g.global_norm() - 1.0).abs() < 1e-12);
//! g.visit_grads(&mut |name, values| assert_eq!((name, values.len()), ("W", 4)));
//! ```

use crate::Scalar;

/// `out ← out + g`, elementwise: how the batched methods of a net that runs
/// its examples one at a time add each example's gradient into the batch's.
/// Not inlined: one call per param keeps the generated method small (its
/// compile time), and the loop is the same for every param.
#[inline(never)]
pub fn accumulate<T: Scalar>(out: &mut [T], g: &[T]) {
    for (o, &v) in out.iter_mut().zip(g) {
        *o += v;
    }
}

/// The gradients of a net's params, by name (`net!` implements it for
/// every gradient struct it generates).
pub trait Gradients<T: Scalar> {
    /// Calls `f` with each param's name and gradient, in declaration order.
    fn visit_grads(&self, f: &mut dyn FnMut(&'static str, &[T]));

    /// Calls `f` with each param's name and gradient, mutably.
    fn visit_grads_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut [T]));

    /// The Euclidean norm of all the gradients together, as if they were one
    /// vector (summed in `f64`). NaN when a gradient holds a NaN.
    fn global_norm(&self) -> T {
        let mut sum = 0.0f64;
        self.visit_grads(&mut |_, g| sum += g.iter().map(|v| v.to_f64() * v.to_f64()).sum::<f64>());
        T::from_f64(sum.sqrt())
    }

    /// Scales every gradient by `max_norm / norm` when their global norm
    /// exceeds `max_norm` (as PyTorch's `clip_grad_norm_`); returns the norm
    /// before clipping. A non-finite norm leaves the gradients as they are,
    /// so the caller can see it and skip the step.
    fn clip_by_norm(&mut self, max_norm: T) -> T {
        let norm = self.global_norm();
        if norm.is_finite() && norm > max_norm {
            self.scale(max_norm / norm);
        }
        norm
    }

    /// Clamps every gradient value into `[−limit, limit]` (NaN stays NaN).
    fn clip_by_value(&mut self, limit: T) {
        let limit = limit.abs();
        self.visit_grads_mut(&mut |_, g| {
            for v in g {
                if *v > limit {
                    *v = limit;
                } else if *v < T::ZERO - limit {
                    *v = T::ZERO - limit;
                }
            }
        });
    }

    /// Multiplies every gradient by `s` (for example to accumulate over
    /// several batches and average).
    fn scale(&mut self, s: T) {
        self.visit_grads_mut(&mut |_, g| g.iter_mut().for_each(|v| *v *= s));
    }
}
