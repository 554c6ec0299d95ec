//! `Matrix<R, C, T>`: an R×C matrix, row-major, shape in its type; inline when small, on the heap otherwise.

use core::marker::PhantomData;
use core::ops::{Index, IndexMut};

use typenum::Unsigned;

use crate::dim::{Dim, One, RenameTo};
use crate::storage::{Storage, StoreOf};
use crate::{Scalar, ShapeError};

/// Where the `R` rows of `C` elements (contiguous, row-major) live: inline
/// when small, boxed otherwise (see [`storage`](crate::storage)).
type Store<R, C, T> = StoreOf<<R as Dim>::Size, <C as Dim>::Size, T>;

/// An `R`×`C` matrix of `T`, row-major: inline when it has fewer than 512
/// elements by the rule of [`storage`](crate::storage) (`Self::INLINE`), in
/// one heap allocation otherwise, so a large one is never on the stack.
///
/// The shape lives in the type: operations exist only for shapes that fit,
/// so a dimension slip is a compile error that names the dims.
///
/// ```
/// use shapegrad::prelude::*;
/// let a = Matrix::<U2, U3>::from_fn(|i, j| (3 * i + j) as f32);
/// assert_eq!(a[(1, 2)], 5.0);
/// assert_eq!(a.as_slice(), &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
/// ```
pub struct Matrix<R: Dim, C: Dim, T: Scalar = f32> {
    data: Store<R, C, T>,
    dims: PhantomData<(R, C)>,
}

