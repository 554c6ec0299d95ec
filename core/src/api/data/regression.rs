//! Examples with real-valued targets, for nets with a `target`.

use core::marker::PhantomData;

use super::{DataError, examples};
use crate::{Dim, Matrix, Scalar, Vector};

/// Examples of `D` features paired with `N` real-valued targets, in memory:
/// the regression counterpart of [`Dataset`](super::Dataset), with the same
/// seeded shuffles, splits and typed batches (`[D×B]` and `[N×B]`, one
/// example per column).
///
/// ```
/// use shapegrad::data::Regression;
/// use shapegrad::prelude::*;
///
/// // Three examples: two features, one target each.
/// let data = Regression::<U2, U1>::new(vec![0., 1., 2., 3., 4., 5.], vec![0.5, 1.5, 2.5]).unwrap();
/// let (x, t) = data.example::<f64>(1);
/// assert_eq!((x.as_slice(), t.as_slice()), (&[2., 3.][..], &[1.5][..]));
/// let (train, test) = data.shuffled(7).split_at(2);
/// assert_eq!((train.len(), test.len()), (2, 1));
/// let (xs, ts) = data.batches::<U2, f32>().next().unwrap();
/// assert_eq!((xs.as_slice(), ts.as_slice()), (&[0., 2., 1., 3.][..], &[0.5, 1.5][..]));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Regression<D: Dim, N: Dim> {
    features: Vec<f32>,
    targets: Vec<f32>,
    dims: PhantomData<(D, N)>,
}

impl<D: Dim, N: Dim> Regression<D, N> {
    /// A dataset from the features of every example, one after the other
    /// (`D` values each), and their targets (`N` values each).
    ///
    /// # Errors
    /// [`DataError::Shape`] when the two do not hold the same number of
    /// examples, or `features` is not a whole number of examples.
    ///
    /// ```
    /// use shapegrad::data::Regression;
    /// use shapegrad::prelude::*;
    /// let err = Regression::<U2, U1>::new(vec![0., 1., 2.], vec![0.5]).unwrap_err();
    /// assert_eq!(err.to_string(), "3 features for 1 examples of `2` = 2: expected 2, found 3");
    /// ```
    pub fn new(features: Vec<f32>, targets: Vec<f32>) -> Result<Self, DataError> {
        if !targets.len().is_multiple_of(N::SIZE) {
            return Err(DataError::Shape {
                what: format!("{} targets in rows of `{}` = {}", targets.len(), N::NAME, N::SIZE),
                expected: targets.len().next_multiple_of(N::SIZE),
                found: targets.len(),
            });
        }
        let n = targets.len() / N::SIZE;
        if features.len() != n * D::SIZE {
            return Err(DataError::Shape {
                what: format!("{} features for {n} examples of `{}` = {}", features.len(), D::NAME, D::SIZE),
                expected: n * D::SIZE,
                found: features.len(),
            });
        }
        Ok(Regression { features, targets, dims: PhantomData })
    }

