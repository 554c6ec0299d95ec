//! The dense product kernel on row-major slices, shared by every matrix product.
//!
//! `C ← α·op(A)·op(B) (+ C)` where `op` is the identity or the transpose.
//! Transposes are folded into the loop order instead of being copied, and the
//! innermost loop always runs over contiguous memory so LLVM vectorizes it.

use crate::Scalar;

/// Whether an operand is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// As stored.
    N,
    /// Transposed.
    T,
}

/// `c ← alpha·op(a)·op(b) + (c if accumulate else 0)` where `op(a)` is m×k,
/// `op(b)` is k×n and `c` is m×n, all row-major.
#[allow(clippy::too_many_arguments)] // the BLAS signature, kept recognisable
pub(crate) fn gemm<T: Scalar>(
    (m, n, k): (usize, usize, usize),
    alpha: T,
    a: &[T],
    op_a: Op,
    b: &[T],
    op_b: Op,
    accumulate: bool,
    c: &mut [T],
) {
    debug_assert_eq!((a.len(), b.len(), c.len()), (m * k, k * n, m * n));
    if !accumulate {
        c.fill(T::ZERO);
    }
    match (op_a, op_b) {
        (Op::N, Op::N) => {
            for (a_i, c_i) in a.chunks_exact(k).zip(c.chunks_exact_mut(n)) {
                for (&a_ip, b_p) in a_i.iter().zip(b.chunks_exact(n)) {
                    axpy(alpha * a_ip, b_p, c_i);
                }
            }
        }
        (Op::T, Op::N) => {
            // a is k×m: row p of a scales row p of b into every row i of c.
            for (a_p, b_p) in a.chunks_exact(m).zip(b.chunks_exact(n)) {
                for (&a_pi, c_i) in a_p.iter().zip(c.chunks_exact_mut(n)) {
                    axpy(alpha * a_pi, b_p, c_i);
                }
            }
        }
        (Op::N, Op::T) => {
            // b is n×k: c[i, j] is the dot product of two contiguous rows.
            for (a_i, c_i) in a.chunks_exact(k).zip(c.chunks_exact_mut(n)) {
                for (c_ij, b_j) in c_i.iter_mut().zip(b.chunks_exact(k)) {
                    *c_ij += alpha * dot(a_i, b_j);
                }
            }
        }
        (Op::T, Op::T) => {
            for i in 0..m {
                for j in 0..n {
                    let mut s = T::ZERO;
                    for p in 0..k {
                        s += a[p * m + i] * b[j * k + p];
                    }
                    c[i * n + j] += alpha * s;
                }
            }
        }
    }
}

/// `y ← y + alpha·x`.
#[inline(always)]
pub(crate) fn axpy<T: Scalar>(alpha: T, x: &[T], y: &mut [T]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += alpha * x;
    }
}

/// `Σ xᵢ yᵢ`.
#[inline(always)]
pub(crate) fn dot<T: Scalar>(x: &[T], y: &[T]) -> T {
    x.iter().zip(y).fold(T::ZERO, |s, (&x, &y)| s + x * y)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook triple loop over explicit indices.
    fn reference(m: usize, n: usize, k: usize, a: &[f64], ta: Op, b: &[f64], tb: Op) -> Vec<f64> {
        let at = |i: usize, p: usize| if ta == Op::N { a[i * k + p] } else { a[p * m + i] };
        let bt = |p: usize, j: usize| if tb == Op::N { b[p * n + j] } else { b[j * k + p] };
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
            }
        }
        c
    }

    #[test]
    fn every_transpose_combination_matches_the_definition() {
        let (m, n, k) = (3, 5, 4);
        let a: Vec<f64> = (0..m * k).map(|x| (x as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..k * n).map(|x| (x as f64 * 0.91).cos()).collect();
        for ta in [Op::N, Op::T] {
            for tb in [Op::N, Op::T] {
                let want = reference(m, n, k, &a, ta, &b, tb);
                let mut c = vec![1.0; m * n];
                gemm((m, n, k), 2.0, &a, ta, &b, tb, true, &mut c);
                for (c, w) in c.iter().zip(&want) {
                    assert!((c - (1.0 + 2.0 * w)).abs() < 1e-12, "{ta:?}{tb:?}");
                }
            }
        }
    }
}