/// A column vector of `N` elements: `Matrix<N, One, T>`.
pub type Vector<N, T = f32> = Matrix<N, One, T>;

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// Number of rows.
    pub const ROWS: usize = <R::Size as Unsigned>::USIZE;
    /// Number of columns.
    pub const COLS: usize = <C::Size as Unsigned>::USIZE;
    /// Number of elements.
    pub const LEN: usize = Self::ROWS * Self::COLS;
    /// Whether the elements live inside the matrix rather than in a heap
    /// allocation: for small shapes, by the rule of [`storage`](crate::storage).
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// assert!(Matrix::<U16, U8>::INLINE); // 128 elements: no allocation
    /// assert!(!Matrix::<U64, U256>::INLINE); // boxed, never on the stack
    /// ```
    pub const INLINE: bool = <Store<R, C, T> as Storage<_>>::INLINE;

    /// The zero matrix: a large one is allocated directly on the heap (never
    /// through the stack, so a 784×128 matrix is fine inside a test thread),
    /// or takes a buffer of its size this thread dropped, zeroed.
    pub fn zeros() -> Self {
        Matrix { data: Store::<R, C, T>::zeroed(), dims: PhantomData }
    }

    /// A matrix whose elements are unspecified, for a caller that will
    /// overwrite every one (the `grad` methods of a net use it for the
    /// returned gradient): a large one takes the buffer of a matrix of the
    /// same size this thread dropped, so neither allocates nor zeroes; see
    /// [`storage`](crate::storage). The elements are always valid numbers of
    /// some earlier matrix (or zero), never uninitialized memory.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let g = Matrix::<U64, U256>::zeros();
    /// let p = g.as_slice().as_ptr();
    /// drop(g);
    /// let mut h = Matrix::<U256, U64>::for_overwrite(); // the same size
    /// assert_eq!(h.as_slice().as_ptr(), p); // the dropped buffer, reused
    /// h.as_mut_slice().fill(1.0);
    /// ```
    #[inline]
    pub fn for_overwrite() -> Self {
        Matrix { data: Store::<R, C, T>::for_overwrite(), dims: PhantomData }
    }

    /// Every element equal to `value`.
    pub fn from_element(value: T) -> Self {
        let mut m = Self::for_overwrite();
        m.as_mut_slice().fill(value);
        m
    }

    /// The element at row `i`, column `j` is `f(i, j)`.
    pub fn from_fn(mut f: impl FnMut(usize, usize) -> T) -> Self {
        let mut m = Self::for_overwrite();
        for (i, row) in m.data.get_mut().iter_mut().enumerate() {
            for (j, x) in row.iter_mut().enumerate() {
                *x = f(i, j);
            }
        }
        m
    }

    /// A matrix from its elements in row-major order.
    ///
    /// # Errors
    /// [`ShapeError::Length`] when `values.len()` is not `R·C`; the message
    /// gives the shape in the dims' names and both counts.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// assert!(Matrix::<U2, U3>::from_slice(&[1.0; 6]).is_ok());
    /// let err = Matrix::<U2, U3>::from_slice(&[1.0; 5]).unwrap_err();
    /// assert_eq!(err.to_string(), "a [2×3] matrix holds 6 values (row-major), found 5");
    /// ```
    pub fn from_slice(values: &[T]) -> Result<Self, ShapeError> {
        if values.len() != Self::LEN {
            return Err(ShapeError::Length {
                rows: R::NAME,
                cols: C::NAME,
                expected: Self::LEN,
                found: values.len(),
            });
        }
        let mut m = Self::zeros();
        m.as_mut_slice().copy_from_slice(values);
        Ok(m)
    }

    /// The elements in row-major order.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        // SAFETY: `GenericArray<T, N>` has the layout of `[T; N]`, so the
        // nested array is `R` contiguous rows of `C` elements: `R·C` values of
        // `T`, initialized, borrowed for as long as `self`.
        unsafe { core::slice::from_raw_parts(self.data.get().as_ptr().cast::<T>(), Self::LEN) }
    }

    /// The elements in row-major order, mutably.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        // SAFETY: as in `as_slice`, with a unique borrow of `self`.
        unsafe { core::slice::from_raw_parts_mut(self.data.get_mut().as_mut_ptr().cast::<T>(), Self::LEN) }
    }

    /// Row `i`.
    ///
    /// # Panics
    /// When `i` is not below the number of rows.
    #[inline]
    pub fn row(&self, i: usize) -> &[T] {
        &self.data.get()[i]
    }

    /// Row `i`, mutably.
    ///
    /// # Panics
    /// When `i` is not below the number of rows.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut [T] {
        &mut self.data.get_mut()[i]
    }

    /// The rows, top to bottom.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[T]> + '_ {
        self.data.get().iter().map(|r| r.as_slice())
    }

    /// The elements of column `j`, top to bottom.
    ///
    /// # Panics
    /// When `j` is not below the number of columns.
    pub fn column_iter(&self, j: usize) -> impl ExactSizeIterator<Item = T> + '_ {
        assert!(j < Self::COLS, "column {j} of a [{}×{}] matrix", R::NAME, C::NAME);
        self.data.get().iter().map(move |r| r[j])
    }

    /// The columns, left to right, each an iterator over its elements.
    pub fn columns(&self) -> impl ExactSizeIterator<Item = impl ExactSizeIterator<Item = T> + '_> + '_ {
        (0..Self::COLS).map(move |j| self.column_iter(j))
    }

    /// Column `j` as a vector.
    ///
    /// # Panics
    /// When `j` is not below the number of columns.
    pub fn column(&self, j: usize) -> Vector<R, T> {
        let mut v = Vector::<R, T>::zeros();
        for (x, y) in v.as_mut_slice().iter_mut().zip(self.column_iter(j)) {
            *x = y;
        }
        v
    }

    /// Writes `v` into column `j`.
    ///
    /// # Panics
    /// When `j` is not below the number of columns.
    pub fn set_column(&mut self, j: usize, v: &Vector<R, T>) {
        assert!(j < Self::COLS, "column {j} of a [{}×{}] matrix", R::NAME, C::NAME);
        for (row, &x) in self.data.get_mut().iter_mut().zip(v.as_slice()) {
            row[j] = x;
        }
    }

    /// A new matrix with `f` applied to every element.
    pub fn map<U: Scalar>(&self, mut f: impl FnMut(T) -> U) -> Matrix<R, C, U> {
        let mut out = Matrix::<R, C, U>::zeros();
        for (o, &x) in out.as_mut_slice().iter_mut().zip(self.as_slice()) {
            *o = f(x);
        }
        out
    }

    /// A new matrix with `f` applied to corresponding elements of `self` and `other`.
    pub fn zip_map(&self, other: &Self, mut f: impl FnMut(T, T) -> T) -> Self {
        let mut out = Self::zeros();
        for ((o, &a), &b) in out.as_mut_slice().iter_mut().zip(self.as_slice()).zip(other.as_slice()) {
            *o = f(a, b);
        }
        out
    }

    /// Applies `f` to every element in place.
    pub fn apply(&mut self, mut f: impl FnMut(&mut T)) {
        self.as_mut_slice().iter_mut().for_each(&mut f);
    }

    /// Copies every element of `other` into `self`.
    pub fn copy_from(&mut self, other: &Self) {
        self.as_mut_slice().copy_from_slice(other.as_slice());
    }

    /// The same values in another element type (`f32` ↔ `f64`).
    pub fn cast<U: Scalar>(&self) -> Matrix<R, C, U> {
        self.map(|x| U::from_f64(x.to_f64()))
    }

    /// The largest absolute difference between corresponding elements.
    pub fn max_abs_diff(&self, other: &Self) -> T {
        let mut worst = T::ZERO;
        for (&a, &b) in self.as_slice().iter().zip(other.as_slice()) {
            // Equal infinities agree; a NaN on either side never does.
            let d = if a == b { T::ZERO } else { (a - b).abs() };
            let d = if d.is_finite() { d } else { T::from_f64(f64::INFINITY) };
            worst = worst.max(d);
        }
        worst
    }

    /// Whether every pair of elements agrees within `tol`, relative to their
    /// magnitude when that exceeds 1: `|a − b| ≤ tol · max(1, |a|, |b|)`.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let a = Vector::<U2, f64>::from_slice(&[1.0, 1000.0]).unwrap();
    /// let b = Vector::<U2, f64>::from_slice(&[1.0 + 1e-9, 1000.0 + 1e-7]).unwrap();
    /// assert!(a.approx_eq(&b, 1e-8));
    /// assert!(!a.approx_eq(&b, 1e-11));
    /// ```
    pub fn approx_eq(&self, other: &Self, tol: T) -> bool {
        self.as_slice().iter().zip(other.as_slice()).all(|(&a, &b)| {
            let scale = T::ONE.max(a.abs()).max(b.abs());
            (a - b).abs() <= tol * scale
        })
    }

    /// The same values with the rows relabelled `R2`; `R2` must have `R`'s size.
    ///
    /// ```compile_fail
    /// use shapegrad::prelude::*;
    /// let m = Matrix::<U2, U3>::zeros();
    /// let _ = m.rename_rows::<U3>(); // 2 rows are not 3
    /// ```
    pub fn rename_rows<R2: Dim>(self) -> Matrix<R2, C, T>
    where
        R: RenameTo<R2>,
    {
        self.reshape::<R2, C>()
    }

    /// The same values with the columns relabelled `C2`; `C2` must have `C`'s size.
    pub fn rename_cols<C2: Dim>(self) -> Matrix<R, C2, T>
    where
        C: RenameTo<C2>,
    {
        self.reshape::<R, C2>()
    }

    /// The same values with both dims relabelled; each must keep its size.
    pub fn rename<R2: Dim, C2: Dim>(self) -> Matrix<R2, C2, T>
    where
        R: RenameTo<R2>,
        C: RenameTo<C2>,
    {
        self.reshape::<R2, C2>()
    }

    /// Moves the storage into the layout of another shape of the same sizes.
    fn reshape<R2: Dim, C2: Dim>(self) -> Matrix<R2, C2, T> {
        assert_eq!((R::Size::USIZE, C::Size::USIZE), (R2::Size::USIZE, C2::Size::USIZE));
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: the `RenameTo` bounds of every caller (and the assert)
        // prove that `R2` has `R`'s size and `C2` has `C`'s, so both storage
        // types are the same type (inline or boxed by the same rule) with the
        // same layout; it is moved out of `this`, which is never dropped.
        let data = unsafe { core::ptr::read((&raw const this.data).cast::<Store<R2, C2, T>>()) };
        Matrix { data, dims: PhantomData }
    }
}

