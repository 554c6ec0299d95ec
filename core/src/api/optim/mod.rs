//! Optimizers, for any net: `net!` implements [`Params`], which visits each
//! param by name with its gradient, and every optimizer works through it.
//!
//! All optimizers follow PyTorch's conventions, including weight decay as an
//! L2 term added to the gradient (`g + λp`). Their state is allocated at the
//! first step; later steps allocate nothing.
//!
//! ```
//! use shapegrad::prelude::*;
//! use shapegrad::optim::{Adam, Optimizer};
//!
//! dims! { N = 3; }
//! net! { net Fit { param w: [N]; input c: [N]; loss 0.5 * sum(square(w - c)); } }
//!
//! let c = Vector::<N, f64>::from_slice(&[1.0, -2.0, 0.5]).unwrap();
//! let mut net = Fit::<f64>::zeros();
//! let mut adam = Adam::new(0.1);
//! for _ in 0..500 {
//!     let (_, g) = net.grad(&c);
//!     adam.step(&mut net, &g);
//! }
//! assert!(net.w.approx_eq(&c, 1e-3));
//! ```
//!
//! # Learning rates and gradients out of the ordinary
//!
//! A learning rate, a momentum or a decay is a public field, used as given:
//! there is no check, and each case has one behaviour, tested.
//!
//! | input | what a step does |
//! |---|---|
//! | `lr = 0` | nothing: every param stays as it is (Adam's and RMSProp's state still advance) |
//! | `lr < 0` | a step up the gradient instead of down (gradient ascent) |
//! | `lr` NaN | every param becomes NaN at the first step |
//! | a NaN or an infinity in a gradient | that param's element becomes NaN or infinite (Adam, RMSProp: NaN); the others are untouched |

mod optimizers;
pub mod schedule;
mod state;

pub use optimizers::{Adam, Momentum, RmsProp, Sgd};
pub use state::OptimizerState;

use crate::Scalar;

/// A param's shape as declared: no dim for a scalar (`[]`), one for a
/// column vector (`[N]`), two for a matrix, three or four for a tensor
/// (`[C, H, W]`, `[F, C, KH, KW]`). Safetensors files store it as is.
///
/// ```
/// use shapegrad::optim::ParamShape;
/// let k = ParamShape::new(&[8, 3, 5, 5]);
/// assert_eq!((k.dims(), k.len(), k.is_vector()), (&[8, 3, 5, 5][..], 600, false));
/// assert_eq!(ParamShape::new(&[]).len(), 1, "a scalar");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParamShape {
    dims: [usize; 4],
    rank: usize,
}

impl ParamShape {
    /// The shape with `dims`; dims past the fourth are dropped (no param has more).
    pub fn new(dims: &[usize]) -> Self {
        let rank = dims.len().min(4);
        let mut d = [1; 4];
        d[..rank].copy_from_slice(&dims[..rank]);
        ParamShape { dims: d, rank }
    }

    /// The dims, as declared.
    pub fn dims(&self) -> &[usize] {
        &self.dims[..self.rank]
    }

    /// The number of elements (1 for a scalar).
    pub fn len(&self) -> usize {
        self.dims().iter().product()
    }

    /// Whether it has no element (a dim of size 0; never for a `net!` param).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it is a column vector (`[N]`), as a bias is.
    pub fn is_vector(&self) -> bool {
        self.rank == 1
    }
}

/// A param as an optimizer or a serializer sees it (see [`Params::visit`]).
pub struct ParamRef<'a, T> {
    /// The name declared in `net!`.
    pub name: &'static str,
    /// Its shape as declared.
    pub shape: ParamShape,
    /// Its elements, row-major.
    pub values: &'a [T],
}

/// A param, mutably (see [`Params::visit_mut`]).
///
/// ```
/// use shapegrad::optim::Params;
/// use shapegrad::prelude::*;
/// dims! { N = 3; }
/// net! { net Fit { param w: [N]; input c: [N]; loss sum(square(w - c)); } }
/// let mut net = Fit::<f32>::zeros();
/// net.visit_mut(&mut |p| p.values.fill(1.0));
/// assert_eq!(net.w.as_slice(), &[1.0, 1.0, 1.0]);
/// ```
pub struct ParamMut<'a, T> {
    /// The name declared in `net!`.
    pub name: &'static str,
    /// Its shape as declared.
    pub shape: ParamShape,
    /// Its elements, row-major.
    pub values: &'a mut [T],
}

