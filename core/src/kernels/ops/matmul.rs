//! Matrix products: `A·B`, `Aᵀ·B`, `A·Bᵀ`, the outer product, and the rule
//! `dA = dY·Bᵀ`, `dB = Aᵀ·dY`; and the transpose the products read, whose
//! adjoint is `dYᵀ`.

use core::ops::Mul;

use crate::isa::{Isa, Portable};
use crate::kernel::gemm_on;
use crate::loops::{Op, Product};
use crate::shape::{MatMulShape, SameScalar};
use crate::{Dim, Matrix, Scalar, Vector};

impl<R: Dim, K: Dim, T: Scalar> Matrix<R, K, T> {
    /// The matrix product `self · rhs`: `[R×K] · [K×C] → [R×C]`.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let a = Matrix::<U2, U3>::from_slice(&[1., 2., 3., 4., 5., 6.]).unwrap();
    /// let x = Vector::<U3>::from_slice(&[1., 0., -1.]).unwrap();
    /// assert_eq!(a.matmul(&x).as_slice(), &[-2., -2.]);
    /// assert_eq!((&a * &x).as_slice(), &[-2., -2.]);
    /// ```
    ///
    /// A product whose inner dimensions differ does not compile:
    ///
    /// ```compile_fail
    /// use shapegrad::prelude::*;
    /// let a = Matrix::<U2, U3>::zeros();
    /// let _ = a.matmul(&a); // [2×3]·[2×3]
    /// ```
    pub fn matmul<K2: Dim, C: Dim>(&self, rhs: &Matrix<K2, C, T>) -> Matrix<R, C, T>
    where
        (): MatMulShape<R, K, K2, C>,
    {
        let mut out = Matrix::zeros();
        product(Portable, &mut out, (self.as_slice(), Op::N), (rhs.as_slice(), Op::N), K::SIZE, false);
        out
    }

    /// `selfᵀ · rhs` without forming the transpose: `[R×K]ᵀ · [R×C] → [K×C]`.
    pub fn t_matmul<K2: Dim, C: Dim>(&self, rhs: &Matrix<K2, C, T>) -> Matrix<K, C, T>
    where
        (): MatMulShape<K, R, K2, C>,
    {
        let mut out = Matrix::zeros();
        product(Portable, &mut out, (self.as_slice(), Op::T), (rhs.as_slice(), Op::N), R::SIZE, false);
        out
    }

    /// `self · rhsᵀ` without forming the transpose: `[R×K] · [C×K]ᵀ → [R×C]`.
    pub fn matmul_t<C: Dim, K2: Dim>(&self, rhs: &Matrix<C, K2, T>) -> Matrix<R, C, T>
    where
        (): MatMulShape<R, K, K2, C>,
    {
        let mut out = Matrix::zeros();
        product(Portable, &mut out, (self.as_slice(), Op::N), (rhs.as_slice(), Op::T), K::SIZE, false);
        out
    }
}

impl<R: Dim, T: Scalar> Vector<R, T> {
    /// The outer product `self · rhsᵀ`: `[R] · [C]ᵀ → [R×C]`.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let u = Vector::<U2>::from_slice(&[1., 2.]).unwrap();
    /// let v = Vector::<U3>::from_slice(&[1., 0., -1.]).unwrap();
    /// assert_eq!(u.outer(&v).as_slice(), &[1., 0., -1., 2., 0., -2.]);
    /// ```
    pub fn outer<C: Dim>(&self, rhs: &Vector<C, T>) -> Matrix<R, C, T> {
        Matrix::from_fn(|i, j| self[i] * rhs[j])
    }
}

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// `self ← u vᵀ + s tᵀ`, a rank-2 update in one pass: each element is
    /// written once (two outer products one after the other write them all,
    /// then read and write them all again).
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let (u, v) = (Vector::<U2>::from_slice(&[1., 2.]).unwrap(), Vector::<U3>::from_slice(&[1., 0., -1.]).unwrap());
    /// let (s, t) = (Vector::<U2>::from_slice(&[0., 1.]).unwrap(), Vector::<U3>::from_slice(&[1., 1., 1.]).unwrap());
    /// let mut w = Matrix::<U2, U3>::zeros();
    /// w.set_outer_sum(&u, &v, &s, &t);
    /// assert_eq!(w, &u.outer(&v) + &s.outer(&t));
    /// ```
    #[inline]
    pub fn set_outer_sum(&mut self, u: &Vector<R, T>, v: &Vector<C, T>, s: &Vector<R, T>, t: &Vector<C, T>) {
        let (v, t) = (v.as_slice(), t.as_slice());
        let rows = self.as_mut_slice().chunks_exact_mut(C::SIZE);
        for ((row, &u_i), &s_i) in rows.zip(u.as_slice()).zip(s.as_slice()) {
            for ((w, &v_j), &t_j) in row.iter_mut().zip(v).zip(t) {
                *w = u_i * v_j + s_i * t_j;
            }
        }
    }
}

