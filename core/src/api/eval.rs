//! Evaluating a classifier: the predicted class of a column of scores, the
//! accuracy of a batch, and a confusion matrix over a whole dataset.
//!
//! ```
//! use shapegrad::eval::Confusion;
//! use shapegrad::prelude::*;
//!
//! let scores = Matrix::<U3, U2>::from_slice(&[0.1, 2.0, 0.7, -1.0, 0.2, 0.5]).unwrap();
//! let predicted = scores.argmax_cols(); // the largest score of each column
//! assert_eq!(predicted.as_slice(), &[1, 0]);
//! let labels = Classes::<U3, U2>::from_slice(&[1, 2]).unwrap();
//! let mut confusion = Confusion::<U3>::new();
//! confusion.add_batch(&predicted, &labels, 2);
//! assert_eq!((confusion.correct(), confusion.total(), confusion.accuracy()), (1, 2, 0.5));
//! ```

use core::fmt;
use core::marker::PhantomData;

use crate::{Class, Classes, Dim, Matrix, Scalar, Vector};

/// The index of the largest of `values`, the first one on ties; NaN counts
/// as smaller than every number.
fn argmax<T: Scalar>(values: impl Iterator<Item = T>) -> usize {
    let mut best: Option<(usize, T)> = None;
    for (i, v) in values.enumerate() {
        // NaN is the one value not equal to itself.
        #[allow(clippy::eq_op)]
        if v != v {
            continue;
        }
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map_or(0, |(i, _)| i)
}

impl<C: Dim, T: Scalar> Vector<C, T> {
    /// The class with the largest score (the first on ties; NaN scores are
    /// passed over, and a vector of NaN predicts class 0).
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let logits = Vector::<U3>::from_slice(&[0.5, 2.0, 2.0]).unwrap();
    /// assert_eq!(logits.argmax().index(), 1);
    /// ```
    pub fn argmax(&self) -> Class<C> {
        Class::new(argmax(self.as_slice().iter().copied()))
            .unwrap_or_else(|_| unreachable!("an index below C"))
    }
}

impl<C: Dim, B: Dim, T: Scalar> Matrix<C, B, T> {
    /// The class with the largest score in each column: the predictions of a
    /// batch of scores, one example per column.
    pub fn argmax_cols(&self) -> Classes<C, B> {
        let mut out = Classes::zeros();
        for b in 0..B::SIZE {
            let k = argmax(self.column_iter(b));
            out.set(b, Class::new(k).unwrap_or_else(|_| unreachable!("an index below C")));
        }
        out
    }
}

/// The fraction of the first `n` examples of a batch whose prediction is
/// the label (`n` ≤ `B`: a last, padded batch counts only its real examples).
///
/// # Panics
/// When `n` exceeds `B`.
///
/// ```
/// use shapegrad::eval::accuracy;
/// use shapegrad::prelude::*;
/// let p = Classes::<U3, U4>::from_slice(&[0, 1, 2, 2]).unwrap();
/// let y = Classes::<U3, U4>::from_slice(&[0, 1, 1, 0]).unwrap();
/// assert_eq!(accuracy(&p, &y, 4), 0.5);
/// assert_eq!(accuracy(&p, &y, 2), 1.0);
/// ```
pub fn accuracy<C: Dim, B: Dim>(predicted: &Classes<C, B>, labels: &Classes<C, B>, n: usize) -> f64 {
    assert!(n <= B::SIZE, "{n} examples in a batch of {}", B::SIZE);
    let correct =
        predicted.as_slice()[..n].iter().zip(&labels.as_slice()[..n]).filter(|(p, y)| p == y).count();
    if n == 0 { 0.0 } else { correct as f64 / n as f64 }
}

/// Counts of (label, prediction) pairs over `C` classes; it prints as a
/// table, a row per label.
///
/// ```
/// use shapegrad::eval::Confusion;
/// use shapegrad::prelude::*;
/// let mut c = Confusion::<U2>::new();
/// c.add(Class::new(0).unwrap(), Class::new(0).unwrap());
/// c.add(Class::new(1).unwrap(), Class::new(0).unwrap());
/// assert_eq!(c.get(1, 0), 1);
/// assert_eq!(
///     c.to_string(),
///     "label \\ predicted      0     1  recall\n\
///      0                      1     0  100.0%\n\
///      1                      1     0    0.0%\n\
///      accuracy 50.0% (1/2)\n"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confusion<C: Dim> {
    counts: Vec<usize>,
    classes: PhantomData<C>,
}

