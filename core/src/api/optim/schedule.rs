//! Learning-rate schedules: the rate as a function of the step, set on an
//! optimizer before each of its steps. They compose: a warmup before any
//! schedule, one schedule after another.
//!
//! ```
//! use shapegrad::optim::schedule::{Cosine, Schedule};
//! use shapegrad::optim::Adam;
//!
//! // 100 steps of linear warmup to 1e-3, then a cosine decay to 0 over 900.
//! let schedule = Cosine::new(1e-3, 900).with_warmup(100);
//! let mut adam = Adam::<f32>::new(0.0);
//! for step in 0..1000 {
//!     schedule.set(&mut adam, step);
//!     // … adam.step(&mut net, &grads);
//! }
//! assert!((schedule.lr(49) - 1e-3 * 50.0 / 101.0).abs() < 1e-15); // (49 + 1)/(100 + 1) of it
//! assert!((schedule.lr(100) - 1e-3).abs() < 1e-12);
//! assert!((schedule.lr(550) - 0.5e-3).abs() < 1e-12);
//! ```

use core::f64::consts::PI;

use super::{Adam, Momentum, RmsProp, Sgd};
use crate::Scalar;

/// An optimizer whose learning rate a schedule sets.
pub trait LearningRate<T> {
    /// The learning rate of the next step.
    fn lr(&self) -> T;
    /// Sets the learning rate of the next step.
    fn set_lr(&mut self, lr: T);
}

macro_rules! learning_rate {
    ($($opt:ident),*) => {$(
        impl<T: Scalar> LearningRate<T> for $opt<T> {
            fn lr(&self) -> T {
                self.lr
            }
            fn set_lr(&mut self, lr: T) {
                self.lr = lr;
            }
        }
    )*};
}
learning_rate!(Sgd, Momentum, RmsProp, Adam);

/// A learning rate for every step, counted from 0 in optimizer steps.
pub trait Schedule {
    /// The learning rate of step `step`.
    fn lr(&self, step: usize) -> f64;

    /// Sets `optimizer`'s learning rate to that of step `step`.
    fn set<T: Scalar>(&self, optimizer: &mut impl LearningRate<T>, step: usize)
    where
        Self: Sized,
    {
        optimizer.set_lr(T::from_f64(self.lr(step)));
    }

    /// This schedule after `steps` of linear warmup: step `s < steps` has
    /// `(s + 1)/(steps + 1)` of this schedule's first rate, and step
    /// `steps + s` this schedule's step `s`.
    fn with_warmup(self, steps: usize) -> Warmup<Self>
    where
        Self: Sized,
    {
        Warmup { steps, then: self }
    }

    /// This schedule counted in epochs of `batches` steps: step `s` has
    /// this schedule's rate at `s / batches` (so `Cosine::new(lr, epochs)`
    /// changes the rate once per epoch).
    fn per_epoch(self, batches: usize) -> PerEpoch<Self>
    where
        Self: Sized,
    {
        PerEpoch { batches, schedule: self }
    }

    /// This schedule for `steps` steps, then `next` from its step 0.
    fn then<S: Schedule>(self, steps: usize, next: S) -> Then<Self, S>
    where
        Self: Sized,
    {
        Then { first: self, steps, next }
    }
}

/// The same rate at every step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant(pub f64);

impl Schedule for Constant {
    fn lr(&self, _: usize) -> f64 {
        self.0
    }
}

/// `lr·γ^⌊step/every⌋`: multiplied by `gamma` every `every` steps (PyTorch's
/// `StepLR`; default `gamma` 0.1).
///
/// ```
/// use shapegrad::optim::schedule::{Schedule, StepDecay};
/// let s = StepDecay::new(0.1, 30);
/// assert_eq!((s.lr(29), s.lr(30)), (0.1, 0.1 * 0.1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepDecay {
    /// The first rate.
    pub lr: f64,
    /// Steps between decays (0 is taken as 1).
    pub every: usize,
    /// The factor of each decay.
    pub gamma: f64,
}

impl StepDecay {
    /// Rate `lr`, divided by 10 every `every` steps.
    pub fn new(lr: f64, every: usize) -> Self {
        StepDecay { lr, every, gamma: 0.1 }
    }

    /// The same with factor `gamma`.
    pub fn with_gamma(self, gamma: f64) -> Self {
        StepDecay { gamma, ..self }
    }
}

impl Schedule for StepDecay {
    fn lr(&self, step: usize) -> f64 {
        self.lr * self.gamma.powi((step / self.every.max(1)) as i32)
    }
}

/// `lr·γ^step` (PyTorch's `ExponentialLR`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exponential {
    /// The first rate.
    pub lr: f64,
    /// The factor per step.
    pub gamma: f64,
}

