//! Every example of a dataset through a batched method, the last partial
//! batch included.

use super::Dataset;
use crate::eval::Confusion;
use crate::{Classes, Dim, Matrix, Scalar};

impl<D: Dim, C: Dim> Dataset<D, C> {
    /// Every example in batches of `B`, in order, the last batch included
    /// even when fewer than `B` examples are left: each item is a batch and
    /// the number `n` of its columns that are real examples. The size of the
    /// last batch is known only at run time, so its remaining columns repeat
    /// its last example; they cost what real examples cost (at most `B − 1`
    /// columns' work per pass over the data) and are to be ignored, as
    /// [`Confusion::add_batch`] and [`crate::eval::accuracy`] do with `n`.
    ///
    /// ```
    /// use shapegrad::data::digits;
    /// use shapegrad::prelude::*;
    /// let (_, test) = digits::train_test().unwrap();
    /// let sizes: Vec<usize> = test.padded_batches::<U64, f32>().map(|(_, _, n)| n).collect();
    /// assert_eq!(sizes, [64, 64, 64, 64, 64, 40]); // all 360
    /// ```
    pub fn padded_batches<B: Dim, T: Scalar>(
        &self,
    ) -> impl Iterator<Item = (Matrix<D, B, T>, Classes<C, B>, usize)> + '_ {
        let (mut xs, mut ys) = (Matrix::zeros(), Classes::zeros());
        (0..self.len().div_ceil(B::SIZE)).map(move |k| {
            let n = self.padded_batch_into(k, &mut xs, &mut ys);
            (xs.clone(), ys.clone(), n)
        })
    }

    /// Batch `k` of [`Dataset::padded_batches`] written into `xs` and `ys`;
    /// returns its number of real examples.
    ///
    /// # Panics
    /// When `k` is not below `len().div_ceil(B)`.
    pub fn padded_batch_into<B: Dim, T: Scalar>(
        &self,
        k: usize,
        xs: &mut Matrix<D, B, T>,
        ys: &mut Classes<C, B>,
    ) -> usize {
        let batches = self.len().div_ceil(B::SIZE);
        assert!(k < batches, "batch {k} of {batches} batches of at most {}", B::SIZE);
        let first = k * B::SIZE;
        let n = B::SIZE.min(self.len() - first);
        for b in 0..B::SIZE {
            let i = first + b.min(n - 1);
            for (r, &v) in self.features(i).iter().enumerate() {
                xs[(r, b)] = T::from_f64(f64::from(v));
            }
            ys.set(b, self.label(i));
        }
        n
    }

    /// The confusion matrix of a classifier over every example: `scores`
    /// maps a batch to its `[C×B]` scores (a net's `forward_batch`), and
    /// each column's largest score is its prediction.
    ///
    /// ```
    /// use shapegrad::data::Dataset;
    /// use shapegrad::prelude::*;
    /// let data = Dataset::<U2, U2>::new(vec![1., 0., 0., 1., 3., 1.], vec![0, 1, 1]).unwrap();
    /// // Predicts the class of the larger feature: right on examples 0 and 1.
    /// let confusion = data.confusion::<U2, f32>(|xs| xs.clone());
    /// assert_eq!((confusion.correct(), confusion.total()), (2, 3));
    /// ```
    pub fn confusion<B: Dim, T: Scalar>(
        &self,
        mut scores: impl FnMut(&Matrix<D, B, T>) -> Matrix<C, B, T>,
    ) -> Confusion<C> {
        let mut confusion = Confusion::new();
        let (mut xs, mut ys) = (Matrix::zeros(), Classes::zeros());
        for k in 0..self.len().div_ceil(B::SIZE) {
            let n = self.padded_batch_into(k, &mut xs, &mut ys);
            confusion.add_batch(&scores(&xs).argmax_cols(), &ys, n);
        }
        confusion
    }
}