impl<C: Dim> Default for Confusion<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Dim> Confusion<C> {
    /// No examples counted yet.
    pub fn new() -> Self {
        Confusion { counts: vec![0; C::SIZE * C::SIZE], classes: PhantomData }
    }

    /// Counts one example.
    pub fn add(&mut self, label: Class<C>, predicted: Class<C>) {
        self.counts[label.index() * C::SIZE + predicted.index()] += 1;
    }

    /// Counts the first `n` examples of a batch.
    ///
    /// # Panics
    /// When `n` exceeds `B`.
    pub fn add_batch<B: Dim>(&mut self, predicted: &Classes<C, B>, labels: &Classes<C, B>, n: usize) {
        assert!(n <= B::SIZE, "{n} examples in a batch of {}", B::SIZE);
        for b in 0..n {
            self.add(labels.get(b), predicted.get(b));
        }
    }

    /// How many examples of label `label` were predicted `predicted`.
    ///
    /// # Panics
    /// When an index is not below `C`.
    pub fn get(&self, label: usize, predicted: usize) -> usize {
        assert!(label < C::SIZE && predicted < C::SIZE, "classes are 0..{}", C::SIZE);
        self.counts[label * C::SIZE + predicted]
    }

    /// The number of examples counted.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// The number predicted right (the diagonal).
    pub fn correct(&self) -> usize {
        (0..C::SIZE).map(|k| self.counts[k * C::SIZE + k]).sum()
    }

    /// The fraction predicted right (0 when nothing was counted).
    pub fn accuracy(&self) -> f64 {
        let total = self.total();
        if total == 0 { 0.0 } else { self.correct() as f64 / total as f64 }
    }
}

impl<C: Dim> fmt::Display for Confusion<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<18}", "label \\ predicted")?;
        for k in 0..C::SIZE {
            write!(f, "{k:>6}")?;
        }
        writeln!(f, "  recall")?;
        for label in 0..C::SIZE {
            write!(f, "{label:<18}")?;
            let row = &self.counts[label * C::SIZE..(label + 1) * C::SIZE];
            for n in row {
                write!(f, "{n:>6}")?;
            }
            let total: usize = row.iter().sum();
            if total == 0 {
                writeln!(f, "       –")?;
            } else {
                writeln!(f, "  {:>5.1}%", 100.0 * row[label] as f64 / total as f64)?;
            }
        }
        writeln!(f, "accuracy {:.1}% ({}/{})", 100.0 * self.accuracy(), self.correct(), self.total())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use typenum::{U3, U4};

    #[test]
    fn argmax_takes_the_first_largest_and_passes_over_nan() {
        let v = Vector::<U4, f64>::from_slice(&[f64::NAN, -1.0, 3.0, 3.0]).unwrap();
        assert_eq!(v.argmax().index(), 2);
        let all_nan = Vector::<U3, f64>::from_slice(&[f64::NAN; 3]).unwrap();
        assert_eq!(all_nan.argmax().index(), 0);
        let m = Matrix::<U3, U4, f32>::from_fn(|i, j| if i == (j + 1) % 3 { 1.0 } else { -(i as f32) });
        assert_eq!(m.argmax_cols().as_slice(), &[1, 2, 0, 1]);
    }

    #[test]
    fn the_confusion_matrix_counts_pairs_and_its_diagonal() {
        let mut c = Confusion::<U3>::new();
        let p = Classes::<U3, U4>::from_slice(&[0, 2, 2, 1]).unwrap();
        let y = Classes::<U3, U4>::from_slice(&[0, 2, 1, 1]).unwrap();
        c.add_batch(&p, &y, 3);
        assert_eq!((c.total(), c.correct(), c.get(1, 2), c.get(1, 1)), (3, 2, 1, 0));
        assert!((c.accuracy() - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(Confusion::<U3>::new().accuracy(), 0.0);
    }
}
