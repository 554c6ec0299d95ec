//! Datasets: examples as typed vectors and labels, seeded shuffling, fixed
//! splits, and batches of `B` examples as `[D×B]` matrices (one example per
//! column) with their `Classes<C, B>`.
//!
//! ```
//! use shapegrad::data::digits;
//! use shapegrad::prelude::*;
//!
//! let (train, test) = digits::train_test().unwrap();
//! assert_eq!((train.len(), test.len()), (1437, 360));
//! let (xs, ys) = train.batches::<U32, f32>().next().unwrap();
//! assert_eq!(xs.column(0).as_slice(), train.example::<f32>(0).0.as_slice());
//! assert_eq!(ys.get(0), train.example::<f32>(0).1);
//! ```
//!
//! # Inputs out of the ordinary
//!
//! | input | behaviour |
//! |---|---|
//! | features or labels of the wrong count, a label ≥ `C` | [`Dataset::new`] returns a [`DataError`] naming them |
//! | no examples | a valid, empty dataset: no batches; its `feature_stats` are mean 0, deviation 1 |
//! | a batch larger than the dataset | `num_batches` is 0 and `batches` yields nothing |
//! | `batch_into(k, …)` with `k ≥ num_batches` | a panic naming `k` and the number of batches (a caller's bug) |
//! | a NaN or an infinity among the features | kept as it is, and propagated: the loss of an example holding one is NaN |

pub mod digits;
mod error;
mod evaluate;
mod examples;
mod images;
pub mod mnist;
mod regression;

use core::marker::PhantomData;

pub use error::DataError;
pub use regression::Regression;

use crate::{Class, Classes, Dim, Matrix, Scalar, Vector};

/// The ten classes of a digit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Digit;

impl Dim for Digit {
    type Size = typenum::U10;
    const NAME: &'static str = "Digit";
}

/// Examples with `D` features and a label in `0..C`, in memory.
///
/// ```
/// use shapegrad::data::Dataset;
/// use shapegrad::prelude::*;
///
/// // Four examples of two features, three classes.
/// let data = Dataset::<U2, U3>::new(vec![0., 1., 2., 3., 4., 5., 6., 7.], vec![0, 2, 1, 2]).unwrap();
/// let (train, test) = data.shuffled(1).split_at(3);
/// assert_eq!((train.len(), test.len()), (3, 1));
/// let mut xs = Matrix::<U2, U2>::zeros();
/// let mut ys = Classes::<U3, U2>::from_slice(&[0, 0]).unwrap();
/// data.batch_into(1, &mut xs, &mut ys); // examples 2 and 3, one per column
/// assert_eq!(xs.as_slice(), &[4., 6., 5., 7.]);
/// assert_eq!(ys.as_slice(), &[1, 2]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<D: Dim, C: Dim> {
    features: Vec<f32>,
    labels: Vec<usize>,
    dims: PhantomData<(D, C)>,
}

