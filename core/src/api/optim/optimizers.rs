//! The optimizers: plain gradient descent, momentum (and Nesterov's),
//! RMSProp and Adam, each with weight decay, on any [`Params`].

use super::{Optimizer, Params};
use crate::Scalar;

/// One state buffer per param and per kind, allocated at the first step.
#[derive(Clone, Debug, Default)]
pub(super) struct State<T> {
    pub(super) buffers: Vec<Vec<T>>,
}

impl<T: Scalar> State<T> {
    /// The buffer of param `i`, `len` zeros the first time.
    fn get(&mut self, i: usize, len: usize) -> &mut [T] {
        if self.buffers.len() <= i {
            self.buffers.resize_with(i + 1, Vec::new);
        }
        if self.buffers[i].len() != len {
            self.buffers[i] = vec![T::ZERO; len];
        }
        &mut self.buffers[i]
    }
}

/// The gradient with weight decay: `g + λp`.
#[inline(always)]
fn decayed<T: Scalar>(g: T, p: T, weight_decay: T) -> T {
    g + weight_decay * p
}

/// Plain gradient descent: `p ← p − lr·(g + λp)`.
///
/// Defaults: `lr = 0.01`, no weight decay.
///
/// ```
/// use shapegrad::optim::Sgd;
/// let sgd = Sgd::<f32>::new(0.1).with_weight_decay(1e-4);
/// assert_eq!((sgd.lr, sgd.weight_decay), (0.1, 1e-4));
/// assert_eq!(Sgd::<f32>::default().lr, 0.01);
/// ```
#[derive(Clone, Debug)]
pub struct Sgd<T> {
    /// Learning rate.
    pub lr: T,
    /// L2 weight decay λ.
    pub weight_decay: T,
}

impl<T: Scalar> Sgd<T> {
    /// Gradient descent with learning rate `lr`.
    pub fn new(lr: T) -> Self {
        Sgd { lr, weight_decay: T::ZERO }
    }

    /// The same with weight decay `λ`.
    pub fn with_weight_decay(self, weight_decay: T) -> Self {
        Sgd { weight_decay, ..self }
    }
}

impl<T: Scalar> Default for Sgd<T> {
    fn default() -> Self {
        Self::new(T::from_f64(0.01))
    }
}

impl<T: Scalar> Optimizer<T> for Sgd<T> {
    fn step<P: Params<T>>(&mut self, params: &mut P, grad: &P::Grad) {
        let (lr, wd) = (self.lr, self.weight_decay);
        params.visit_with_grad(grad, &mut |p, g| {
            for (p, &g) in p.values.iter_mut().zip(g) {
                *p -= lr * decayed(g, *p, wd);
            }
        });
        params.update_state(grad);
    }
}

/// Gradient descent with (heavy-ball) momentum: `v ← μv + g`, `p ← p − lr·v`;
/// with Nesterov's correction `p ← p − lr·(g + μv)` instead.
///
/// Defaults: `lr = 0.01`, `μ = 0.9`, no weight decay, no Nesterov.
///
/// ```
/// use shapegrad::optim::Momentum;
/// let heavy_ball = Momentum::<f32>::new(0.1).with_momentum(0.95);
/// let nesterov = Momentum::<f32>::nesterov(0.1);
/// assert!(!heavy_ball.nesterov && nesterov.nesterov && nesterov.momentum == 0.9);
/// ```
#[derive(Clone, Debug)]
pub struct Momentum<T> {
    /// Learning rate.
    pub lr: T,
    /// Momentum μ.
    pub momentum: T,
    /// L2 weight decay λ.
    pub weight_decay: T,
    /// Use Nesterov's accelerated gradient.
    pub nesterov: bool,
    pub(super) velocity: State<T>,
}

impl<T: Scalar> Momentum<T> {
    /// Momentum 0.9 with learning rate `lr`.
    pub fn new(lr: T) -> Self {
        Momentum {
            lr,
            momentum: T::from_f64(0.9),
            weight_decay: T::ZERO,
            nesterov: false,
            velocity: State::default(),
        }
    }

    /// Nesterov's accelerated gradient, momentum 0.9, learning rate `lr`.
    pub fn nesterov(lr: T) -> Self {
        Momentum { nesterov: true, ..Self::new(lr) }
    }

    /// The same with momentum `μ`.
    pub fn with_momentum(self, momentum: T) -> Self {
        Momentum { momentum, ..self }
    }

    /// The same with weight decay `λ`.
    pub fn with_weight_decay(self, weight_decay: T) -> Self {
        Momentum { weight_decay, ..self }
    }
}

impl<T: Scalar> Default for Momentum<T> {
    fn default() -> Self {
        Self::new(T::from_f64(0.01))
    }
}

impl<T: Scalar> Optimizer<T> for Momentum<T> {
    fn step<P: Params<T>>(&mut self, params: &mut P, grad: &P::Grad) {
        let (lr, mu, wd, nesterov) = (self.lr, self.momentum, self.weight_decay, self.nesterov);
        let velocity = &mut self.velocity;
        let mut i = 0;
        params.visit_with_grad(grad, &mut |p, g| {
            let v = velocity.get(i, g.len());
            for ((p, &g), v) in p.values.iter_mut().zip(g).zip(v.iter_mut()) {
                let g = decayed(g, *p, wd);
                *v = mu * *v + g;
                *p -= lr * if nesterov { g + mu * *v } else { *v };
            }
            i += 1;
        });
        params.update_state(grad);
    }
}