impl<N: Dim, T: Scalar> Matrix<N, N, T> {
    /// The identity matrix.
    pub fn identity() -> Self {
        Self::from_fn(|i, j| if i == j { T::ONE } else { T::ZERO })
    }
}

impl<R: Dim, C: Dim, T: Scalar> Clone for Matrix<R, C, T> {
    fn clone(&self) -> Self {
        // Built on the heap and filled there: `Box::clone` may go through the stack.
        let mut m = Self::for_overwrite();
        m.copy_from(self);
        m
    }
}

impl<R: Dim, C: Dim, T: Scalar> Default for Matrix<R, C, T> {
    fn default() -> Self {
        Self::zeros()
    }
}

impl<R: Dim, C: Dim, T: Scalar> PartialEq for Matrix<R, C, T> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<R: Dim, C: Dim, T: Scalar> Index<(usize, usize)> for Matrix<R, C, T> {
    type Output = T;

    /// # Panics
    /// When the row or column is out of range.
    #[inline]
    fn index(&self, (i, j): (usize, usize)) -> &T {
        &self.data.get()[i][j]
    }
}

impl<R: Dim, C: Dim, T: Scalar> IndexMut<(usize, usize)> for Matrix<R, C, T> {
    #[inline]
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut T {
        &mut self.data.get_mut()[i][j]
    }
}