impl Exponential {
    /// Rate `lr`, multiplied by `gamma` at each step.
    pub fn new(lr: f64, gamma: f64) -> Self {
        Exponential { lr, gamma }
    }
}

impl Schedule for Exponential {
    fn lr(&self, step: usize) -> f64 {
        self.lr * self.gamma.powi(step.min(i32::MAX as usize) as i32)
    }
}

/// Cosine annealing from `lr` to `min_lr` over `steps` steps, `min_lr`
/// after (PyTorch's `CosineAnnealingLR` without restarts; default
/// `min_lr` 0): `min_lr + (lr − min_lr)·(1 + cos(π·step/steps))/2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cosine {
    /// The first rate.
    pub lr: f64,
    /// The last rate.
    pub min_lr: f64,
    /// The length of the decay.
    pub steps: usize,
}

impl Cosine {
    /// From `lr` down to 0 over `steps` steps.
    pub fn new(lr: f64, steps: usize) -> Self {
        Cosine { lr, min_lr: 0.0, steps }
    }

    /// The same, down to `min_lr`.
    pub fn with_min(self, min_lr: f64) -> Self {
        Cosine { min_lr, ..self }
    }
}

impl Schedule for Cosine {
    fn lr(&self, step: usize) -> f64 {
        let t = step.min(self.steps) as f64 / self.steps.max(1) as f64;
        self.min_lr + (self.lr - self.min_lr) * (1.0 + (PI * t).cos()) / 2.0
    }
}

/// Linear warmup before a schedule; see [`Schedule::with_warmup`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Warmup<S> {
    /// Steps of warmup.
    pub steps: usize,
    /// The schedule after it.
    pub then: S,
}

impl<S: Schedule> Schedule for Warmup<S> {
    fn lr(&self, step: usize) -> f64 {
        if step < self.steps {
            self.then.lr(0) * (step + 1) as f64 / (self.steps + 1) as f64
        } else {
            self.then.lr(step - self.steps)
        }
    }
}

/// A schedule counted in epochs; see [`Schedule::per_epoch`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerEpoch<S> {
    /// Steps per epoch (0 is taken as 1).
    pub batches: usize,
    /// The schedule, its steps counted in epochs.
    pub schedule: S,
}

impl<S: Schedule> Schedule for PerEpoch<S> {
    fn lr(&self, step: usize) -> f64 {
        self.schedule.lr(step / self.batches.max(1))
    }
}

/// One schedule, then another; see [`Schedule::then`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Then<A, B> {
    /// The first schedule.
    pub first: A,
    /// How many steps it runs.
    pub steps: usize,
    /// The schedule after it, from its step 0.
    pub next: B,
}

impl<A: Schedule, B: Schedule> Schedule for Then<A, B> {
    fn lr(&self, step: usize) -> f64 {
        if step < self.steps { self.first.lr(step) } else { self.next.lr(step - self.steps) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_schedule_follows_its_formula() {
        let s = StepDecay::new(1.0, 10).with_gamma(0.5);
        assert_eq!([s.lr(0), s.lr(9), s.lr(10), s.lr(25)], [1.0, 1.0, 0.5, 0.25]);
        let e = Exponential::new(2.0, 0.9);
        assert!((e.lr(3) - 2.0 * 0.729).abs() < 1e-15);
        let c = Cosine::new(1.0, 4).with_min(0.2);
        // cos(π/4) = √2/2: 0.2 + 0.8·(1 + √2/2)/2.
        assert!((c.lr(1) - (0.2 + 0.4 * (1.0 + 0.5f64.sqrt()))).abs() < 1e-15);
        assert_eq!((c.lr(0), c.lr(4), c.lr(100)), (1.0, 0.2, 0.2));
        let w = Constant(0.3).with_warmup(2);
        assert!((w.lr(0) - 0.1).abs() < 1e-15 && (w.lr(1) - 0.2).abs() < 1e-15 && w.lr(2) == 0.3);
        let t = Constant(1.0).then(3, StepDecay::new(0.5, 1));
        assert_eq!([t.lr(2), t.lr(3), t.lr(4)], [1.0, 0.5, 0.05]);
        let p = Exponential::new(1.0, 0.5).per_epoch(10);
        assert_eq!([p.lr(9), p.lr(10), p.lr(25)], [1.0, 0.5, 0.25]);
    }

    #[test]
    fn set_writes_the_rate_into_the_optimizer() {
        let mut adam = Adam::<f32>::new(1.0);
        Exponential::new(0.5, 0.5).set(&mut adam, 2);
        assert_eq!(LearningRate::lr(&adam), 0.125);
    }
}
