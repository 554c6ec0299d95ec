//! A training loop for every net: epochs of shuffled batches, an optimizer's
//! step per batch, an optional learning-rate schedule and gradient clipping,
//! and a callback after each batch and epoch (for a progress bar, a plot,
//! an evaluation).
//!
//! ```
//! use shapegrad::data::Regression;
//! use shapegrad::fit::{Event, Fit};
//! use shapegrad::optim::Adam;
//! use shapegrad::prelude::*;
//!
//! dims! { In = 2; Out = 1; Batch = 8; }
//! net! {
//!     net Line {
//!         param W: [Out, In];
//!         param b: [Out];
//!         input x: [In];
//!         target t: [Out];
//!         loss mse(W @ x + b, t);
//!     }
//! }
//! // t = 2·x₀ − x₁ + 0.5 on a grid.
//! let xs: Vec<f32> = (0..64).flat_map(|i| [(i % 8) as f32 / 8.0, (i / 8) as f32 / 8.0]).collect();
//! let ts: Vec<f32> = xs.chunks(2).map(|x| 2.0 * x[0] - x[1] + 0.5).collect();
//! let data = Regression::<In, Out>::new(xs, ts).unwrap();
//! let mut net = Line::<f32>::zeros();
//! let mut epochs = 0;
//! let losses = Fit::<Batch>::new(300).run(&mut net, &mut Adam::new(0.05), &data, |event, _| {
//!     if let Event::Epoch { .. } = event {
//!         epochs += 1;
//!     }
//! });
//! assert_eq!((epochs, losses.len()), (300, 300));
//! assert!(losses[299] < 1e-4, "{}", losses[299]);
//! assert!((net.W[(0, 0)] - 2.0).abs() < 0.02 && (net.b[0] - 0.5).abs() < 0.02);
//! ```

use core::marker::PhantomData;

use crate::data::{Dataset, Regression};
use crate::grads::Gradients;
use crate::model::BatchNet;
use crate::optim::Optimizer;
use crate::optim::schedule::{LearningRate, Schedule};
use crate::random::Rng;
use crate::{Classes, Dim, Matrix, Scalar, Tensor3, Tensor4};

/// A dataset that can fill batches of type `(X, Y)`: [`Dataset`] (as
/// `Matrix<D, B, T>` or images `Tensor4<C, H, W, B, T>`, with `Classes`)
/// and [`Regression`] (`Matrix<D, B, T>`, `Matrix<N, B, T>`).
pub trait Batches<X, Y>: Sized {
    /// Buffers for one batch.
    fn new_batch(&self) -> (X, Y);
    /// The number of whole batches.
    fn batch_count(&self) -> usize;
    /// Batch `k` written into `xs` and `ys`.
    fn fill(&self, k: usize, xs: &mut X, ys: &mut Y);
    /// The same examples in an order drawn from `seed`.
    fn reshuffled(&self, seed: u64) -> Self;
}

impl<D: Dim, C: Dim, B: Dim, T: Scalar> Batches<Matrix<D, B, T>, Classes<C, B>> for Dataset<D, C> {
    fn new_batch(&self) -> (Matrix<D, B, T>, Classes<C, B>) {
        (Matrix::zeros(), Classes::zeros())
    }
    fn batch_count(&self) -> usize {
        self.num_batches::<B>()
    }
    fn fill(&self, k: usize, xs: &mut Matrix<D, B, T>, ys: &mut Classes<C, B>) {
        self.batch_into(k, xs, ys);
    }
    fn reshuffled(&self, seed: u64) -> Self {
        self.shuffled(seed)
    }
}

/// Images: the features of an example read as `[Ch, Ht, Wd]`.
///
/// # Panics
/// In `fill`, when `Ch·Ht·Wd` is not `D` (see [`Dataset::images_into`]).
impl<D: Dim, C: Dim, Ch: Dim, Ht: Dim, Wd: Dim, B: Dim, T: Scalar>
    Batches<Tensor4<Ch, Ht, Wd, B, T>, Classes<C, B>> for Dataset<D, C>
{
    fn new_batch(&self) -> (Tensor4<Ch, Ht, Wd, B, T>, Classes<C, B>) {
        (Tensor4::zeros(), Classes::zeros())
    }
    fn batch_count(&self) -> usize {
        self.num_batches::<B>()
    }
    fn fill(&self, k: usize, xs: &mut Tensor4<Ch, Ht, Wd, B, T>, ys: &mut Classes<C, B>) {
        if let Err(e) = self.images_into(k, xs, ys) {
            panic!("{e}");
        }
    }
    fn reshuffled(&self, seed: u64) -> Self {
        self.shuffled(seed)
    }
}

