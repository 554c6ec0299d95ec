//! [`Values`]: what matrices and rank-3/4 tensors share as params — their
//! elements in one row-major slice, a zero value, a shape in dim names and a
//! default initialization — so that gradient checks, initialization and the
//! code `net!` generates treat a param of any rank alike.

use crate::init::Init;
use crate::{Dim, Matrix, Scalar, Tensor3, Tensor4};

/// A value held as one row-major slice of `T`: a [`Matrix`], a [`Tensor3`]
/// or a [`Tensor4`].
///
/// ```
/// use shapegrad::values::Values; use shapegrad::prelude::*;
/// let t = <Tensor3<U2, U3, U3> as Values<f32>>::zeros();
/// assert_eq!(t.as_slice().len(), 18);
/// assert_eq!(<Tensor3<U2, U3, U3> as Values<f32>>::shape_name(), "[2×3×3]");
/// ```
pub trait Values<T: Scalar>: Clone {
    /// Every element zero.
    fn zeros() -> Self;
    /// Unspecified (but initialized) elements, for a caller that overwrites
    /// every one: [`Matrix::for_overwrite`] for a matrix, zeros otherwise.
    fn for_overwrite() -> Self {
        Self::zeros()
    }
    /// The elements, row-major.
    fn as_slice(&self) -> &[T];
    /// The elements, row-major, mutably.
    fn as_mut_slice(&mut self) -> &mut [T];
    /// The shape in the dims' names: `[H×D]`, `[F×C×KH×KW]`.
    fn shape_name() -> String;
    /// The default initial value of a param of this shape (see [`Init::param`]).
    fn init(init: &mut Init) -> Self;
}

impl<R: Dim, C: Dim, T: Scalar> Values<T> for Matrix<R, C, T> {
    fn zeros() -> Self {
        Matrix::zeros()
    }
    #[inline]
    fn for_overwrite() -> Self {
        Matrix::for_overwrite()
    }
    fn as_slice(&self) -> &[T] {
        Matrix::as_slice(self)
    }
    fn as_mut_slice(&mut self) -> &mut [T] {
        Matrix::as_mut_slice(self)
    }
    fn shape_name() -> String {
        Matrix::<R, C, T>::shape_name()
    }
    /// Glorot uniform for a matrix, zeros for a column (a bias).
    fn init(init: &mut Init) -> Self {
        if C::SIZE == 1 { Matrix::zeros() } else { init.glorot() }
    }
}

impl<A: Dim, B: Dim, C: Dim, T: Scalar> Values<T> for Tensor3<A, B, C, T> {
    fn zeros() -> Self {
        Tensor3::zeros()
    }
    fn as_slice(&self) -> &[T] {
        Tensor3::as_slice(self)
    }
    fn as_mut_slice(&mut self) -> &mut [T] {
        Tensor3::as_mut_slice(self)
    }
    fn shape_name() -> String {
        Tensor3::<A, B, C, T>::shape_name()
    }
    /// Zeros, as for a bias.
    fn init(_: &mut Init) -> Self {
        Tensor3::zeros()
    }
}

impl<A: Dim, B: Dim, C: Dim, D: Dim, T: Scalar> Values<T> for Tensor4<A, B, C, D, T> {
    fn zeros() -> Self {
        Tensor4::zeros()
    }
    fn as_slice(&self) -> &[T] {
        Tensor4::as_slice(self)
    }
    fn as_mut_slice(&mut self) -> &mut [T] {
        Tensor4::as_mut_slice(self)
    }
    fn shape_name() -> String {
        Tensor4::<A, B, C, D, T>::shape_name()
    }
    /// Convolution kernels `[F, C, KH, KW]`: Glorot uniform with
    /// fan_in = C·KH·KW and fan_out = F·KH·KW, as PyTorch counts them.
    fn init(init: &mut Init) -> Self {
        let field = C::SIZE * D::SIZE;
        let a = (6.0 / ((B::SIZE + A::SIZE) * field) as f64).sqrt();
        let mut t = Tensor4::zeros();
        init.fill_uniform(t.as_mut_slice(), -a, a);
        t
    }
}
