//! The dense product kernel shared by every matrix product: it chooses, by
//! size and processor, between the plain loops (`loops`) and the AVX2/FMA
//! code (`simd`).

use crate::Scalar;
use crate::loops::{Product, gemm_loops};

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
/// loops compiled for AVX2/FMA, when the processor has them, in a function
/// of their own: its slice arguments tell the compiler that the output does
/// not overlap the operands, which it cannot know of two boxed matrices'
/// buffers once the loops are inlined (it then leaves them scalar). Smaller
/// products are inlined (a small matrix is inline, so nothing is hidden).
/// Measured (tied autoencoder's `grad_into`, one core): at 1024, a 16×32 one
/// took 516 ns; at 512, 285 ns; at 256, 16×16 went from 181 to 195 ns.
const WIDE_LOOPS_MIN_FLOPS: usize = 512;

/// Computes `p` into `c`, choosing the kernel by size and processor.
// Inlined into every call site only when optimized: unoptimized, each
// inlined copy keeps stack slots of its own, and a net with a hundred
// products (a transformer block) needed more than a test thread's 2 MiB.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn gemm<T: Scalar>(p: Product<'_, T>, c: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if p.m * p.n * p.k >= WIDE_LOOPS_MIN_FLOPS
        && crate::simd::avx2_available()
        && let Some((p32, c32)) = as_f32(p, c)
    {
        if p.m * p.n * p.k >= PACKED_MIN_FLOPS && p.m > 1 && p.n > 1 && p.k >= PACKED_MIN_K {
            crate::simd::sgemm(p32, c32);
        } else {
            // SAFETY: AVX2 and FMA are present.
            unsafe { crate::simd::loops(p32, c32) };
        }
        return;
    }
    gemm_loops(p, c);
}

/// Computes `p` into `c` in the code of the copy that `isa` says it runs
/// in: given [`Avx2`](crate::isa::Avx2), a small `f32` product runs
/// fused multiply-adds inlined into that copy (the plain loops, which the
/// compiler may neither fuse nor reorder, end each dot product in a chain
/// of shuffles); anything else as [`gemm`] chooses.
// Inlined into every call site only when optimized: unoptimized, each
// inlined copy keeps stack slots of its own, and a net with a hundred
// products (a transformer block) needed more than a test thread's 2 MiB.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) fn gemm_on<T: Scalar, I: crate::isa::Isa>(isa: I, p: Product<'_, T>, c: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    if let Some(_proof) = isa.avx2()
        && p.m * p.n * p.k < WIDE_LOOPS_MIN_FLOPS
        && let Some((p32, c32)) = as_f32(p, c)
    {
        // SAFETY: the token proves AVX2 and FMA.
        unsafe { crate::simd::small(p32, c32) };
        return;
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = isa;
    gemm(p, c);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loops::Op;

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

    /// The products the generated methods' AVX2 copy inlines (below
    /// `WIDE_LOOPS_MIN_FLOPS`, in `f32`): matrix·vector and vector·matrix
    /// with every transpose, remainders of the 4-row blocks and the 8-wide
    /// steps, and the plain loops' other shapes, written and accumulated.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn small_f32_products_on_the_avx2_token_match_the_definition() {
        // Under CI (whose machines have AVX2 and FMA) a missing token fails
        // rather than skipping the check unseen. Miri has neither: skipped.
        let Some(isa) = crate::isa::Avx2::detect() else {
            assert!(cfg!(miri) || std::env::var_os("CI").is_none(), "no AVX2 and FMA under CI");
            return;
        };
        let shapes = [(4, 1, 8), (7, 1, 19), (16, 1, 8), (1, 9, 8), (1, 13, 5), (8, 1, 3), (9, 1, 1)];
        let more =
            [(4, 8, 1), (5, 19, 1), (1, 9, 1), (5, 3, 7), (3, 16, 4), (1, 1, 24), (12, 1, 40), (1, 20, 12)];
        for (m, n, k) in shapes.into_iter().chain(more) {
            assert!(m * n * k < WIDE_LOOPS_MIN_FLOPS);
            let a: Vec<f32> = (0..m * k).map(|x| (x as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..k * n).map(|x| (x as f32 * 0.91).cos()).collect();
            let wide = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
            for (ta, tb, accumulate) in [Op::N, Op::T]
                .into_iter()
                .flat_map(|ta| [(ta, Op::N), (ta, Op::T)])
                .flat_map(|(ta, tb)| [(ta, tb, false), (ta, tb, true)])
            {
                let want = reference(m, n, k, &wide(&a), ta, &wide(&b), tb);
                let mut c = vec![1.0f32; m * n];
                let product = Product { m, n, k, alpha: 2.0, a: &a, op_a: ta, b: &b, op_b: tb, accumulate };
                gemm_on(isa, product, &mut c);
                let base = if accumulate { 1.0 } else { 0.0 };
                for (c, w) in c.iter().zip(&want) {
                    let w = base + 2.0 * w;
                    assert!(
                        (f64::from(*c) - w).abs() < 1e-5 * (1.0 + w.abs()),
                        "{ta:?}{tb:?} {m}×{n}×{k} {c} {w}"
                    );
                }
            }
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
