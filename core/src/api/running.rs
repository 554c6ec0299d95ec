//! The running statistics of a `batchnorm`: state of a net that is not a
//! param. Training steps update them (the batch's mean and unbiased
//! variance, momentum 0.1, as PyTorch); evaluation normalizes with them;
//! they are saved and loaded with the weights as `NAME.running_mean` and
//! `NAME.running_var`.

use crate::{Dim, Scalar, Vector};

/// The momentum of the running statistics' update.
pub const MOMENTUM: f64 = 0.1;

/// The running mean and variance of a batchnorm, one value per feature or
/// channel; they start at 0 and 1.
#[derive(Clone, Debug, PartialEq)]
pub struct RunningStats<C: Dim, T: Scalar = f32> {
    /// The running mean.
    pub mean: Vector<C, T>,
    /// The running (unbiased) variance.
    pub var: Vector<C, T>,
}

impl<C: Dim, T: Scalar> Default for RunningStats<C, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Dim, T: Scalar> RunningStats<C, T> {
    /// Mean 0, variance 1.
    pub fn new() -> Self {
        RunningStats { mean: Vector::zeros(), var: Vector::from_element(T::ONE) }
    }

    /// The same in another element type.
    pub fn cast<U: Scalar>(&self) -> RunningStats<C, U> {
        RunningStats { mean: self.mean.cast(), var: self.var.cast() }
    }

    /// `s ← (1 − m)·s + m·batch` for the mean and the variance, when `batch`
    /// holds a training step's statistics (an optimizer's step calls this
    /// through `Params::update_state`, once per step).
    ///
    /// ```
    /// use shapegrad::running::{BatchStats, RunningStats};
    /// use shapegrad::typenum::U2;
    /// let mut run = RunningStats::<U2, f64>::new();
    /// let mut batch = BatchStats::<U2, f64>::new();
    /// batch.record(&[1.0, 2.0], &[0.5, 0.5], 3); // unbiased: 0.5·3/2 = 0.75
    /// run.update(&batch);
    /// assert!((run.mean[0] - 0.1).abs() < 1e-12 && (run.var[1] - (0.9 + 0.075)).abs() < 1e-12);
    /// run.update(&BatchStats::new()); // no training statistics: no change
    /// assert!((run.mean[0] - 0.1).abs() < 1e-12);
    /// ```
    pub fn update(&mut self, batch: &BatchStats<C, T>) {
        if !batch.fresh {
            return;
        }
        let m = T::from_f64(MOMENTUM);
        for (s, &b) in self.mean.as_mut_slice().iter_mut().zip(batch.mean.as_slice()) {
            *s = (T::ONE - m) * *s + m * b;
        }
        for (s, &b) in self.var.as_mut_slice().iter_mut().zip(batch.var.as_slice()) {
            *s = (T::ONE - m) * *s + m * b;
        }
    }
}

/// A training step's batch statistics, carried in the gradient from the
/// batched gradient to the optimizer's step, which updates the running ones.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchStats<C: Dim, T: Scalar = f32> {
    /// The batch mean.
    pub mean: Vector<C, T>,
    /// The batch's unbiased variance.
    pub var: Vector<C, T>,
    /// Whether a training step wrote them (a per-example gradient does not).
    pub fresh: bool,
}

impl<C: Dim, T: Scalar> Default for BatchStats<C, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Dim, T: Scalar> BatchStats<C, T> {
    /// None yet.
    pub fn new() -> Self {
        BatchStats { mean: Vector::zeros(), var: Vector::zeros(), fresh: false }
    }

    /// Records the mean and biased variance of groups of `n` values each,
    /// keeping the unbiased variance `var·n/(n − 1)`.
    pub fn record(&mut self, mean: &[T], var: &[T], n: usize) {
        let unbias = if n > 1 { T::from_f64(n as f64 / (n - 1) as f64) } else { T::ONE };
        self.mean.as_mut_slice().copy_from_slice(mean);
        for (v, &b) in self.var.as_mut_slice().iter_mut().zip(var) {
            *v = b * unbias;
        }
        self.fresh = true;
    }
}
