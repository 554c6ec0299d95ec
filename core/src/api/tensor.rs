//! `Tensor3<C, H, W, T>` and `Tensor4<A, B, C, D, T>`: rank-3 and rank-4
//! values on the heap, row-major (the last index fastest), their shape in
//! their type. A rank-3 value is one example of a convolutional layer
//! (channels, height, width); a batch of them is a `Tensor4<C, H, W, B>`,
//! the example index last as for the columns of a matrix; a convolution's
//! kernels are a `Tensor4<F, C, KH, KW>`.
//!
//! ```
//! use shapegrad::prelude::*;
//! let t = Tensor3::<U2, U3, U4>::from_fn(|c, h, w| (100 * c + 10 * h + w) as f32);
//! assert_eq!(t[(1, 2, 3)], 123.0);
//! assert_eq!(t.as_slice()[4], 10.0, "row-major: the last index fastest");
//! ```

use core::fmt;
use core::marker::PhantomData;
use core::ops::{Index, IndexMut};

use crate::{Dim, Scalar, ShapeError};

macro_rules! tensor {
    ($(#[$doc:meta])* $Name:ident, $rank:literal, [$($D:ident),+], [$($i:tt),+]) => {
        $(#[$doc])*
        pub struct $Name<$($D: Dim,)+ T = f32> {
            /// `LEN` values, row-major: a constructor's invariant.
            data: Box<[T]>,
            dims: PhantomData<($($D,)+)>,
        }

        /// Every element scaled by `k`.
        impl<$($D: Dim,)+ T: Scalar> core::ops::MulAssign<T> for $Name<$($D,)+ T> {
            fn mul_assign(&mut self, k: T) {
                for v in self.data.iter_mut() {
                    *v = *v * k;
                }
            }
        }

        impl<$($D: Dim,)+ T: Scalar> $Name<$($D,)+ T> {
            /// The sizes of its dims, in order.
            pub const SHAPE: [usize; $rank] = [$($D::SIZE),+];
            /// The number of elements.
            pub const LEN: usize = 1 $(* $D::SIZE)+;

            /// All zeros, allocated on the heap (never on the stack).
            pub fn zeros() -> Self {
                Self::from_element(T::ZERO)
            }

            /// Every element equal to `value`.
            pub fn from_element(value: T) -> Self {
                $Name { data: vec![value; Self::LEN].into_boxed_slice(), dims: PhantomData }
            }

            /// The element at each index is `f` of that index.
            pub fn from_fn(mut f: impl FnMut($(tensor!(@usize $D)),+) -> T) -> Self {
                let mut t = Self::zeros();
                for (k, x) in t.data.iter_mut().enumerate() {
                    let idx = Self::unflatten(k);
                    *x = f($(idx[$i]),+);
                }
                t
            }

            /// A tensor from its elements in row-major order (the last index fastest).
            ///
            /// # Errors
            /// [`ShapeError::TensorLength`] when `values.len()` is not the
            /// product of the dims; the message names the dims and both counts.
            pub fn from_slice(values: &[T]) -> Result<Self, ShapeError> {
                if values.len() != Self::LEN {
                    let mut dims = [""; 4];
                    dims[..$rank].copy_from_slice(&[$($D::NAME),+]);
                    return Err(ShapeError::TensorLength { dims, rank: $rank, expected: Self::LEN, found: values.len() });
                }
                Ok($Name { data: values.into(), dims: PhantomData })
            }

            /// The elements in row-major order.
            pub fn as_slice(&self) -> &[T] {
                &self.data
            }

            /// The elements in row-major order, mutably.
            pub fn as_mut_slice(&mut self) -> &mut [T] {
                &mut self.data
            }

            /// `f` of every element.
            pub fn map<U: Scalar>(&self, f: impl FnMut(T) -> U) -> $Name<$($D,)+ U> {
                $Name { data: self.data.iter().copied().map(f).collect(), dims: PhantomData }
            }

            /// The same values in another element type (`f32` ↔ `f64`).
            pub fn cast<U: Scalar>(&self) -> $Name<$($D,)+ U> {
                self.map(|x| U::from_f64(x.to_f64()))
            }

            /// `self ← other`, in place.
            pub fn copy_from(&mut self, other: &Self) {
                self.data.copy_from_slice(&other.data);
            }

            /// The largest absolute difference between corresponding elements
            /// (infinite where one side is NaN or they are unequal infinities).
            pub fn max_abs_diff(&self, other: &Self) -> T {
                crate::tensor::max_abs_diff(&self.data, &other.data)
            }

            /// Whether every pair of elements agrees within `tol`, relative to
            /// their magnitude when that exceeds 1, as `Matrix::approx_eq`.
            pub fn approx_eq(&self, other: &Self, tol: T) -> bool {
                self.data.iter().zip(other.data.iter()).all(|(&a, &b)| {
                    (a - b).abs() <= tol * T::ONE.max(a.abs()).max(b.abs())
                })
            }

            /// The shape in the dims' names: `[C×H×W]`.
            pub fn shape_name() -> String {
                format!("[{}]", [$($D::NAME),+].join("×"))
            }

            /// The position in `data` of an index; panics when a part is out of range.
            fn offset(idx: [usize; $rank]) -> usize {
                let mut k = 0;
                for d in 0..$rank {
                    assert!(
                        idx[d] < Self::SHAPE[d],
                        "index {idx:?} is out of range for a {} tensor",
                        Self::shape_name()
                    );
                    k = k * Self::SHAPE[d] + idx[d];
                }
                k
            }

            fn unflatten(mut k: usize) -> [usize; $rank] {
                let mut idx = [0; $rank];
                for d in (0..$rank).rev() {
                    idx[d] = k % Self::SHAPE[d];
                    k /= Self::SHAPE[d];
                }
                idx
            }
        }

        impl<$($D: Dim,)+ T: Scalar> Index<($(tensor!(@usize $D),)+)> for $Name<$($D,)+ T> {
            type Output = T;

            /// # Panics
            /// When a part of the index is not below its dim's size.
            fn index(&self, idx: ($(tensor!(@usize $D),)+)) -> &T {
                &self.data[Self::offset([$(idx.$i),+])]
            }
        }

        impl<$($D: Dim,)+ T: Scalar> IndexMut<($(tensor!(@usize $D),)+)> for $Name<$($D,)+ T> {
            fn index_mut(&mut self, idx: ($(tensor!(@usize $D),)+)) -> &mut T {
                &mut self.data[Self::offset([$(idx.$i),+])]
            }
        }

        impl<$($D: Dim,)+ T: Scalar> Clone for $Name<$($D,)+ T> {
            fn clone(&self) -> Self {
                $Name { data: self.data.clone(), dims: PhantomData }
            }
        }

        impl<$($D: Dim,)+ T: Scalar> Default for $Name<$($D,)+ T> {
            fn default() -> Self {
                Self::zeros()
            }
        }

        impl<$($D: Dim,)+ T: Scalar> PartialEq for $Name<$($D,)+ T> {
            fn eq(&self, other: &Self) -> bool {
                self.data == other.data
            }
        }

        /// The shape in the dims' names and the element type, then the values
        /// row by row (the last index along a row), a blank line between the
        /// blocks of the leading indices; large tensors are elided with `…`.
        impl<$($D: Dim,)+ T: Scalar> fmt::Display for $Name<$($D,)+ T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} {}", Self::shape_name(), T::NAME)?;
                crate::tensor::write_rows(f, &self.data, &Self::SHAPE)
            }
        }

        impl<$($D: Dim,)+ T: Scalar> fmt::Debug for $Name<$($D,)+ T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
    };
    (@usize $D:ident) => { usize };
}