/// The params of a net, visited in declaration order. `net!` implements it.
///
/// ```
/// use shapegrad::optim::Params;
/// use shapegrad::prelude::*;
/// dims! { H = 3; D = 2; }
/// net! { net Layer { param W: [H, D]; param b: [H]; input x: [D]; loss sum(W @ x + b); } }
///
/// let mut names = Vec::new();
/// Layer::<f32>::zeros().visit(&mut |p| names.push((p.name, p.shape.dims().to_vec(), p.shape.is_vector())));
/// assert_eq!(names, [("W", vec![3, 2], false), ("b", vec![3], true)]);
/// ```
pub trait Params<T: Scalar> {
    /// The gradient type (`TwoLayerGrad<T>` for `TwoLayer<T>`).
    type Grad;
    /// Calls `f` on each param.
    fn visit(&self, f: &mut dyn FnMut(ParamRef<'_, T>));
    /// Calls `f` on each param, mutably.
    fn visit_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, T>));
    /// Calls `f` on each param, mutably, with its gradient.
    fn visit_with_grad(&mut self, grad: &Self::Grad, f: &mut dyn FnMut(ParamMut<'_, T>, &[T]));
    /// Calls `f` on each tensor of state that is not a param (the running
    /// statistics of a batchnorm): saved and loaded with the params, never
    /// touched by an optimizer as one. None by default.
    fn visit_state(&self, f: &mut dyn FnMut(ParamRef<'_, T>)) {
        let _ = f;
    }
    /// [`visit_state`](Self::visit_state), mutably.
    fn visit_state_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, T>)) {
        let _ = f;
    }
    /// After an optimizer's step: the state a training step's gradient
    /// carries (a batchnorm's batch statistics) updates the net's (its
    /// running statistics). Nothing by default.
    fn update_state(&mut self, grad: &Self::Grad) {
        let _ = grad;
    }
    /// The net's name and a hash of its structure (its ops and shapes), which
    /// weights files record and loading checks. `net!` implements it; None
    /// by default (then files are checked by their tensors alone).
    fn identity(&self) -> Option<(&'static str, u64)> {
        None
    }
}

/// Updates params from their gradients.
///
/// ```
/// use shapegrad::optim::{Optimizer, Sgd};
/// use shapegrad::prelude::*;
/// dims! { N = 2; }
/// net! { net Fit { param w: [N]; input c: [N]; loss 0.5 * sum(square(w - c)); } }
///
/// let c = Vector::<N, f64>::from_slice(&[1.0, 2.0]).unwrap();
/// let mut net = Fit::<f64>::zeros();
/// let (_, g) = net.grad(&c); // g = w − c = (−1, −2)
/// Sgd::new(0.5).step(&mut net, &g);
/// assert_eq!(net.w.as_slice(), &[0.5, 1.0]);
/// ```
pub trait Optimizer<T: Scalar> {
    /// One update of every param of `params` from `grad`.
    fn step<P: Params<T>>(&mut self, params: &mut P, grad: &P::Grad);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two params, `a` (2 values) and `b` (1 value), with the gradient of
    /// f = ½ Σ kᵢ (pᵢ − cᵢ)², whose minimum is at c.
    #[derive(Clone)]
    struct Quad {
        a: Vec<f64>,
        b: Vec<f64>,
    }

    const K: [f64; 3] = [1.0, 4.0, 0.5];
    const C: [f64; 3] = [1.0, -2.0, 3.0];