impl<N: Dim, T: Scalar> Index<usize> for Matrix<N, One, T> {
    type Output = T;

    /// Element `i` of a vector.
    ///
    /// # Panics
    /// When `i` is out of range.
    #[inline]
    fn index(&self, i: usize) -> &T {
        &self.data.get()[i][0]
    }
}

impl<N: Dim, T: Scalar> IndexMut<usize> for Matrix<N, One, T> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.data.get_mut()[i][0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use typenum::{U2, U3};

    crate::test_dims! { H = 128; D = 784; M = 3; N = 3; }

    #[test]
    fn from_slice_is_row_major_and_checks_length() {
        let m = Matrix::<U2, U3>::from_slice(&[1., 2., 3., 4., 5., 6.]).unwrap();
        assert_eq!(m[(0, 2)], 3.0);
        assert_eq!(m[(1, 0)], 4.0);
        assert_eq!(m.row(1), &[4., 5., 6.]);
        assert_eq!(m.column(1).as_slice(), &[2., 5.]);
        let cols: Vec<Vec<f32>> = m.columns().map(|c| c.collect()).collect();
        assert_eq!(cols, vec![vec![1., 4.], vec![2., 5.], vec![3., 6.]]);
        let err = Matrix::<H, D>::from_slice(&[0.0; 7]).unwrap_err();
        assert_eq!(err.to_string(), "a [H×D] matrix holds 100352 values (row-major), found 7");
        let err = Vector::<H>::from_slice(&[0.0; 7]).unwrap_err();
        assert_eq!(err.to_string(), "a [H] vector holds 128 values, found 7");
    }

    #[test]
    fn big_matrices_live_on_the_heap() {
        // 784×128 f64 is 784 KiB: on a 2 MiB test stack a few copies would overflow.
        let a = Matrix::<D, H, f64>::from_fn(|i, j| (i * 128 + j) as f64);
        let b = a.clone();
        let c = b.clone();
        assert_eq!(c[(783, 127)], (783 * 128 + 127) as f64);
        assert_eq!(c, a);
    }

    #[test]
    fn rename_keeps_values() {
        let m = Matrix::<M, U2>::from_fn(|i, j| (i + 10 * j) as f32);
        let r = m.clone().rename_rows::<N>();
        assert_eq!(r.as_slice(), m.as_slice());
        let r = m.clone().rename::<N, U2>();
        assert_eq!(r.as_slice(), m.as_slice());
        // A boxed one moves its box (Miri checks the move and the drop).
        let big = Matrix::<D, M, f64>::from_fn(|i, j| (i * 7 + j) as f64);
        const { assert!(!Matrix::<D, M, f64>::INLINE && Matrix::<M, U2>::INLINE) };
        let r = big.clone().rename_cols::<N>();
        assert_eq!(r.as_slice(), big.as_slice());
    }

    #[test]
    fn approx_eq_and_max_abs_diff() {
        let a = Vector::<U3, f64>::from_slice(&[1.0, 2.0, 3.0]).unwrap();
        let mut b = a.clone();
        b[2] = 3.5;
        assert_eq!(a.max_abs_diff(&b), 0.5);
        assert!(!a.approx_eq(&b, 0.1));
        assert!(a.approx_eq(&b, 0.2)); // 0.5 ≤ 0.2 · 3.5
        b[0] = f64::NAN;
        assert!(a.max_abs_diff(&b).is_infinite());
        assert!(!a.approx_eq(&b, 1.0));
    }

    #[test]
    fn identity_and_cast() {
        let i = Matrix::<U3, U3, f64>::identity();
        assert_eq!(i.as_slice(), &[1., 0., 0., 0., 1., 0., 0., 0., 1.]);
        let f: Matrix<U3, U3, f32> = i.cast();
        assert_eq!(f[(1, 1)], 1.0f32);
    }
}
