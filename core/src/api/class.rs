//! Class labels: an index that is proven to be below the number of classes.
//!
//! Inputs out of the ordinary, one behaviour each (each row is tested below):
//!
//! | input | behaviour |
//! |---|---|
//! | `Class::<C>::new(i)` with `i ≥ C` | `Err(ShapeError::ClassOutOfRange)` naming `C`, its size and `i` |
//! | `Classes::<C, B>::from_slice(v)` with `v.len() ≠ B` | `Err(ShapeError::LabelCount)` naming `B` and both counts |
//! | `Classes::from_slice(v)` with some `v[b] ≥ C` | `Err(ShapeError::ClassOutOfRange)` naming the position `b` too |
//! | `Classes::get(b)` / `set(b, _)` with `b ≥ B` | a panic (an index past the batch is a bug of the caller, as for a slice) |
//! | `Matrix::from_slice`, `Tensor3/4::from_slice` of a wrong length | `Err(ShapeError::Length)` / `Err(ShapeError::TensorLength)` naming the dims and both counts |

use core::marker::PhantomData;

use generic_array::GenericArray;

use crate::{Dim, Matrix, Scalar, ShapeError, Vector};

/// One class label in `0..C`.
///
/// ```
/// use shapegrad::prelude::*;
/// let y = Class::<U10>::new(3).unwrap();
/// assert_eq!(y.index(), 3);
/// assert_eq!(
///     Class::<U10>::new(10).unwrap_err().to_string(),
///     "class index 10 is out of range: `10` has 10 classes, indices 0..10"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Class<C: Dim> {
    index: usize,
    classes: PhantomData<C>,
}

impl<C: Dim> Class<C> {
    /// The label `index`.
    ///
    /// # Errors
    /// [`ShapeError::ClassOutOfRange`] when `index` is not below `C`'s size.
    pub fn new(index: usize) -> Result<Self, ShapeError> {
        if index < C::SIZE {
            Ok(Class { index, classes: PhantomData })
        } else {
            Err(ShapeError::ClassOutOfRange { classes: C::NAME, size: C::SIZE, index, position: None })
        }
    }

    /// A label whose index the caller has already checked to be below `C`.
    pub(crate) fn checked(index: usize) -> Self {
        debug_assert!(index < C::SIZE);
        Class { index, classes: PhantomData }
    }

    /// The index, below `C::SIZE`.
    #[inline]
    pub fn index(self) -> usize {
        self.index
    }

    /// The one-hot column: 1 at the label, 0 elsewhere.
    pub fn onehot<T: Scalar>(self) -> Vector<C, T> {
        let mut v = Vector::<C, T>::zeros();
        v[self.index] = T::ONE;
        v
    }
}

/// A batch of `B` class labels in `0..C`, one per column of a `[C×B]` matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classes<C: Dim, B: Dim> {
    labels: Box<GenericArray<usize, B::Size>>,
    classes: PhantomData<C>,
}

impl<C: Dim, B: Dim> Classes<C, B> {
    /// The labels from a slice of `B` indices.
    ///
    /// # Errors
    /// [`ShapeError::LabelCount`] when the slice does not hold `B` labels,
    /// [`ShapeError::ClassOutOfRange`] (with the label's position) when one
    /// is not below `C`.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let ys = Classes::<U3, U4>::from_slice(&[0, 2, 1, 2]).unwrap();
    /// assert_eq!(ys.get(1).index(), 2);
    /// let err = Classes::<U3, U4>::from_slice(&[0, 2, 3, 2]).unwrap_err();
    /// assert_eq!(err.to_string(), "class index 3 (label 2) is out of range: `3` has 3 classes, indices 0..3");
    /// ```
    pub fn from_slice(indices: &[usize]) -> Result<Self, ShapeError> {
        if indices.len() != B::SIZE {
            return Err(ShapeError::LabelCount { batch: B::NAME, expected: B::SIZE, found: indices.len() });
        }
        check_range::<C>(indices)?;
        let mut labels = GenericArray::<usize, B::Size>::default_boxed();
        labels.copy_from_slice(indices);
        Ok(Classes { labels, classes: PhantomData })
    }

