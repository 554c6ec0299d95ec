//! Compile-time shape rules of the operators, as traits whose only purpose is
//! a readable error.
//!
//! Each rule is a trait implemented for `()` exactly when the shapes fit, so a
//! mismatch fails *that* bound and rustc prints its message, which names the
//! operation and the dims in the user's names. Each trait also has a decoy
//! impl for a type that is never a dimension: with two candidate impls rustc
//! cannot infer one operand's shape from the other before the operands are
//! known, so a mismatch is reported by the rule rather than as a type mismatch.

use crate::Dim;

/// A type that is never a dimension (see the module docs).
#[doc(hidden)]
pub enum NotADim {}

/// `[R×K] · [K2×C]` is defined only when `K2` is `K`.
#[diagnostic::on_unimplemented(
    message = "cannot multiply a [{R}×{K}] matrix by a [{K2}×{C}] matrix: inner dimensions {K} and {K2} differ",
    label = "inner dimensions {K} and {K2} differ",
    note = "`*` is the matrix product: A·B needs as many columns in A as rows in B",
    note = "the elementwise product [{R}×{K}] ⊙ [{K2}×{C}] is `a.hadamard(&b)`, when the two shapes are equal",
    note = "`a.t() * b` would multiply [{K}×{R}] by [{K2}×{C}]: where those inner dims agree, write it (or `a.t_matmul(&b)`), or, when A is itself a `.t()`, drop that `.t()`"
)]
pub trait MatMulShape<R, K, K2, C> {
    /// The product's shape, `[R×C]`: the `*` operator's output is spelled
    /// through it, so a product that fails this rule has no output type to
    /// mismatch and rustc reports the rule alone.
    type Rows: Dim;
    /// See `Rows`.
    type Cols: Dim;

    /// The product `[R×C]` as `[Rows×Cols]` (the same type once the rule holds).
    #[doc(hidden)]
    fn product<T: crate::Scalar>(m: crate::Matrix<R, C, T>) -> crate::Matrix<Self::Rows, Self::Cols, T>
    where
        R: Dim,
        C: Dim;
}

#[diagnostic::do_not_recommend]
impl<R: Dim, K, C: Dim> MatMulShape<R, K, K, C> for () {
    type Rows = R;
    type Cols = C;

    #[inline(always)]
    fn product<T: crate::Scalar>(m: crate::Matrix<R, C, T>) -> crate::Matrix<R, C, T> {
        m
    }
}
#[diagnostic::do_not_recommend]
impl<R: Dim, K: Dim, C: Dim> MatMulShape<R, K, NotADim, C> for () {
    type Rows = R;
    type Cols = C;

    #[inline(always)]
    fn product<T: crate::Scalar>(m: crate::Matrix<R, C, T>) -> crate::Matrix<R, C, T> {
        m
    }
}

macro_rules! elementwise_rule {
    ($(#[$doc:meta])* $name:ident, $message:literal) => {
        $(#[$doc])*
        #[diagnostic::on_unimplemented(
            message = $message,
            label = "[{R}×{C}] and [{R2}×{C2}] differ",
            note = "elementwise operations need operands of the same shape, dimension by dimension"
        )]
        pub trait $name<R, C, R2, C2> {}

        #[diagnostic::do_not_recommend]
        impl<R, C> $name<R, C, R, C> for () {}
        #[diagnostic::do_not_recommend]
        impl<R: Dim, C: Dim> $name<R, C, NotADim, NotADim> for () {}
    };
}

elementwise_rule!(
    /// `[R×C] + [R2×C2]` is defined only when the shapes are equal.
    AddShape,
    "cannot add a [{R}×{C}] matrix and a [{R2}×{C2}] matrix: shapes differ"
);
elementwise_rule!(
    /// `[R×C] − [R2×C2]` is defined only when the shapes are equal.
    SubShape,
    "cannot subtract a [{R2}×{C2}] matrix from a [{R}×{C}] matrix: shapes differ"
);
elementwise_rule!(
    /// `[R×C] ⊙ [R2×C2]` is defined only when the shapes are equal.
    HadamardShape,
    "cannot multiply a [{R}×{C}] matrix and a [{R2}×{C2}] matrix elementwise: shapes differ"
);

/// `[R×C] + [R2]` (a bias added to every column) needs `R2` to be `R`.
#[diagnostic::on_unimplemented(
    message = "cannot add a [{R2}] bias to a [{R}×{C}] matrix: the bias needs {R} rows",
    label = "bias of {R2} rows added to {R} rows",
    note = "a bias is added to every column, so it has one entry per row"
)]
pub trait BiasShape<R, C, R2> {}

#[diagnostic::do_not_recommend]
impl<R, C> BiasShape<R, C, R> for () {}
#[diagnostic::do_not_recommend]
impl<R: Dim, C> BiasShape<R, C, NotADim> for () {}

/// `dot([N], [N2])` needs `N2` to be `N`.
#[diagnostic::on_unimplemented(
    message = "cannot take the dot product of a [{N}] vector and a [{N2}] vector: {N} and {N2} differ",
    label = "{N} and {N2} differ"
)]
pub trait DotShape<N, N2> {}

#[diagnostic::do_not_recommend]
impl<N> DotShape<N, N> for () {}
#[diagnostic::do_not_recommend]
impl<N: Dim> DotShape<N, NotADim> for () {}

/// Both sides of a product have one element type: `f32` with `f32`, `f64`
/// with `f64` (mixing them is a slip: convert one side with `cast`).
#[diagnostic::on_unimplemented(
    message = "cannot multiply a matrix of {Self} by a matrix of {T2}: the element types differ",
    label = "{Self} · {T2}",
    note = "both sides of a product have one element type; convert one of them: `b.cast::<{Self}>()` or `a.cast::<{T2}>()`"
)]
pub trait SameScalar<T2>: Sized {
    /// `m`, as a matrix of `Self` (it is one).
    fn same<R: Dim, C: Dim>(m: &crate::Matrix<R, C, T2>) -> &crate::Matrix<R, C, Self>
    where
        T2: crate::Scalar,
        Self: crate::Scalar;
}

impl<T: crate::Scalar> SameScalar<T> for T {
    #[inline(always)]
    fn same<R: Dim, C: Dim>(m: &crate::Matrix<R, C, T>) -> &crate::Matrix<R, C, T> {
        m
    }
}
