//! Packing `op(B)` for the blocked product: panels `NR` columns wide (rows
//! copied in registers, a transposed operand through 8×8 transposes).

use core::arch::x86_64::*;

use super::{Micro, View};

/// Packs `op(B)[pc..pc+kc, jc..jc+nc]` into panels of `NR` (a multiple of 8) columns, each
/// `kc` rows of `NR` values, zero-padded past `nc`.
#[inline(always)]
pub(super) fn pack_b<K: Micro>(b: View, pc: usize, kc: usize, jc: usize, nc: usize, out: &mut [f32]) {
    for (panel, j0) in (0..nc).step_by(K::NR).enumerate() {
        let width = K::NR.min(nc - j0);
        let dst = &mut out[panel * K::NR * kc..(panel + 1) * K::NR * kc];
        if b.cs == 1 && width == K::NR {
            // Rows of a constant width: copied in registers, where a call
            // to `memcpy` per row cost 3% of the 784-128-10 step.
            for p in 0..kc {
                let base = (pc + p) * b.rs + jc + j0;
                dst[p * K::NR..(p + 1) * K::NR].copy_from_slice(&b.data[base..base + K::NR]);
            }
        } else if b.cs == 1 {
            for p in 0..kc {
                let row = &mut dst[p * K::NR..(p + 1) * K::NR];
                let base = (pc + p) * b.rs + jc + j0;
                row[..width].copy_from_slice(&b.data[base..base + width]);
                row[width..].fill(0.0);
            }
        } else {
            // `op(B)` is a transposed matrix (`rs` = 1): each of its columns
            // is a contiguous run of the stored one. Blocks of 8×8 are
            // transposed in registers; the ragged edges go value by value.
            debug_assert_eq!(b.rs, 1);
            let (full_p, full_j) = (kc - kc % 8, width - width % 8);
            for j in (0..full_j).step_by(8) {
                for p in (0..full_p).step_by(8) {
                    let src = &b.data[(jc + j0 + j) * b.cs + pc + p..];
                    // SAFETY: the caller is compiled for AVX2; rows j..j+8 of
                    // the stored matrix hold kc ≥ p + 8 values from `pc`,
                    // `b.cs` apart, and `dst` holds rows p..p+8 of NR values.
                    unsafe { transpose8(src, b.cs, &mut dst[p * K::NR + j..], K::NR) };
                }
            }
            for j in 0..K::NR {
                let column = (j < width).then(|| &b.data[(jc + j0 + j) * b.cs + pc..]);
                // Rows past the blocks, for every column; all rows of the
                // columns past the blocks; zeros past `width`.
                let first = if j < full_j { full_p } else { 0 };
                for p in first..kc {
                    dst[p * K::NR + j] = column.map_or(0.0, |c| c[p]);
                }
            }
        }
    }
}

/// Writes the transpose of the 8×8 block whose row `r` is `src[r·stride ..][..8]`
/// into `dst`, row `c` at `dst[c·ld ..][..8]`.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn transpose8(src: &[f32], stride: usize, dst: &mut [f32], ld: usize) {
    assert!(src.len() >= 7 * stride + 8 && dst.len() >= 7 * ld + 8);
    // SAFETY: the eight loads and stores are in bounds (asserted).
    unsafe {
        let r: [__m256; 8] = core::array::from_fn(|i| _mm256_loadu_ps(src.as_ptr().add(i * stride)));
        let t0 = _mm256_unpacklo_ps(r[0], r[1]);
        let t1 = _mm256_unpackhi_ps(r[0], r[1]);
        let t2 = _mm256_unpacklo_ps(r[2], r[3]);
        let t3 = _mm256_unpackhi_ps(r[2], r[3]);
        let t4 = _mm256_unpacklo_ps(r[4], r[5]);
        let t5 = _mm256_unpackhi_ps(r[4], r[5]);
        let t6 = _mm256_unpacklo_ps(r[6], r[7]);
        let t7 = _mm256_unpackhi_ps(r[6], r[7]);
        let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        let out = [
            _mm256_permute2f128_ps::<0x20>(u0, u4),
            _mm256_permute2f128_ps::<0x20>(u1, u5),
            _mm256_permute2f128_ps::<0x20>(u2, u6),
            _mm256_permute2f128_ps::<0x20>(u3, u7),
            _mm256_permute2f128_ps::<0x31>(u0, u4),
            _mm256_permute2f128_ps::<0x31>(u1, u5),
            _mm256_permute2f128_ps::<0x31>(u2, u6),
            _mm256_permute2f128_ps::<0x31>(u3, u7),
        ];
        for (c, v) in out.iter().enumerate() {
            _mm256_storeu_ps(dst.as_mut_ptr().add(c * ld), *v);
        }
    }
}
