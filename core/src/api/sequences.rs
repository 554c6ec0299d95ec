//! A batch of label sequences: the tokens or the per-step classes of a
//! sequence net (`input ws: [T] of V;`, `label ys: [T] of V;`), batched.
//!
//! Inputs out of the ordinary, one behaviour each (each row is tested below):
//!
//! | input | behaviour |
//! |---|---|
//! | `Sequences::<C, T, B>::from_slice(v)` with `v.len() ≠ T·B` | `Err(ShapeError::SequenceCount)` naming `T`, `B` and both counts |
//! | `from_slice(v)` or `from_fn` with a label `≥ C` | `Err(ShapeError::ClassOutOfRange)` with the label's position in `v` (`t·B + b`) |
//! | `from_examples(s)` with `s.len() ≠ B` | `Err(ShapeError::LabelCount)` naming `B` |
//! | `get(t, b)`, `example(b)` with `t ≥ T` or `b ≥ B` | a panic (an index past the batch is a bug of the caller, as for a slice) |

use core::marker::PhantomData;

use crate::{Class, Classes, Dim, ShapeError};

/// `B` sequences of `T` class labels in `0..C`, the example index last:
/// step `t` of example `b` is at `t·B + b` (the layout of a `[T×B]` matrix,
/// as a batch of per-example matrices is a `Tensor3<T, D, B>`). Example `b`
/// alone is a `Classes<C, T>`.
///
/// ```
/// use shapegrad::prelude::*;
/// // Two sequences of three tokens in 0..4: (0, 1, 2) and (3, 3, 1).
/// let ws = Sequences::<U4, U3, U2>::from_slice(&[0, 3, 1, 3, 2, 1]).unwrap();
/// assert_eq!(ws.get(2, 0).index(), 2);
/// assert_eq!(ws.example(1).as_slice(), &[3, 3, 1]);
/// let err = Sequences::<U4, U3, U2>::from_slice(&[0, 3, 1, 3, 2, 4]).unwrap_err();
/// assert_eq!(err.to_string(), "class index 4 (label 5) is out of range: `4` has 4 classes, indices 0..4");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sequences<C: Dim, T: Dim, B: Dim> {
    labels: Box<[usize]>,
    dims: PhantomData<(C, T, B)>,
}

impl<C: Dim, T: Dim, B: Dim> Sequences<C, T, B> {
    /// The labels from a slice of `T·B` indices, step `t` of example `b` at `t·B + b`.
    ///
    /// # Errors
    /// [`ShapeError::SequenceCount`] when the slice does not hold `T·B`
    /// labels, [`ShapeError::ClassOutOfRange`] (with the position in the
    /// slice) when one is not below `C`.
    pub fn from_slice(indices: &[usize]) -> Result<Self, ShapeError> {
        let expected = T::SIZE * B::SIZE;
        if indices.len() != expected {
            return Err(ShapeError::SequenceCount {
                steps: T::NAME,
                batch: B::NAME,
                expected,
                found: indices.len(),
            });
        }
        crate::class::check_range::<C>(indices)?;
        Ok(Sequences { labels: indices.into(), dims: PhantomData })
    }

    /// The labels `f(t, b)` (step `t` of example `b`).
    ///
    /// # Errors
    /// [`ShapeError::ClassOutOfRange`] when a label is not below `C`.
    pub fn from_fn(mut f: impl FnMut(usize, usize) -> usize) -> Result<Self, ShapeError> {
        let all: Vec<usize> =
            (0..T::SIZE).flat_map(|t| (0..B::SIZE).map(move |b| (t, b))).map(|(t, b)| f(t, b)).collect();
        Self::from_slice(&all)
    }

    /// The batch of the `B` sequences `examples`, example `b` from `examples[b]`.
    ///
    /// # Errors
    /// [`ShapeError::LabelCount`] when there are not `B` of them.
    pub fn from_examples(examples: &[Classes<C, T>]) -> Result<Self, ShapeError> {
        if examples.len() != B::SIZE {
            return Err(ShapeError::LabelCount { batch: B::NAME, expected: B::SIZE, found: examples.len() });
        }
        Self::from_fn(|t, b| examples[b].get(t).index())
    }

