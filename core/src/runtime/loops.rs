//! Products on row-major slices, described once (`Product`) and computed
//! by plain loops for any size and element type (`gemm_loops`), with the
//! `axpy` and `dot` they are made of. `kernel` chooses between these and the
//! AVX2 code in `simd`; both build on this module, which uses neither.
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

/// One matrix product, `c ← alpha·op(a)·op(b) (+ c when accumulating)`,
/// where `op(a)` is m×k, `op(b)` is k×n and `c` is m×n, all row-major.
#[derive(Clone, Copy)]
pub(crate) struct Product<'a, T> {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub alpha: T,
    pub a: &'a [T],
    pub op_a: Op,
    pub b: &'a [T],
    pub op_b: Op,
    pub accumulate: bool,
}

/// The plain loops of a product, for any size and element type.
// `#[inline]`, not `always`: forced into every product of a net, these
// loops (dead in the AVX2 copy of an f32 net, whose products take `small`
// or the packed kernel) doubled the optimizer's work: a transformer block's
// release rebuild took 10.2 s with them forced, 4.1 s without. The
// inliner still inlines them where the sizes it sees make them small.
#[inline]
pub(crate) fn gemm_loops<T: Scalar>(p: Product<'_, T>, c: &mut [T]) {
    let Product { m, n, k, alpha, a, op_a, b, op_b, accumulate } = p;
    debug_assert_eq!((a.len(), b.len(), c.len()), (m * k, k * n, m * n));
    // Each case runs its innermost loop over contiguous memory of useful
    // length: a matrix·vector product is a dot product per row, an outer
    // product an axpy per row. The dot and outer forms write `c` directly
    // when not accumulating; the others start from zero.
    if (op_a, op_b, n) == (Op::N, Op::N, 1) {
        for (a_i, c_i) in a.chunks_exact(k).zip(c.iter_mut()) {
            let d = alpha * dot(a_i, b);
            *c_i = if accumulate { *c_i + d } else { d };
        }
        return;
    }
    if (op_a, op_b, k, accumulate) == (Op::N, Op::T, 1, false) {
        for (&a_i, c_i) in a.iter().zip(c.chunks_exact_mut(n)) {
            let s = alpha * a_i;
            for (c_ij, &b_j) in c_i.iter_mut().zip(b) {
                *c_ij = s * b_j;
            }
        }
        return;
    }
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
        (Op::T, Op::N) if n == 1 => {
            // c = Aᵀb: row p of A scaled by b[p], summed.
            for (a_p, &b_p) in a.chunks_exact(m).zip(b) {
                axpy(alpha * b_p, a_p, c);
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
        (Op::N, Op::T) if k == 1 => {
            // An outer product: b (n×1) is one contiguous row.
            for (&a_i, c_i) in a.iter().zip(c.chunks_exact_mut(n)) {
                axpy(alpha * a_i, b, c_i);
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

/// `Σ xᵢ yᵢ`, in eight independent partial sums so the loop vectorizes
/// (a single running sum is a chain the compiler may not reorder).
#[inline(always)]
pub(crate) fn dot<T: Scalar>(x: &[T], y: &[T]) -> T {
    const LANES: usize = 8;
    let mut acc = [T::ZERO; LANES];
    let (xs, ys) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    let (xr, yr) = (xs.remainder(), ys.remainder());
    for (a, b) in xs.zip(ys) {
        for l in 0..LANES {
            acc[l] += a[l] * b[l];
        }
    }
    let mut total = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (&a, &b) in xr.iter().zip(yr) {
        total += a * b;
    }
    total
}