    /// The examples of a CSV file with a header line: each row `D` features
    /// then `N` targets, numbers only (with the `csv` feature, through the
    /// `csv` crate).
    ///
    /// # Errors
    /// [`DataError::Missing`] or [`DataError::Io`] when the file cannot be
    /// read; [`DataError::Parse`] naming the line and column of a field that
    /// is not a number, or of a row with the wrong number of fields.
    #[cfg(feature = "csv")]
    pub fn from_csv(path: impl AsRef<std::path::Path>) -> Result<Self, DataError> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => {
                DataError::Missing { path: path.to_path_buf(), hint: "check the path of the CSV file" }
            }
            _ => DataError::Io { path: path.to_path_buf(), source },
        })?;
        Self::from_csv_reader(file)
    }

    /// [`Regression::from_csv`] from any reader.
    ///
    /// ```
    /// use shapegrad::data::Regression;
    /// use shapegrad::prelude::*;
    /// let text = "x1,x2,y\n1,2,3.5\n4,5,9.5\n";
    /// let data = Regression::<U2, U1>::from_csv_reader(text.as_bytes()).unwrap();
    /// assert_eq!((data.len(), data.targets(1)), (2, &[9.5][..]));
    /// let bad = Regression::<U2, U1>::from_csv_reader("a,b,y\n1,x,3\n".as_bytes()).unwrap_err();
    /// assert_eq!(bad.to_string(), "line 2: column 2 is `x`, not a number");
    /// ```
    ///
    /// # Errors
    /// As [`Regression::from_csv`].
    #[cfg(feature = "csv")]
    pub fn from_csv_reader(reader: impl std::io::Read) -> Result<Self, DataError> {
        let width = D::SIZE + N::SIZE;
        let mut csv = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(reader);
        let (mut features, mut targets) = (Vec::new(), Vec::new());
        for (row, record) in csv.records().enumerate() {
            let line = row + 2;
            let record = record.map_err(|e| DataError::Parse { line, reason: e.to_string() })?;
            if record.len() != width {
                return Err(DataError::Parse {
                    line,
                    reason: format!(
                        "{} fields, expected {width}: `{}` = {} features then `{}` = {} targets",
                        record.len(),
                        D::NAME,
                        D::SIZE,
                        N::NAME,
                        N::SIZE
                    ),
                });
            }
            for (column, field) in record.iter().enumerate() {
                let value: f32 = field.trim().parse().map_err(|_| DataError::Parse {
                    line,
                    reason: format!("column {} is `{field}`, not a number", column + 1),
                })?;
                if column < D::SIZE { features.push(value) } else { targets.push(value) }
            }
        }
        Self::new(features, targets)
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.targets.len() / N::SIZE
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The features of example `i`.
    ///
    /// # Panics
    /// When `i` is not below `len()`.
    pub fn features(&self, i: usize) -> &[f32] {
        &self.features[i * D::SIZE..(i + 1) * D::SIZE]
    }

    /// The targets of example `i`.
    ///
    /// # Panics
    /// When `i` is not below `len()`.
    pub fn targets(&self, i: usize) -> &[f32] {
        &self.targets[i * N::SIZE..(i + 1) * N::SIZE]
    }

    /// Example `i` as typed vectors.
    ///
    /// # Panics
    /// When `i` is not below `len()`.
    pub fn example<T: Scalar>(&self, i: usize) -> (Vector<D, T>, Vector<N, T>) {
        let (x, t) = (self.features(i), self.targets(i));
        (
            Vector::from_fn(|r, _| T::from_f64(f64::from(x[r]))),
            Vector::from_fn(|r, _| T::from_f64(f64::from(t[r]))),
        )
    }

    /// The same examples in an order drawn from `seed`, the same on every
    /// machine (as [`Dataset::shuffled`](super::Dataset::shuffled)).
    pub fn shuffled(&self, seed: u64) -> Self {
        self.select(&examples::shuffled_order(self.len(), seed))
    }

    /// The examples at `indices`, in that order.
    ///
    /// # Panics
    /// When an index is not below `len()`.
    pub fn select(&self, indices: &[usize]) -> Self {
        Regression {
            features: examples::select_rows(&self.features, D::SIZE, indices),
            targets: examples::select_rows(&self.targets, N::SIZE, indices),
            dims: PhantomData,
        }
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

    /// The mean and standard deviation of each feature (a constant feature
    /// gets a deviation of 1), for [`Regression::standardize`].
    pub fn feature_stats(&self) -> (Vec<f32>, Vec<f32>) {
        examples::feature_stats(&self.features, D::SIZE)
    }

    /// Each feature shifted and scaled: `(x − mean) / std`.
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

    /// Batch `k` (examples `k·B .. (k+1)·B`) written into `xs` and `ts`,
    /// which are reused: a training loop that calls this allocates nothing.
    ///
    /// # Panics
    /// When `k` is not below `num_batches::<B>()`.
    pub fn batch_into<B: Dim, T: Scalar>(
        &self,
        k: usize,
        xs: &mut Matrix<D, B, T>,
        ts: &mut Matrix<N, B, T>,
    ) {
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
            for (r, &v) in self.targets(i).iter().enumerate() {
                ts[(r, b)] = T::from_f64(f64::from(v));
            }
        }
    }

    /// The whole batches of `B` examples, in order; a last partial batch is
    /// left out (shuffle between epochs so every example is seen).
    pub fn batches<B: Dim, T: Scalar>(
        &self,
    ) -> impl Iterator<Item = (Matrix<D, B, T>, Matrix<N, B, T>)> + '_ {
        (0..self.num_batches::<B>()).map(move |k| {
            let (mut xs, mut ts) = (Matrix::zeros(), Matrix::zeros());
            self.batch_into(k, &mut xs, &mut ts);
            (xs, ts)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use typenum::{U2, U3};

    fn data() -> Regression<U3, U2> {
        let features = (0..15).map(|v| v as f32).collect();
        let targets = (0..10).map(|v| -(v as f32)).collect();
        Regression::new(features, targets).unwrap()
    }

    #[test]
    fn a_shuffle_keeps_each_example_with_its_targets() {
        let d = data();
        let s = d.shuffled(3);
        assert_eq!(s.len(), 5);
        for i in 0..5 {
            // Example j has features 3j.. and targets −2j..
            let j = s.features(i)[0] as usize / 3;
            assert_eq!(s.targets(i), &[-(2.0 * j as f32), -(2.0 * j as f32 + 1.0)]);
        }
        assert_ne!(s, d, "seed 3 moves something");
        assert_eq!(s, d.shuffled(3));
    }

    #[test]
    fn mismatched_counts_are_errors_naming_them() {
        let e = Regression::<U3, U2>::new(vec![0.0; 6], vec![0.0; 3]).unwrap_err();
        assert_eq!(e.to_string(), "3 targets in rows of `2` = 2: expected 4, found 3");
        let e = Regression::<U3, U2>::new(vec![0.0; 5], vec![0.0; 4]).unwrap_err();
        assert_eq!(e.to_string(), "5 features for 2 examples of `3` = 3: expected 6, found 5");
    }

    #[test]
    fn batches_put_one_example_per_column() {
        let d = data();
        let mut xs = Matrix::<U3, U2, f64>::zeros();
        let mut ts = Matrix::<U2, U2, f64>::zeros();
        d.batch_into(1, &mut xs, &mut ts);
        // Examples 2 and 3.
        assert_eq!(xs.as_slice(), &[6., 9., 7., 10., 8., 11.]);
        assert_eq!(ts.as_slice(), &[-4., -6., -5., -7.]);
        assert_eq!(d.batches::<U2, f32>().count(), 2);
    }

    #[cfg(feature = "csv")]
    #[test]
    fn csv_rows_of_the_wrong_width_name_their_line() {
        let e =
            Regression::<U3, U2>::from_csv_reader("a,b,c,d,e\n1,2,3,4,5\n1,2,3,4\n".as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), "line 3: 4 fields, expected 5: `3` = 3 features then `2` = 2 targets");
    }
}