tensor!(
    /// A `C`×`H`×`W` tensor of `T` (channels, height, width), row-major, on the heap.
    Tensor3, 3, [C, H, W], [0, 1, 2]
);

tensor!(
    /// An `A`×`B`×`C`×`D` tensor of `T`, row-major, on the heap: a batch of
    /// rank-3 examples (`Tensor4<C, H, W, B>`, the example index last) or a
    /// convolution's kernels (`Tensor4<F, C, KH, KW>`).
    Tensor4, 4, [A, B, C, D], [0, 1, 2, 3]
);

/// As `Matrix::max_abs_diff`: equal infinities agree, a NaN never does.
fn max_abs_diff<T: Scalar>(a: &[T], b: &[T]) -> T {
    let mut worst = T::ZERO;
    for (&a, &b) in a.iter().zip(b) {
        let d = if a == b { T::ZERO } else { (a - b).abs() };
        worst = worst.max(if d.is_finite() { d } else { T::from_f64(f64::INFINITY) });
    }
    worst
}

/// Rows of the last dim, at most `SHOWN` rows per block and `SHOWN` blocks.
fn write_rows<T: Scalar>(f: &mut fmt::Formatter<'_>, data: &[T], shape: &[usize]) -> fmt::Result {
    const SHOWN: usize = 8;
    let cols = shape[shape.len() - 1];
    let rows = shape[shape.len() - 2];
    let precision = f.precision();
    let cell = |x: T| match precision {
        Some(p) => format!("{x:.p$}"),
        None => format!("{x}"),
    };
    let blocks = data.len() / (rows * cols).max(1);
    for b in 0..blocks.min(SHOWN) {
        if b > 0 {
            writeln!(f)?;
        }
        for r in 0..rows.min(SHOWN) {
            let start = (b * rows + r) * cols;
            let row: Vec<String> = data[start..start + cols.min(SHOWN)].iter().map(|&x| cell(x)).collect();
            let more = if cols > SHOWN { " …" } else { "" };
            write!(f, "\n[ {}{more} ]", row.join("  "))?;
        }
        if rows > SHOWN {
            write!(f, "\n  ⋮")?;
        }
    }
    if blocks > SHOWN {
        write!(f, "\n\n  … {} more blocks", blocks - SHOWN)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::typenum::{U2, U3, U4, U5};

    #[test]
    fn rank_3_is_row_major_with_the_last_index_fastest() {
        let t = Tensor3::<U2, U3, U4, f64>::from_fn(|c, h, w| (100 * c + 10 * h + w) as f64);
        assert_eq!(Tensor3::<U2, U3, U4>::SHAPE, [2, 3, 4]);
        assert_eq!(t.as_slice().len(), 24);
        assert_eq!((t[(0, 0, 3)], t[(0, 1, 0)], t[(1, 0, 0)], t[(1, 2, 3)]), (3.0, 10.0, 100.0, 123.0));
        assert_eq!(t.as_slice()[23], 123.0);
        let back = Tensor3::<U2, U3, U4, f64>::from_slice(t.as_slice()).unwrap();
        assert_eq!(back, t);
        let mut m = t.clone();
        m[(1, 1, 1)] = -1.0;
        assert!(!m.approx_eq(&t, 1e-9) && m.max_abs_diff(&t) == 112.0);
        assert!(t.cast::<f32>().cast::<f64>().approx_eq(&t, 1e-6));
    }

    #[test]
    fn rank_4_indexes_and_reports_a_wrong_length_in_the_dims_names() {
        let t = Tensor4::<U2, U3, U4, U5>::from_fn(|a, b, c, d| (1000 * a + 100 * b + 10 * c + d) as f32);
        assert_eq!(t[(1, 2, 3, 4)], 1234.0);
        assert_eq!(t.as_slice()[Tensor4::<U2, U3, U4, U5>::LEN - 1], 1234.0);
        let err = Tensor4::<U2, U3, U4, U5, f32>::from_slice(&[0.0; 7]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a [2×3×4×5] tensor holds 120 values (row-major, the last index fastest), found 7"
        );
    }

    #[test]
    #[should_panic(expected = "index [0, 3, 0] is out of range for a [2×3×4] tensor")]
    fn an_index_out_of_range_panics_naming_the_shape() {
        let _ = Tensor3::<U2, U3, U4>::zeros()[(0, 3, 0)];
    }

    #[test]
    fn display_shows_the_shape_and_the_rows() {
        let t = Tensor3::<U2, U2, U3, f32>::from_fn(|c, h, w| (c * 6 + h * 3 + w) as f32);
        assert_eq!(t.to_string(), "[2×2×3] f32\n[ 0  1  2 ]\n[ 3  4  5 ]\n\n[ 6  7  8 ]\n[ 9  10  11 ]");
    }
}
