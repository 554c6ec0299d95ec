//! The two matrix·vector products, in `f32` with AVX2 and FMA: `c ← α·A·b`
//! (a dot product per row of `A`) and `c ← α·Aᵀ·b` (rows of `A` scaled and
//! summed). The plain loops leave both far from the hardware: LLVM turns
//! the dot product's eight partial sums into 128-bit shuffles, and neither
//! loop fuses the multiply and the add. Here each keeps its sums in
//! registers across the whole inner dimension: four rows of `A` share each
//! load of `b` (A·b), or eight registers of `c` take each row of `A`
//! (Aᵀ·b). Measured on the 64×256 tied autoencoder, whose three products
//! are these: see `kernel`.
//!
//! The functions are `#[inline(always)]` without `#[target_feature]`, so
//! that they inline into any caller: into `loops` (compiled for AVX2 and
//! FMA, for products of any size) and into the generated methods' AVX2
//! copy, where the sizes are constants (a `#[target_feature]` function is
//! only inlined when the compiler's cost estimate allows, which these
//! loops exceed). Only code compiled for AVX2 and FMA may call them.

use core::arch::x86_64::*;

/// `c[i] ← α·(row i of a)·b (+ c[i])`, `a` being `c.len()` rows of `b.len()`.
///
/// # Safety
/// The processor must have AVX2 and FMA.
#[inline(always)]
pub(super) unsafe fn rows_dot(alpha: f32, a: &[f32], b: &[f32], c: &mut [f32], accumulate: bool) {
    let k = b.len();
    assert_eq!(a.len(), c.len() * k);
    let k8 = k - k % 8;
    let mut rows = a.chunks_exact(4 * k.max(1));
    let mut i = 0;
    // SAFETY: AVX2 and FMA are present (the caller's promise); every load
    // is at p + 8 ≤ k8 ≤ k inside `b` and inside its row of `a`.
    unsafe {
        for block in rows.by_ref() {
            let mut acc = [_mm256_setzero_ps(); 4];
            let mut p = 0;
            // The first step multiplies (one cycle less on the dependency
            // chain than a fused multiply-add onto zero).
            if k8 > 0 {
                let x = _mm256_loadu_ps(b.as_ptr());
                for (r, acc) in acc.iter_mut().enumerate() {
                    *acc = _mm256_mul_ps(_mm256_loadu_ps(block.as_ptr().add(r * k)), x);
                }
                p = 8;
            }
            while p < k8 {
                let x = _mm256_loadu_ps(b.as_ptr().add(p));
                for (r, acc) in acc.iter_mut().enumerate() {
                    *acc = _mm256_fmadd_ps(_mm256_loadu_ps(block.as_ptr().add(r * k + p)), x, *acc);
                }
                p += 8;
            }
            let sums = hsum4(acc);
            for (r, s) in sums.into_iter().enumerate() {
                let row = &block[r * k..(r + 1) * k];
                let tail: f32 = row[k8..].iter().zip(&b[k8..]).map(|(x, y)| x * y).sum();
                let v = alpha * (s + tail);
                c[i + r] = if accumulate { c[i + r] + v } else { v };
            }
            i += 4;
        }
        for (row, c_i) in rows.remainder().chunks_exact(k.max(1)).zip(&mut c[i..]) {
            let mut acc = _mm256_setzero_ps();
            let mut p = 0;
            while p < k8 {
                let x = _mm256_loadu_ps(b.as_ptr().add(p));
                acc = _mm256_fmadd_ps(_mm256_loadu_ps(row.as_ptr().add(p)), x, acc);
                p += 8;
            }
            let tail: f32 = row[k8..].iter().zip(&b[k8..]).map(|(x, y)| x * y).sum();
            let v = alpha * (hsum4([acc, acc, acc, acc])[0] + tail);
            *c_i = if accumulate { *c_i + v } else { v };
        }
    }
}

/// The sums of the eight lanes of each of four registers.
///
/// # Safety
/// The processor must have AVX2.
#[inline(always)]
unsafe fn hsum4(v: [__m256; 4]) -> [f32; 4] {
    let mut out = [0.0f32; 4];
    // SAFETY: AVX2 is present (the caller's promise); `out` holds four floats.
    unsafe {
        // Unpacks and adds rather than `hadd` (two shuffles and an add per
        // instruction, slow on AMD's cores): v0 and v1 interleaved and
        // folded, v2 and v3 likewise, then those two folded, then the
        // 128-bit halves.
        let ab = _mm256_add_ps(_mm256_unpacklo_ps(v[0], v[1]), _mm256_unpackhi_ps(v[0], v[1]));
        let cd = _mm256_add_ps(_mm256_unpacklo_ps(v[2], v[3]), _mm256_unpackhi_ps(v[2], v[3]));
        // Lanes (a, b, a, b | …) and (c, d, c, d | …) → (a, b, c, d | …) twice.
        let lo4 = _mm256_shuffle_ps::<0b01_00_01_00>(ab, cd);
        let hi4 = _mm256_shuffle_ps::<0b11_10_11_10>(ab, cd);
        let s = _mm256_add_ps(lo4, hi4);
        let lo = _mm256_castps256_ps128(s);
        let hi = _mm256_extractf128_ps::<1>(s);
        _mm_storeu_ps(out.as_mut_ptr(), _mm_add_ps(lo, hi));
    }
    out
}