    /// Every label 0: a buffer to fill with [`Sequences::set`].
    pub fn zeros() -> Self {
        Sequences { labels: vec![0; T::SIZE * B::SIZE].into(), dims: PhantomData }
    }

    /// Step `t` of example `b`.
    ///
    /// # Panics
    /// When `t ≥ T` or `b ≥ B`.
    #[inline]
    pub fn get(&self, t: usize, b: usize) -> Class<C> {
        assert!(
            t < T::SIZE && b < B::SIZE,
            "step {t} of example {b} is past a [{}×{}] batch",
            T::NAME,
            B::NAME
        );
        Class::checked(self.labels[t * B::SIZE + b])
    }

    /// Sets step `t` of example `b`.
    ///
    /// # Panics
    /// When `t ≥ T` or `b ≥ B`.
    #[inline]
    pub fn set(&mut self, t: usize, b: usize, label: Class<C>) {
        assert!(
            t < T::SIZE && b < B::SIZE,
            "step {t} of example {b} is past a [{}×{}] batch",
            T::NAME,
            B::NAME
        );
        self.labels[t * B::SIZE + b] = label.index();
    }

    /// Example `b`'s sequence written into `out` (no allocation).
    ///
    /// # Panics
    /// When `b ≥ B`.
    pub fn example_into(&self, b: usize, out: &mut Classes<C, T>) {
        for t in 0..T::SIZE {
            out.set(t, self.get(t, b));
        }
    }

    /// Example `b`'s sequence.
    ///
    /// # Panics
    /// When `b ≥ B`.
    pub fn example(&self, b: usize) -> Classes<C, T> {
        let mut out = Classes::zeros();
        self.example_into(b, &mut out);
        out
    }

    /// The label indices, step `t` of example `b` at `t·B + b`.
    #[inline]
    pub fn as_slice(&self) -> &[usize] {
        &self.labels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::test_dims! { C = 5; T = 3; B = 2; }

    #[test]
    fn examples_are_columns() {
        let s = Sequences::<C, T, B>::from_fn(|t, b| t + 2 * b).unwrap();
        assert_eq!(s.as_slice(), &[0, 2, 1, 3, 2, 4]);
        assert_eq!(s.example(0).as_slice(), &[0, 1, 2]);
        assert_eq!(s.example(1).as_slice(), &[2, 3, 4]);
        let back = Sequences::<C, T, B>::from_examples(&[s.example(0), s.example(1)]).unwrap();
        assert_eq!(back, s);
        let mut z = Sequences::<C, T, B>::zeros();
        z.set(2, 1, Class::new(4).unwrap());
        assert_eq!(z.as_slice(), &[0, 0, 0, 0, 0, 4]);
    }

    /// Each row of the module's table.
    #[test]
    fn inputs_out_of_the_ordinary_do_what_the_table_says() {
        let err = Sequences::<C, T, B>::from_slice(&[0; 5]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a batch of `B` sequences of `T` steps holds 6 labels ([T×B], the example index last), found 5"
        );
        let err = Sequences::<C, T, B>::from_fn(|t, b| if (t, b) == (1, 1) { 5 } else { 0 }).unwrap_err();
        assert!(matches!(err, ShapeError::ClassOutOfRange { index: 5, position: Some(3), .. }), "{err:?}");
        let one = Sequences::<C, T, B>::zeros().example(0);
        let err = Sequences::<C, T, B>::from_examples(&[one]).unwrap_err();
        assert!(matches!(err, ShapeError::LabelCount { expected: 2, found: 1, .. }), "{err:?}");
        let s = Sequences::<C, T, B>::zeros();
        assert!(std::panic::catch_unwind(|| s.get(3, 0)).is_err());
        assert!(std::panic::catch_unwind(|| s.example(2)).is_err());
    }
}