#[doc(hidden)]
impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// [`set_outer_sum`](Self::set_outer_sum) in the code of the copy `isa`
    /// names: with AVX2 and FMA, `u_i v_j + s_i t_j` in one multiply and one
    /// fused multiply-add.
    #[inline(always)]
    pub fn set_outer_sum_on(
        &mut self,
        isa: impl Isa,
        u: &Vector<R, T>,
        v: &Vector<C, T>,
        s: &Vector<R, T>,
        t: &Vector<C, T>,
    ) {
        if isa.avx2().is_none() {
            return self.set_outer_sum(u, v, s, t);
        }
        let (v, t) = (v.as_slice(), t.as_slice());
        let rows = self.as_mut_slice().chunks_exact_mut(C::SIZE);
        for ((row, &u_i), &s_i) in rows.zip(u.as_slice()).zip(s.as_slice()) {
            for ((w, &v_j), &t_j) in row.iter_mut().zip(v).zip(t) {
                *w = u_i.mul_add(v_j, s_i * t_j);
            }
        }
    }
}

/// `out ← op(a)·op(b) (+ out when accumulating)` with inner dimension `k`,
/// in the code of the copy `isa` names; the shapes were checked by the
/// caller's types.
#[inline(always)]
fn product<R: Dim, C: Dim, T: Scalar>(
    isa: impl Isa,
    out: &mut Matrix<R, C, T>,
    (a, op_a): (&[T], Op),
    (b, op_b): (&[T], Op),
    k: usize,
    accumulate: bool,
) {
    let p = Product { m: R::SIZE, n: C::SIZE, k, alpha: T::ONE, a, op_a, b, op_b, accumulate };
    gemm_on(isa, p, out.as_mut_slice());
}