    impl Params<f64> for Quad {
        type Grad = Quad;
        fn visit(&self, f: &mut dyn FnMut(ParamRef<'_, f64>)) {
            f(ParamRef { name: "a", shape: ParamShape::new(&[2]), values: &self.a });
            f(ParamRef { name: "b", shape: ParamShape::new(&[1]), values: &self.b });
        }
        fn visit_mut(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
            f(ParamMut { name: "a", shape: ParamShape::new(&[2]), values: &mut self.a });
            f(ParamMut { name: "b", shape: ParamShape::new(&[1]), values: &mut self.b });
        }
        fn visit_with_grad(&mut self, g: &Quad, f: &mut dyn FnMut(ParamMut<'_, f64>, &[f64])) {
            f(ParamMut { name: "a", shape: ParamShape::new(&[2]), values: &mut self.a }, &g.a);
            f(ParamMut { name: "b", shape: ParamShape::new(&[1]), values: &mut self.b }, &g.b);
        }
    }

    impl Quad {
        fn start() -> Self {
            Quad { a: vec![0.0, 0.0], b: vec![0.0] }
        }
        fn values(&self) -> [f64; 3] {
            [self.a[0], self.a[1], self.b[0]]
        }
        fn grad(&self) -> Quad {
            let p = self.values();
            let g: Vec<f64> = (0..3).map(|i| K[i] * (p[i] - C[i])).collect();
            Quad { a: g[..2].to_vec(), b: g[2..].to_vec() }
        }
    }

    fn run(opt: &mut impl Optimizer<f64>, steps: usize) -> Quad {
        let mut q = Quad::start();
        for _ in 0..steps {
            let g = q.grad();
            opt.step(&mut q, &g);
        }
        q
    }

    fn close(got: [f64; 3], want: [f64; 3], tol: f64) -> bool {
        got.iter().zip(want).all(|(g, w)| (g - w).abs() <= tol)
    }

    #[test]
    fn every_optimizer_reaches_the_minimum() {
        assert!(close(run(&mut Sgd::new(0.2), 300).values(), C, 1e-9));
        assert!(close(run(&mut Momentum::new(0.05), 600).values(), C, 1e-9));
        assert!(close(run(&mut Momentum::nesterov(0.05), 600).values(), C, 1e-9));
        assert!(close(run(&mut RmsProp::new(0.01), 2000).values(), C, 2e-2));
        assert!(close(run(&mut Adam::new(0.05), 3000).values(), C, 1e-6));
    }

    #[test]
    fn learning_rates_out_of_the_ordinary_do_what_the_table_says() {
        // From p = 0 the gradient is g = (−1, 8, −1.5).
        assert_eq!(run(&mut Sgd::new(0.0), 3).values(), [0.0; 3], "lr 0: nothing moves");
        assert_eq!(run(&mut Adam::new(0.0), 3).values(), [0.0; 3]);
        assert!(close(run(&mut Sgd::new(-0.1), 1).values(), [-0.1, 0.8, -0.15], 1e-15), "lr < 0: ascent");
        for nan in [
            run(&mut Sgd::new(f64::NAN), 1),
            run(&mut Momentum::new(f64::NAN), 1),
            run(&mut RmsProp::new(f64::NAN), 1),
            run(&mut Adam::new(f64::NAN), 1),
        ] {
            assert!(nan.values().iter().all(|p| p.is_nan()), "lr NaN: every param NaN");
        }
        // A NaN in one element of the gradient spoils that element only.
        let mut q = Quad::start();
        let mut g = q.grad();
        g.a[1] = f64::NAN;
        Sgd::new(0.1).step(&mut q, &g);
        assert!(q.a[1].is_nan(), "{:?}", q.values());
        assert!((q.a[0] - 0.1).abs() < 1e-15 && (q.b[0] - 0.15).abs() < 1e-15, "{:?}", q.values());
        let mut q = Quad::start();
        Adam::new(0.1).step(&mut q, &g);
        assert!(q.a[1].is_nan() && q.a[0].is_finite() && q.b[0].is_finite());
    }

    #[test]
    fn first_steps_match_hand_computation() {
        // From p = 0 the gradient is g = −k ⊙ c = (−1, 8, −1.5).
        // SGD, lr 0.1: p₁ = 0.1·(1, −8, 1.5).
        assert!(close(run(&mut Sgd::new(0.1), 1).values(), [0.1, -0.8, 0.15], 1e-15));
        // With weight decay the first step is the same (p = 0); the second:
        // p₁ = (0.1, −0.8, 0.15), g₁ = k ⊙ (p₁ − c) + 0.5 p₁ = (−0.85, 4.4, −1.35)
        // p₂ = p₁ − 0.1 g₁ = (0.185, −1.24, 0.285).
        assert!(close(
            run(&mut Sgd::new(0.1).with_weight_decay(0.5), 2).values(),
            [0.185, -1.24, 0.285],
            1e-12
        ));
        // Momentum 0.9, lr 0.1: v₁ = g₀, p₁ = −0.1 g₀ as SGD; then
        // g₁ = k ⊙ (p₁ − c) = (−0.9, 4.8, −1.425), v₂ = 0.9 g₀ + g₁ = (−1.8, 12, −2.775),
        // p₂ = p₁ − 0.1 v₂ = (0.28, −2.0, 0.4275).
        assert!(close(run(&mut Momentum::new(0.1), 2).values(), [0.28, -2.0, 0.4275], 1e-12));
        // Nesterov: p₁ = −0.1 (g₀ + 0.9 g₀) = 0.19·(1, −8, 1.5).
        assert!(close(run(&mut Momentum::nesterov(0.1), 1).values(), [0.19, -1.52, 0.285], 1e-12));
        // RMSProp, lr 0.01, α 0.99: s₁ = 0.01 g₀², p₁ = −0.01 g₀ / (0.1 |g₀| + ε) = 0.1·sign(−g₀).
        assert!(close(run(&mut RmsProp::new(0.01), 1).values(), [0.1, -0.1, 0.1], 1e-8));
        // Adam, lr 0.1: m̂₁ = g₀, v̂₁ = g₀², p₁ = −0.1 g₀/(|g₀| + ε) = 0.1·sign(−g₀).
        assert!(close(run(&mut Adam::new(0.1), 1).values(), [0.1, -0.1, 0.1], 1e-8));
    }

    #[test]
    fn state_is_sized_once() {
        let mut adam = Adam::new(0.1);
        let mut q = Quad::start();
        let g = q.grad();
        adam.step(&mut q, &g);
        let ptrs: Vec<*const f64> = adam.m.buffers.iter().map(|b| b.as_ptr()).collect();
        adam.step(&mut q, &g);
        assert_eq!(ptrs, adam.m.buffers.iter().map(|b| b.as_ptr()).collect::<Vec<_>>());
        assert_eq!(adam.steps(), 2);
    }
}
