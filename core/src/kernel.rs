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

/// Products with fewer multiply-adds than this run in the plain loops,
/// which inline with their sizes known at compile time; larger `f32`
/// products go to the packed AVX2/FMA kernel when the processor has it.
/// Measured (`cargo bench --bench workloads`): at 16³ the 64×256
/// autoencoder's outer products slow down (7.9 → 10.4 µs); at 64³ the
/// 784-128-10 step's 10-row products do (349 → 363 µs).
const PACKED_MIN_FLOPS: usize = 32 * 32 * 32;

/// The packed kernel amortizes loading and storing a tile of `C` over `k`;
/// below this inner dimension the plain loops, which write once, are better.
const PACKED_MIN_K: usize = 8;

/// `f32` products with at least this many multiply-adds that are too thin
/// for the packed kernel (a matrix·vector or outer product) run the plain
/// loops compiled for AVX2/FMA, when the processor has them.
const WIDE_LOOPS_MIN_FLOPS: usize = 1024;

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

/// Computes `p` into `c`, choosing the kernel by size and processor.
#[inline(always)]
pub(crate) fn gemm<T: Scalar>(p: Product<'_, T>, c: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if p.m * p.n * p.k >= WIDE_LOOPS_MIN_FLOPS && crate::simd::avx2_available() {
        if let Some((p32, c32)) = as_f32(p, c) {
            if p.m * p.n * p.k >= PACKED_MIN_FLOPS && p.m > 1 && p.n > 1 && p.k >= PACKED_MIN_K {
                crate::simd::sgemm(p32, c32);
            } else {
                // SAFETY: AVX2 and FMA are present.
                unsafe { crate::simd::loops(p32, c32) };
            }
            return;
        }
    }
    gemm_loops(p, c);
}

/// The product and `c` in `f32`, when `T` is `f32`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn as_f32<'a, T: Scalar>(p: Product<'a, T>, c: &'a mut [T]) -> Option<(Product<'a, f32>, &'a mut [f32])> {
    if T::NAME != "f32" {
        return None;
    }
    // SAFETY: `T` is `f32` (the sealed `Scalar` has two implementors, told
    // apart by `NAME`), so the casts change nothing but the static type.
    let (a, b, c) = unsafe {
        (
            core::slice::from_raw_parts(p.a.as_ptr().cast::<f32>(), p.a.len()),
            core::slice::from_raw_parts(p.b.as_ptr().cast::<f32>(), p.b.len()),
            core::slice::from_raw_parts_mut(c.as_mut_ptr().cast::<f32>(), c.len()),
        )
    };
    let alpha = p.alpha.to_f64() as f32;
    Some((
        Product { m: p.m, n: p.n, k: p.k, alpha, a, op_a: p.op_a, b, op_b: p.op_b, accumulate: p.accumulate },
        c,
    ))
}

/// The plain loops of [`gemm`], for any size and element type.
#[inline(always)]
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
        for (m, n, k) in [(3, 5, 4), (3, 1, 4), (4, 3, 1), (1, 1, 5), (1, 4, 1)] {
            check(m, n, k);
        }
    }

    fn check(m: usize, n: usize, k: usize) {
        let a: Vec<f64> = (0..m * k).map(|x| (x as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..k * n).map(|x| (x as f64 * 0.91).cos()).collect();
        for ta in [Op::N, Op::T] {
            for tb in [Op::N, Op::T] {
                let want = reference(m, n, k, &a, ta, &b, tb);
                let mut c = vec![1.0; m * n];
                let product =
                    Product { m, n, k, alpha: 2.0, a: &a, op_a: ta, b: &b, op_b: tb, accumulate: true };
                gemm(product, &mut c);
                for (c, w) in c.iter().zip(&want) {
                    assert!((c - (1.0 + 2.0 * w)).abs() < 1e-12, "{ta:?}{tb:?} {m}×{n}×{k}");
                }
            }
        }
    }
}