/// RMSProp: `s ← αs + (1 − α)g²`, `p ← p − lr·g / (√s + ε)`.
///
/// Defaults: `lr = 0.01`, `α = 0.99`, `ε = 1e-8`, no weight decay.
///
/// ```
/// use shapegrad::optim::RmsProp;
/// let rms = RmsProp::<f64>::new(1e-3).with_alpha(0.9);
/// assert_eq!((rms.lr, rms.alpha, rms.eps), (1e-3, 0.9, 1e-8));
/// ```
#[derive(Clone, Debug)]
pub struct RmsProp<T> {
    /// Learning rate.
    pub lr: T,
    /// Smoothing constant α.
    pub alpha: T,
    /// ε, added to the denominator.
    pub eps: T,
    /// L2 weight decay λ.
    pub weight_decay: T,
    pub(super) square_avg: State<T>,
}

impl<T: Scalar> RmsProp<T> {
    /// RMSProp with learning rate `lr` and the default α and ε.
    pub fn new(lr: T) -> Self {
        RmsProp {
            lr,
            alpha: T::from_f64(0.99),
            eps: T::from_f64(1e-8),
            weight_decay: T::ZERO,
            square_avg: State::default(),
        }
    }

    /// The same with smoothing constant `α`.
    pub fn with_alpha(self, alpha: T) -> Self {
        RmsProp { alpha, ..self }
    }

    /// The same with weight decay `λ`.
    pub fn with_weight_decay(self, weight_decay: T) -> Self {
        RmsProp { weight_decay, ..self }
    }
}

impl<T: Scalar> Default for RmsProp<T> {
    fn default() -> Self {
        Self::new(T::from_f64(0.01))
    }
}

impl<T: Scalar> Optimizer<T> for RmsProp<T> {
    fn step<P: Params<T>>(&mut self, params: &mut P, grad: &P::Grad) {
        let (lr, alpha, eps, wd) = (self.lr, self.alpha, self.eps, self.weight_decay);
        let square_avg = &mut self.square_avg;
        let mut i = 0;
        params.visit_with_grad(grad, &mut |p, g| {
            let s = square_avg.get(i, g.len());
            for ((p, &g), s) in p.values.iter_mut().zip(g).zip(s.iter_mut()) {
                let g = decayed(g, *p, wd);
                *s = alpha * *s + (T::ONE - alpha) * g * g;
                *p -= lr * g / (s.sqrt() + eps);
            }
            i += 1;
        });
        params.update_state(grad);
    }
}

/// Adam: `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²`,
/// `p ← p − lr·m̂ / (√v̂ + ε)` with the bias corrections `m̂ = m/(1 − β₁ᵗ)`,
/// `v̂ = v/(1 − β₂ᵗ)` at step `t`.
///
/// Defaults: `lr = 0.001`, `β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`, no weight decay.
///
/// ```
/// use shapegrad::optim::Adam;
/// let adam = Adam::<f32>::new(3e-4).with_betas(0.9, 0.99).with_weight_decay(1e-4);
/// assert_eq!((adam.beta2, adam.steps()), (0.99, 0));
/// ```
#[derive(Clone, Debug)]
pub struct Adam<T> {
    /// Learning rate.
    pub lr: T,
    /// Decay of the first moment, β₁.
    pub beta1: T,
    /// Decay of the second moment, β₂.
    pub beta2: T,
    /// ε, added to the denominator.
    pub eps: T,
    /// L2 weight decay λ.
    pub weight_decay: T,
    pub(super) t: i32,
    pub(super) m: State<T>,
    pub(super) v: State<T>,
}

impl<T: Scalar> Adam<T> {
    /// Adam with learning rate `lr` and the default β₁, β₂ and ε.
    pub fn new(lr: T) -> Self {
        Adam {
            lr,
            beta1: T::from_f64(0.9),
            beta2: T::from_f64(0.999),
            eps: T::from_f64(1e-8),
            weight_decay: T::ZERO,
            t: 0,
            m: State::default(),
            v: State::default(),
        }
    }

    /// The same with moment decays `β₁`, `β₂`.
    pub fn with_betas(self, beta1: T, beta2: T) -> Self {
        Adam { beta1, beta2, ..self }
    }

    /// The same with weight decay `λ`.
    pub fn with_weight_decay(self, weight_decay: T) -> Self {
        Adam { weight_decay, ..self }
    }

    /// The number of steps taken.
    pub fn steps(&self) -> i32 {
        self.t
    }
}

impl<T: Scalar> Default for Adam<T> {
    fn default() -> Self {
        Self::new(T::from_f64(0.001))
    }
}

impl<T: Scalar> Optimizer<T> for Adam<T> {
    fn step<P: Params<T>>(&mut self, params: &mut P, grad: &P::Grad) {
        self.t += 1;
        let (lr, b1, b2, eps, wd) = (self.lr, self.beta1, self.beta2, self.eps, self.weight_decay);
        let c1 = T::ONE - T::from_f64(b1.to_f64().powi(self.t));
        let c2 = T::ONE - T::from_f64(b2.to_f64().powi(self.t));
        let (ms, vs) = (&mut self.m, &mut self.v);
        let mut i = 0;
        params.visit_with_grad(grad, &mut |p, g| {
            let m = ms.get(i, g.len());
            let v = vs.get(i, g.len());
            for (((p, &g), m), v) in p.values.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                let g = decayed(g, *p, wd);
                *m = b1 * *m + (T::ONE - b1) * g;
                *v = b2 * *v + (T::ONE - b2) * g * g;
                *p -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
            }
            i += 1;
        });
        params.update_state(grad);
    }
}