/// `c ← α·aᵀ·b (+ c)`, `a` being `b.len()` rows of `c.len()`.
///
/// # Safety
/// The processor must have AVX2 and FMA.
#[inline(always)]
pub(super) unsafe fn rows_axpy(alpha: f32, a: &[f32], b: &[f32], c: &mut [f32], accumulate: bool) {
    const W: usize = 64;
    let m = c.len();
    assert_eq!(a.len(), b.len() * m);
    let mut j = 0;
    // SAFETY: AVX2 and FMA are present (the caller's promise); each block
    // of columns ends at j + W ≤ m or j + 8 ≤ m, inside every row of `a`
    // and inside `c`.
    unsafe {
        // Columns in blocks of 64 (eight registers), then of 8, then one by one.
        while j + W <= m {
            let mut acc = [_mm256_setzero_ps(); W / 8];
            for (p, &b_p) in b.iter().enumerate() {
                let s = _mm256_set1_ps(b_p);
                let row = a.as_ptr().add(p * m + j);
                for (r, acc) in acc.iter_mut().enumerate() {
                    *acc = _mm256_fmadd_ps(_mm256_loadu_ps(row.add(8 * r)), s, *acc);
                }
            }
            store(alpha, &acc, c.as_mut_ptr().add(j), accumulate);
            j += W;
        }
        while j + 8 <= m {
            // Two chains of fused multiply-adds (even and odd rows), added
            // at the end: half the dependency chain of one.
            let mut acc = [_mm256_setzero_ps(); 2];
            for (p, &b_p) in b.iter().enumerate() {
                let term = _mm256_loadu_ps(a.as_ptr().add(p * m + j));
                acc[p % 2] = if p < 2 {
                    _mm256_mul_ps(term, _mm256_set1_ps(b_p))
                } else {
                    _mm256_fmadd_ps(term, _mm256_set1_ps(b_p), acc[p % 2])
                };
            }
            store(alpha, &[_mm256_add_ps(acc[0], acc[1])], c.as_mut_ptr().add(j), accumulate);
            j += 8;
        }
    }
    for (jj, c_j) in c.iter_mut().enumerate().skip(j) {
        let s: f32 = b.iter().enumerate().map(|(p, &b_p)| a[p * m + jj] * b_p).sum();
        *c_j = if accumulate { *c_j + alpha * s } else { alpha * s };
    }
}

/// The outer product `c ← α·a·bᵀ (+ c)`, `c` being `a.len()` rows of
/// `b.len()`: each row `α·aᵢ·b` in 8-wide multiplies (or fused
/// multiply-adds onto `c`). The plain loops leave LLVM to vectorize across
/// rows, which for small sizes it does with blends.
///
/// # Safety
/// The processor must have AVX2 and FMA.
#[inline(always)]
pub(super) unsafe fn outer(alpha: f32, a: &[f32], b: &[f32], c: &mut [f32], accumulate: bool) {
    let n = b.len();
    assert_eq!(c.len(), a.len() * n);
    let n8 = n - n % 8;
    for (&a_i, c_i) in a.iter().zip(c.chunks_exact_mut(n.max(1))) {
        let s = alpha * a_i;
        // SAFETY: AVX2 and FMA are present (the caller's promise); every
        // access is at j + 8 ≤ n8 ≤ n inside `b` and the row `c_i`.
        unsafe {
            let sv = _mm256_set1_ps(s);
            let mut j = 0;
            while j < n8 {
                let bj = _mm256_loadu_ps(b.as_ptr().add(j));
                let dst = c_i.as_mut_ptr().add(j);
                let v = if accumulate {
                    _mm256_fmadd_ps(sv, bj, _mm256_loadu_ps(dst))
                } else {
                    _mm256_mul_ps(sv, bj)
                };
                _mm256_storeu_ps(dst, v);
                j += 8;
            }
        }
        for (c_ij, &b_j) in c_i[n8..].iter_mut().zip(&b[n8..]) {
            *c_ij = if accumulate { *c_ij + s * b_j } else { s * b_j };
        }
    }
}

/// `c[0..8·acc.len()] ← α·acc (+ c)`.
///
/// # Safety
/// `c` is valid for `8·acc.len()` floats, and the processor has AVX2 and FMA.
#[inline(always)]
unsafe fn store(alpha: f32, acc: &[__m256], c: *mut f32, accumulate: bool) {
    // SAFETY: the caller's promises.
    unsafe {
        let al = _mm256_set1_ps(alpha);
        for (r, &v) in acc.iter().enumerate() {
            let dst = c.add(8 * r);
            let v =
                if accumulate { _mm256_fmadd_ps(v, al, _mm256_loadu_ps(dst)) } else { _mm256_mul_ps(v, al) };
            _mm256_storeu_ps(dst, v);
        }
    }
}
