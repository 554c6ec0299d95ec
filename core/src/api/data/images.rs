//! Batches of images as rank-3 examples, `Tensor4<C, H, W, B>` with the
//! example index last, for convolutional nets: the features of an example
//! read row-major as `[C, H, W]`.

use super::Dataset;
use crate::{Classes, Dim, Scalar, ShapeError, Tensor3, Tensor4};

impl<D: Dim, L: Dim> Dataset<D, L> {
    /// Batch `k` (examples `k·B .. (k+1)·B`) as images `[Ch, Ht, Wd]`,
    /// written into `xs` and `ys`, which are reused: a training loop that
    /// calls this allocates nothing.
    ///
    /// ```
    /// use shapegrad::data::digits::{self, Cols, Rows};
    /// use shapegrad::prelude::*;
    /// let (train, _) = digits::train_test().unwrap();
    /// let mut xs = Tensor4::<U1, Rows, Cols, U32>::zeros();
    /// let mut ys = Classes::zeros();
    /// train.images_into(0, &mut xs, &mut ys).unwrap();
    /// assert_eq!(xs[(0, 2, 3, 5)], train.features(5)[2 * 8 + 3]);
    /// ```
    ///
    /// # Errors
    /// [`ShapeError::TensorLength`] when `Ch·Ht·Wd` is not the number of
    /// features `D` (the message names the dims and both counts).
    ///
    /// # Panics
    /// When `k` is not below `num_batches::<B>()`, as [`Dataset::batch_into`].
    pub fn images_into<Ch: Dim, Ht: Dim, Wd: Dim, B: Dim, T: Scalar>(
        &self,
        k: usize,
        xs: &mut Tensor4<Ch, Ht, Wd, B, T>,
        ys: &mut Classes<L, B>,
    ) -> Result<(), ShapeError> {
        self.examples_last(
            k,
            ([Ch::NAME, Ht::NAME, Wd::NAME], 3),
            Ch::SIZE * Ht::SIZE * Wd::SIZE,
            xs.as_mut_slice(),
            ys,
        )
    }

    /// Batch `k` written example index last (feature `p` of example `b` at
    /// `p·B + b`) into `values`, a tensor of `dims` holding `per_example`
    /// values an example; its labels into `ys`.
    fn examples_last<B: Dim, T: Scalar>(
        &self,
        k: usize,
        (names, rank): ([&'static str; 3], usize),
        per_example: usize,
        values: &mut [T],
        ys: &mut Classes<L, B>,
    ) -> Result<(), ShapeError> {
        if per_example != D::SIZE {
            let dims = [names[0], names[1], names[2], ""];
            return Err(ShapeError::TensorLength { dims, rank, expected: per_example, found: D::SIZE });
        }
        assert!(
            k < self.num_batches::<B>(),
            "batch {k} of {} batches of {}",
            self.num_batches::<B>(),
            B::SIZE
        );
        for b in 0..B::SIZE {
            let i = k * B::SIZE + b;
            for (p, &v) in self.features(i).iter().enumerate() {
                values[p * B::SIZE + b] = T::from_f64(f64::from(v));
            }
            ys.set(b, self.label(i));
        }
        Ok(())
    }
}

impl<D: Dim, L: Dim> Dataset<D, L> {
    /// Batch `k` as sequences `[St, Wd]`: the features of an example read
    /// row-major, row `t` step `t` (a digit's 8 rows of 8 pixels as 8
    /// steps), a `Tensor3<St, Wd, B>` with the example index last, for a
    /// net with a loop over steps. Reuses `xs` and `ys`.
    ///
    /// ```
    /// use shapegrad::data::digits::{self, Cols, Rows};
    /// use shapegrad::prelude::*;
    /// let (train, _) = digits::train_test().unwrap();
    /// let mut xs = Tensor3::<Rows, Cols, U32>::zeros();
    /// let mut ys = Classes::zeros();
    /// train.sequences_into(0, &mut xs, &mut ys).unwrap();
    /// assert_eq!(xs[(2, 3, 5)], train.features(5)[2 * 8 + 3]);
    /// ```
    ///
    /// # Errors
    /// [`ShapeError::TensorLength`] when `St·Wd` is not the number of features `D`.
    ///
    /// # Panics
    /// When `k` is not below `num_batches::<B>()`, as [`Dataset::batch_into`].
    pub fn sequences_into<St: Dim, Wd: Dim, B: Dim, T: Scalar>(
        &self,
        k: usize,
        xs: &mut Tensor3<St, Wd, B, T>,
        ys: &mut Classes<L, B>,
    ) -> Result<(), ShapeError> {
        self.examples_last(k, ([St::NAME, Wd::NAME, ""], 2), St::SIZE * Wd::SIZE, xs.as_mut_slice(), ys)
    }
}

#[cfg(test)]
mod tests {
    use crate::data::{Dataset, digits};
    use crate::{Classes, Tensor4};
    use typenum::{U1, U2, U3};

    #[test]
    fn images_are_the_features_row_major_and_a_wrong_shape_is_an_error() {
        let d = Dataset::<typenum::U6, U3>::new((0..12).map(|v| v as f32).collect(), vec![0, 2]).unwrap();
        let mut xs = Tensor4::<U1, U2, U3, U2>::zeros();
        let mut ys = Classes::zeros();
        d.images_into(0, &mut xs, &mut ys).unwrap();
        assert_eq!((xs[(0, 1, 2, 0)], xs[(0, 1, 2, 1)], xs[(0, 0, 1, 1)]), (5.0, 11.0, 7.0));
        assert_eq!((ys.get(0).index(), ys.get(1).index()), (0, 2));
        let mut wrong = Tensor4::<U1, U2, U2, U2>::zeros();
        let err = d.images_into(0, &mut wrong, &mut ys).unwrap_err();
        assert!(err.to_string().contains('6'), "{err}");
        let (train, _) = digits::train_test().unwrap();
        let mut xs = Tensor4::<U1, digits::Rows, digits::Cols, U2>::zeros();
        let mut ys = Classes::zeros();
        train.images_into(3, &mut xs, &mut ys).unwrap();
        assert_eq!(xs[(0, 7, 7, 1)], train.features(7)[63]);
    }
}