    /// Every label 0: a buffer to fill with [`Classes::set`] or
    /// `Dataset::batch_into`.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// assert_eq!(Classes::<U3, U4>::zeros().as_slice(), &[0, 0, 0, 0]);
    /// ```
    pub fn zeros() -> Self {
        Classes { labels: GenericArray::default_boxed(), classes: PhantomData }
    }

    /// The label of example `b`.
    ///
    /// # Panics
    /// When `b` is not below `B`.
    #[inline]
    pub fn get(&self, b: usize) -> Class<C> {
        Class { index: self.labels[b], classes: PhantomData }
    }

    /// Sets the label of example `b`.
    ///
    /// # Panics
    /// When `b` is not below `B`.
    #[inline]
    pub fn set(&mut self, b: usize, label: Class<C>) {
        self.labels[b] = label.index;
    }

    /// The label indices, one per example.
    #[inline]
    pub fn as_slice(&self) -> &[usize] {
        &self.labels
    }

    /// The one-hot matrix: column `b` is the one-hot vector of label `b`.
    pub fn onehot<T: Scalar>(&self) -> Matrix<C, B, T> {
        let mut m = Matrix::<C, B, T>::zeros();
        for (b, &k) in self.labels.iter().enumerate() {
            m[(k, b)] = T::ONE;
        }
        m
    }
}

/// `Err(ClassOutOfRange)` for the first of `indices` not below `C`, with
/// its position.
pub(crate) fn check_range<C: Dim>(indices: &[usize]) -> Result<(), ShapeError> {
    match indices.iter().enumerate().find(|&(_, &k)| k >= C::SIZE) {
        Some((position, &index)) => Err(ShapeError::ClassOutOfRange {
            classes: C::NAME,
            size: C::SIZE,
            index,
            position: Some(position),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::test_dims! { C = 4; B = 3; }

    #[test]
    fn labels_are_checked_and_named() {
        assert_eq!(Class::<C>::new(3).unwrap().index(), 3);
        let err = Class::<C>::new(4).unwrap_err();
        assert_eq!(err.to_string(), "class index 4 is out of range: `C` has 4 classes, indices 0..4");
        let err = Classes::<C, B>::from_slice(&[1, 2]).unwrap_err();
        assert_eq!(err.to_string(), "a batch of `B` holds 3 labels, found 2");
    }

    /// The rows of the module's table that the test above does not cover.
    #[test]
    fn inputs_out_of_the_ordinary_do_what_the_table_says() {
        let err = Classes::<C, B>::from_slice(&[1, 4, 0]).unwrap_err();
        assert!(matches!(err, ShapeError::ClassOutOfRange { index: 4, position: Some(1), .. }), "{err:?}");
        let ys = Classes::<C, B>::zeros();
        assert!(std::panic::catch_unwind(|| ys.get(3)).is_err(), "an index past the batch panics");
        let err = Matrix::<C, B>::from_slice(&[0.0; 5]).unwrap_err();
        assert!(matches!(err, ShapeError::Length { expected: 12, found: 5, .. }), "{err:?}");
        let err = crate::Tensor3::<C, B, B>::from_slice(&[0.0; 5]).unwrap_err();
        assert!(matches!(err, ShapeError::TensorLength { expected: 36, found: 5, .. }), "{err:?}");
    }

    #[test]
    fn onehot_puts_a_one_at_each_label() {
        let y = Class::<C>::new(2).unwrap().onehot::<f64>();
        assert_eq!(y.as_slice(), &[0., 0., 1., 0.]);
        let ys = Classes::<C, B>::from_slice(&[3, 0, 3]).unwrap().onehot::<f32>();
        assert_eq!(ys.as_slice(), &[0., 1., 0., 0., 0., 0., 0., 0., 0., 1., 0., 1.]);
    }
}