/// The in-place products the generated code uses, each in two forms:
/// `set_matmul(a, b)` for users, and `set_matmul_on(isa, a, b)`, the same
/// in the code of the generated copy `isa` names (see
/// [`isa`](crate::isa)). Each overwrites `self` (`set_`) or adds to it
/// (`add_`), and allocates nothing.
macro_rules! in_place_products {
    ($($(#[$doc:meta])* $name:ident, $on:ident: [$a1:ident, $a2:ident] $op_a:ident, [$b1:ident, $b2:ident] $op_b:ident, $acc:literal;)*) => {
        impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {$(
            $(#[$doc])*
            #[inline]
            pub fn $name<K: Dim>(&mut self, a: &Matrix<$a1, $a2, T>, b: &Matrix<$b1, $b2, T>) {
                self.$on(Portable, a, b);
            }

            #[doc(hidden)]
            #[inline(always)]
            pub fn $on<K: Dim>(&mut self, isa: impl Isa, a: &Matrix<$a1, $a2, T>, b: &Matrix<$b1, $b2, T>) {
                product(isa, self, (a.as_slice(), Op::$op_a), (b.as_slice(), Op::$op_b), K::SIZE, $acc);
            }
        )*}
    };
}

in_place_products! {
    /// `self ← a·b`.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let a = Matrix::<U2, U1>::from_slice(&[1., 2.]).unwrap();
    /// let b = Matrix::<U1, U2>::from_slice(&[3., 4.]).unwrap();
    /// let mut out = Matrix::<U2, U2>::zeros();
    /// out.set_matmul(&a, &b);
    /// assert_eq!(out.as_slice(), &[3., 4., 6., 8.]);
    /// ```
    set_matmul, set_matmul_on: [R, K] N, [K, C] N, false;
    /// `self ← aᵀ·b`.
    set_t_matmul, set_t_matmul_on: [K, R] T, [K, C] N, false;
    /// `self ← a·bᵀ`.
    set_matmul_t, set_matmul_t_on: [R, K] N, [C, K] T, false;
    /// `self ← aᵀ·bᵀ`.
    set_t_matmul_t, set_t_matmul_t_on: [K, R] T, [C, K] T, false;
    /// `self ← self + a·b`: a sum of products without a buffer for each.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let (u, x) = (Vector::<U2>::from_slice(&[1., 2.]).unwrap(), Vector::<U3>::from_slice(&[1., 0., 1.]).unwrap());
    /// let mut out = u.outer(&x);
    /// out.add_matmul_t(&u, &x); // out = 2 u xᵀ
    /// assert_eq!(out.as_slice(), &[2., 0., 2., 4., 0., 4.]);
    /// ```
    add_matmul, add_matmul_on: [R, K] N, [K, C] N, true;
    /// `self ← self + aᵀ·b`.
    add_t_matmul, add_t_matmul_on: [K, R] T, [K, C] N, true;
    /// `self ← self + a·bᵀ`.
    add_matmul_t, add_matmul_t_on: [R, K] N, [C, K] T, true;
    /// `self ← self + aᵀ·bᵀ`.
    add_t_matmul_t, add_t_matmul_t_on: [K, R] T, [C, K] T, true;
}

/// The adjoints of `Y = A·B` given `dY`: `(dY·Bᵀ, Aᵀ·dY)`.
pub fn matmul_vjp<R: Dim, K: Dim, C: Dim, T: Scalar>(
    a: &Matrix<R, K, T>,
    b: &Matrix<K, C, T>,
    dy: &Matrix<R, C, T>,
) -> (Matrix<R, K, T>, Matrix<K, C, T>) {
    (dy.matmul_t(b), a.t_matmul(dy))
}

macro_rules! matmul_operator {
    ($($lhs:ty, $rhs:ty;)*) => {$(
        /// The matrix product, as in nalgebra: `[R×K] * [K×C] → [R×C]`.
        impl<'a, 'b, R: Dim, K: Dim, K2: Dim, C: Dim, T: Scalar + SameScalar<T2>, T2: Scalar> Mul<$rhs> for $lhs
        where
            (): MatMulShape<R, K, K2, C>,
        {
            // `[R×C]`, spelled through the rule (see `MatMulShape::Rows`).
            type Output = Matrix<<() as MatMulShape<R, K, K2, C>>::Rows, <() as MatMulShape<R, K, K2, C>>::Cols, T>;
            #[inline]
            fn mul(self, rhs: $rhs) -> Self::Output {
                <() as MatMulShape<R, K, K2, C>>::product(self.matmul(T::same(&rhs)))
            }
        }
    )*};
}

matmul_operator! {
    &'a Matrix<R, K, T>, &'b Matrix<K2, C, T2>;
    &'a Matrix<R, K, T>, Matrix<K2, C, T2>;
    Matrix<R, K, T>, &'b Matrix<K2, C, T2>;
    Matrix<R, K, T>, Matrix<K2, C, T2>;
}

impl<R: Dim, C: Dim, T: Scalar> Matrix<R, C, T> {
    /// The transpose `[R×C] → [C×R]`.
    ///
    /// ```
    /// use shapegrad::prelude::*;
    /// let a = Matrix::<U2, U3>::from_fn(|i, j| (3 * i + j) as f32);
    /// let at: Matrix<U3, U2> = a.t();
    /// assert_eq!(at[(2, 1)], a[(1, 2)]);
    /// ```
    pub fn t(&self) -> Matrix<C, R, T> {
        let mut out = Matrix::zeros();
        out.set_transpose(self);
        out
    }

    /// `self ← aᵀ`, in place.
    #[inline]
    pub fn set_transpose(&mut self, a: &Matrix<C, R, T>) {
        for (i, row) in a.rows().enumerate() {
            for (j, &x) in row.iter().enumerate() {
                self[(j, i)] = x;
            }
        }
    }
}

/// The adjoint of `Y = Aᵀ` given `dY`: `dYᵀ`.
pub fn transpose_vjp<R: Dim, C: Dim, T: Scalar>(dy: &Matrix<C, R, T>) -> Matrix<R, C, T> {
    dy.t()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_gradient, random, rng, weighted_sum};

    crate::test_dims! { R = 3; K = 4; C = 2; }

    #[test]
    fn products_match_the_definition() {
        let mut g = rng(1);
        let a = random::<R, K>(&mut g, -1.0, 1.0);
        let b = random::<K, C>(&mut g, -1.0, 1.0);
        let want = Matrix::<R, C, f64>::from_fn(|i, j| (0..4).map(|p| a[(i, p)] * b[(p, j)]).sum());
        assert!((&a * &b).approx_eq(&want, 1e-14));
        assert!(a.t().t_matmul(&b).approx_eq(&want, 1e-14));
        assert!(a.matmul_t(&b.t()).approx_eq(&want, 1e-14));
        assert!((a.clone() * b.clone()).approx_eq(&want, 1e-14));
    }

    #[test]
    fn vjp_matches_finite_differences() {
        for seed in 0..5 {
            let mut g = rng(seed);
            let a = random::<R, K>(&mut g, -2.0, 2.0);
            let b = random::<K, C>(&mut g, -2.0, 2.0);
            let dy = random::<R, C>(&mut g, -1.0, 1.0);
            let (da, db) = matmul_vjp(&a, &b, &dy);
            assert_gradient(&a, |a| weighted_sum(&dy, &(a * &b)), &da, 1e-8);
            assert_gradient(&b, |b| weighted_sum(&dy, &(&a * b)), &db, 1e-8);
        }
    }

    #[test]
    fn outer_product_vjp_is_two_matrix_vector_products() {
        // Y = u vᵀ ⇒ du = dY v, dv = dYᵀ u (the rule for A·B with K = 1).
        let mut g = rng(9);
        let u = random::<R, crate::One>(&mut g, -2.0, 2.0);
        let v = random::<C, crate::One>(&mut g, -2.0, 2.0);
        let dy = random::<R, C>(&mut g, -1.0, 1.0);
        assert_gradient(&u, |u| weighted_sum(&dy, &u.outer(&v)), &(&dy * &v), 1e-8);
        assert_gradient(&v, |v| weighted_sum(&dy, &u.outer(v)), &dy.t_matmul(&u), 1e-8);
    }

    #[test]
    fn transpose_vjp_matches_finite_differences() {
        let mut g = rng(2);
        let a = random::<R, C>(&mut g, -2.0, 2.0);
        let dy = random::<C, R>(&mut g, -1.0, 1.0);
        assert_gradient(&a, |a| weighted_sum(&dy, &a.t()), &transpose_vjp(&dy), 1e-8);
        assert_eq!(a.t().t(), a);
    }
}