/// Sequences: the features of an example read as `[St, Wd]`, row `t` step `t`.
///
/// # Panics
/// In `fill`, when `St·Wd` is not `D` (see [`Dataset::sequences_into`]).
impl<D: Dim, C: Dim, St: Dim, Wd: Dim, B: Dim, T: Scalar> Batches<Tensor3<St, Wd, B, T>, Classes<C, B>>
    for Dataset<D, C>
{
    fn new_batch(&self) -> (Tensor3<St, Wd, B, T>, Classes<C, B>) {
        (Tensor3::zeros(), Classes::zeros())
    }
    fn batch_count(&self) -> usize {
        self.num_batches::<B>()
    }
    fn fill(&self, k: usize, xs: &mut Tensor3<St, Wd, B, T>, ys: &mut Classes<C, B>) {
        if let Err(e) = self.sequences_into(k, xs, ys) {
            panic!("{e}");
        }
    }
    fn reshuffled(&self, seed: u64) -> Self {
        self.shuffled(seed)
    }
}

impl<D: Dim, N: Dim, B: Dim, T: Scalar> Batches<Matrix<D, B, T>, Matrix<N, B, T>> for Regression<D, N> {
    fn new_batch(&self) -> (Matrix<D, B, T>, Matrix<N, B, T>) {
        (Matrix::zeros(), Matrix::zeros())
    }
    fn batch_count(&self) -> usize {
        self.num_batches::<B>()
    }
    fn fill(&self, k: usize, xs: &mut Matrix<D, B, T>, ts: &mut Matrix<N, B, T>) {
        self.batch_into(k, xs, ts);
    }
    fn reshuffled(&self, seed: u64) -> Self {
        self.shuffled(seed)
    }
}

/// What the callback of [`Fit::run`] is told.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Event {
    /// A batch was trained on: its loss (before the step).
    Batch {
        /// The epoch, from 0.
        epoch: usize,
        /// The batch within it, from 0.
        batch: usize,
        /// Batches per epoch.
        batches: usize,
        /// The batch's mean loss.
        loss: f64,
    },
    /// An epoch ended: the mean of its batches' losses.
    Epoch {
        /// The epoch, from 0.
        epoch: usize,
        /// The mean loss.
        loss: f64,
    },
}

/// The settings of a training run in batches of `B`; [`Fit::run`] runs it.
///
/// Defaults: seed 0 (epoch `e` shuffles with seed `seed + e`, dropout masks
/// come from `Rng::seed(seed)`), the optimizer's own learning rate, no
/// clipping.
pub struct Fit<'a, B: Dim> {
    epochs: usize,
    seed: u64,
    schedule: Option<&'a dyn Schedule>,
    clip_norm: Option<f64>,
    batch: PhantomData<B>,
}

impl<'a, B: Dim> Fit<'a, B> {
    /// `epochs` passes over the data in batches of `B`.
    pub fn new(epochs: usize) -> Self {
        Fit { epochs, seed: 0, schedule: None, clip_norm: None, batch: PhantomData }
    }

    /// The seed of the shuffles and of dropout's masks.
    pub fn seed(self, seed: u64) -> Self {
        Fit { seed, ..self }
    }

    /// The learning rate of step `s` (counted over all epochs) is
    /// `schedule.lr(s)`.
    pub fn schedule(self, schedule: &'a dyn Schedule) -> Self {
        Fit { schedule: Some(schedule), ..self }
    }

    /// Gradients are scaled down to a global norm of at most `max_norm`
    /// before each step ([`Gradients::clip_by_norm`]).
    pub fn clip_norm(self, max_norm: f64) -> Self {
        Fit { clip_norm: Some(max_norm), ..self }
    }

    /// Trains `net` on `data` in batches of `B`: per epoch, a shuffle, then
    /// for each whole batch the training gradient and `optimizer`'s step
    /// (which also updates running statistics). `on` hears of every batch
    /// and epoch, with the net as it is after the step. Returns each
    /// epoch's mean loss.
    pub fn run<T, N, O, X, Y>(
        &self,
        net: &mut N,
        optimizer: &mut O,
        data: &impl Batches<X, Y>,
        mut on: impl FnMut(Event, &N),
    ) -> Vec<f64>
    where
        T: Scalar,
        N: BatchNet<T, B, X, Y>,
        N::Grad: Gradients<T>,
        O: Optimizer<T> + LearningRate<T>,
    {
        let (mut xs, mut ys) = data.new_batch();
        let mut rng = Rng::seed(self.seed);
        let mut losses = Vec::with_capacity(self.epochs);
        let mut step = 0;
        for epoch in 0..self.epochs {
            let shuffled = data.reshuffled(self.seed.wrapping_add(epoch as u64));
            let batches = shuffled.batch_count();
            let mut total = 0.0;
            for batch in 0..batches {
                shuffled.fill(batch, &mut xs, &mut ys);
                let (loss, mut grads) = net.grad_batch(&xs, &ys, &mut rng);
                if let Some(max) = self.clip_norm {
                    grads.clip_by_norm(T::from_f64(max));
                }
                if let Some(schedule) = self.schedule {
                    optimizer.set_lr(T::from_f64(schedule.lr(step)));
                }
                optimizer.step(net, &grads);
                step += 1;
                total += loss.to_f64();
                on(Event::Batch { epoch, batch, batches, loss: loss.to_f64() }, net);
            }
            let mean = total / batches.max(1) as f64;
            losses.push(mean);
            on(Event::Epoch { epoch, loss: mean }, net);
        }
        losses
    }
}