impl<D: Dim, C: Dim> Dataset<D, C> {
    /// A dataset from the features of every example, one after the other
    /// (`D` values each), and their labels.
    ///
    /// # Errors
    /// [`DataError::Shape`] when `features` does not hold `D` values per
    /// label, [`DataError::Label`] when a label is not below `C`.
    ///
    /// ```
    /// use shapegrad::data::Dataset;
    /// use shapegrad::prelude::*;
    /// let data = Dataset::<U2, U3>::new(vec![0.5, 1.0, 0.0, 2.0], vec![2, 0]).unwrap();
    /// assert_eq!((data.len(), data.features(1), data.label(0).index()), (2, &[0.0, 2.0][..], 2));
    /// assert!(Dataset::<U2, U3>::new(vec![0.5, 1.0], vec![3]).is_err()); // 3 is not below 3
    /// ```
    pub fn new(features: Vec<f32>, labels: Vec<usize>) -> Result<Self, DataError> {
        if features.len() != labels.len() * D::SIZE {
            return Err(DataError::Shape {
                what: format!(
                    "{} features for {} examples of `{}` = {}",
                    features.len(),
                    labels.len(),
                    D::NAME,
                    D::SIZE
                ),
                expected: labels.len() * D::SIZE,
                found: features.len(),
            });
        }
        if let Some((position, &label)) = labels.iter().enumerate().find(|&(_, &l)| l >= C::SIZE) {
            return Err(DataError::Label { position, label, classes: C::SIZE });
        }
        Ok(Dataset { features, labels, dims: PhantomData })
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The features of example `i`.
    ///
    /// ```
    /// use shapegrad::data::digits;
    /// let d = digits::load().unwrap();
    /// assert_eq!(d.features(0).len(), 64);
    /// let (x, y) = d.example::<f64>(0); // as a Vector<Pixels, f64> and a Class<Digit>
    /// assert_eq!((x[2], y.index()), (5.0 / 16.0, 0));
    /// ```
    ///
    /// # Panics
    /// When `i` is not below `len()`.
    pub fn features(&self, i: usize) -> &[f32] {
        &self.features[i * D::SIZE..(i + 1) * D::SIZE]
    }

    /// Example `i` as a vector and its label.
    ///
    /// # Panics
    /// When `i` is not below `len()`.
    pub fn example<T: Scalar>(&self, i: usize) -> (Vector<D, T>, Class<C>) {
        let x = Vector::from_fn(|r, _| T::from_f64(f64::from(self.features(i)[r])));
        (x, self.label(i))
    }

    /// The label of example `i`.
    ///
    /// # Panics
    /// When `i` is not below `len()`.
    pub fn label(&self, i: usize) -> Class<C> {
        // Every label was checked against `C` in `new`.
        Class::checked(self.labels[i])
    }

    /// The same examples in an order drawn from `seed` (Fisher–Yates with
    /// PCG-64, so the order is the same on every machine).
    pub fn shuffled(&self, seed: u64) -> Self {
        self.select(&examples::shuffled_order(self.len(), seed))
    }

    /// The examples at `indices`, in that order.
    ///
    /// ```
    /// use shapegrad::data::Dataset;
    /// use shapegrad::prelude::*;
    /// let data = Dataset::<U1, U3>::new(vec![10.0, 20.0, 30.0], vec![0, 1, 2]).unwrap();
    /// let picked = data.select(&[2, 0]);
    /// assert_eq!((picked.features(0), picked.label(1).index()), (&[30.0][..], 0));
    /// ```
    ///
    /// # Panics
    /// When an index is not below `len()`.
    pub fn select(&self, indices: &[usize]) -> Self {
        let features = examples::select_rows(&self.features, D::SIZE, indices);
        let labels = examples::select_rows(&self.labels, 1, indices);
        Dataset { features, labels, dims: PhantomData }
    }

    /// The first `n` examples and the rest.
    ///
    /// # Panics
    /// When `n` exceeds `len()`.
    pub fn split_at(&self, n: usize) -> (Self, Self) {
        let all: Vec<usize> = (0..self.len()).collect();
        let (first, rest) = all.split_at(n);
        (self.select(first), self.select(rest))
    }

    /// The mean and standard deviation of each feature, to standardize
    /// this and other sets by ([`Dataset::standardize`]). A feature that never
    /// varies gets a deviation of 1, so it is only centred.
    ///
    /// ```
    /// use shapegrad::data::digits;
    /// let (mut train, mut test) = digits::train_test().unwrap();
    /// let (mean, std) = train.feature_stats();
    /// train.standardize(&mean, &std);
    /// test.standardize(&mean, &std); // with the training set's statistics
    /// let (mean, _) = train.feature_stats();
    /// assert!(mean.iter().all(|m| m.abs() < 1e-5));
    /// ```
    pub fn feature_stats(&self) -> (Vec<f32>, Vec<f32>) {
        examples::feature_stats(&self.features, D::SIZE)
    }

    /// Each feature shifted and scaled: `(x − mean) / std`, with the
    /// statistics of (usually) the training set, from [`Dataset::feature_stats`].
    ///
    /// # Panics
    /// When `mean` or `std` does not have `D` entries.
    pub fn standardize(&mut self, mean: &[f32], std: &[f32]) {
        examples::standardize(&mut self.features, D::SIZE, mean, std);
    }

    /// The number of whole batches of `B` examples.
    pub fn num_batches<B: Dim>(&self) -> usize {
        self.len() / B::SIZE
    }

    /// Batch `k` (examples `k·B .. (k+1)·B`) written into `xs` and `ys`,
    /// which are reused: a training loop that calls this allocates nothing.
    ///
    /// # Panics
    /// When `k` is not below `num_batches::<B>()`.
    pub fn batch_into<B: Dim, T: Scalar>(&self, k: usize, xs: &mut Matrix<D, B, T>, ys: &mut Classes<C, B>) {
        assert!(
            k < self.num_batches::<B>(),
            "batch {k} of {} batches of {}",
            self.num_batches::<B>(),
            B::SIZE
        );
        for b in 0..B::SIZE {
            let i = k * B::SIZE + b;
            for (r, &v) in self.features(i).iter().enumerate() {
                xs[(r, b)] = T::from_f64(f64::from(v));
            }
            ys.set(b, self.label(i));
        }
    }

    /// The whole batches of `B` examples, in order; a last partial batch is
    /// left out (shuffle between epochs so every example is seen).
    ///
    /// ```
    /// use shapegrad::data::digits;
    /// use shapegrad::prelude::*;
    /// let (train, _) = digits::train_test().unwrap();
    /// assert_eq!(train.num_batches::<U32>(), 44); // 1,437 = 44·32 + 29
    /// for (xs, ys) in train.batches::<U32, f32>().take(2) {
    ///     let _: (Matrix<_, U32>, Classes<_, U32>) = (xs, ys);
    /// }
    /// ```
    pub fn batches<B: Dim, T: Scalar>(&self) -> impl Iterator<Item = (Matrix<D, B, T>, Classes<C, B>)> + '_ {
        (0..self.num_batches::<B>()).map(move |k| {
            let mut xs = Matrix::zeros();
            let mut ys = Classes::from_slice(&vec![0; B::SIZE])
                .unwrap_or_else(|_| unreachable!("B labels of class 0"));
            self.batch_into(k, &mut xs, &mut ys);
            (xs, ys)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use typenum::{U2, U3};

    fn tiny() -> Dataset<U2, U3> {
        Dataset::new((0..10).map(|v| v as f32).collect(), vec![0, 1, 2, 1, 0]).unwrap()
    }

    #[test]
    fn inputs_out_of_the_ordinary_do_what_the_table_says() {
        let empty = Dataset::<U2, U3>::new(Vec::new(), Vec::new()).unwrap();
        assert!(
            empty.is_empty() && empty.num_batches::<U2>() == 0 && empty.batches::<U2, f32>().next().is_none()
        );
        assert_eq!(empty.feature_stats(), (vec![0.0, 0.0], vec![1.0, 1.0]));
        crate::test_dims! { Big = 6; }
        assert_eq!(tiny().num_batches::<Big>(), 0, "5 examples make no batch of 6");
        assert!(tiny().batches::<Big, f64>().next().is_none());
        let with_nan = Dataset::<U2, U3>::new(vec![0.0, f32::NAN], vec![1]).unwrap();
        assert!(with_nan.example::<f64>(0).0[1].is_nan(), "kept as it is");
    }

    #[test]
    #[should_panic(expected = "batch 2 of 2 batches of 2")]
    fn a_batch_index_past_the_end_panics_naming_it() {
        let (mut xs, mut ys) = (Matrix::<U2, U2>::zeros(), Classes::<U3, U2>::from_slice(&[0, 0]).unwrap());
        tiny().batch_into(2, &mut xs, &mut ys);
    }

    #[test]
    fn construction_checks_sizes_and_labels() {
        let err = Dataset::<U2, U3>::new(vec![0.0; 5], vec![0, 1, 2]).unwrap_err();
        assert_eq!(err.to_string(), "5 features for 3 examples of `2` = 2: expected 6, found 5");
        let err = Dataset::<U2, U3>::new(vec![0.0; 4], vec![0, 3]).unwrap_err();
        assert_eq!(err.to_string(), "label 3 of example 1 is not below the 3 classes");
    }

    #[test]
    fn shuffles_are_seeded_permutations() {
        let d = tiny();
        let a = d.shuffled(1);
        assert_eq!(a, d.shuffled(1));
        assert_ne!(a, d.shuffled(2));
        let mut firsts: Vec<f32> = (0..5).map(|i| a.features(i)[0]).collect();
        firsts.sort_by(f32::total_cmp);
        assert_eq!(firsts, [0.0, 2.0, 4.0, 6.0, 8.0]);
        for i in 0..5 {
            let original = (a.features(i)[0] / 2.0) as usize;
            assert_eq!(a.label(i), d.label(original), "features and labels move together");
        }
    }

    #[test]
    fn standardized_features_have_zero_mean_and_unit_deviation() {
        let mut d = tiny();
        let (mean, std) = d.feature_stats();
        // Features 0, 2, 4, 6, 8 and 1, 3, 5, 7, 9: means 4 and 5, deviation √8.
        assert_eq!(mean, [4.0, 5.0]);
        assert!((std[0] - 8f32.sqrt()).abs() < 1e-6 && (std[1] - 8f32.sqrt()).abs() < 1e-6);
        d.standardize(&mean, &std);
        let (mean, std) = d.feature_stats();
        assert!(mean.iter().all(|m| m.abs() < 1e-6) && std.iter().all(|s| (s - 1.0).abs() < 1e-6));
        let constant = Dataset::<U2, U3>::new(vec![1.0, 2.0, 1.0, 4.0], vec![0, 1]).unwrap();
        assert_eq!(constant.feature_stats().1[0], 1.0, "a constant feature is only centred");
    }

    #[test]
    fn batches_put_examples_in_columns() {
        let d = tiny();
        let batches: Vec<_> = d.batches::<U2, f64>().collect();
        assert_eq!(batches.len(), 2, "the fifth example is left out");
        let (xs, ys) = &batches[1];
        assert_eq!(xs.as_slice(), &[4.0, 6.0, 5.0, 7.0]);
        assert_eq!(ys.as_slice(), &[2, 1]);
        let (a, b) = d.split_at(3);
        assert_eq!((a.len(), b.len()), (3, 2));
        assert_eq!(b.features(0), &[6.0, 7.0]);
    }
}
