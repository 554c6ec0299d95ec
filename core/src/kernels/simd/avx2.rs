//! The AVX2/FMA micro-kernel: a 6×16 tile of `C` in twelve registers,
//! full panels of `op(A)` read in place through their strides.

use core::arch::x86_64::*;

use super::{Micro, Out, Tile, View};

const MR: usize = 6;
const NR: usize = 16;

pub(super) struct Avx2;

impl Micro for Avx2 {
    const MR: usize = MR;
    const NR: usize = NR;
    const KC: usize = 256;

    #[inline(always)]
    unsafe fn tile(kc: usize, alpha: f32, a: (&[f32], usize, usize), pb: &[f32], c: &mut [f32], tile: Tile) {
        // SAFETY: the caller runs on AVX2 and FMA.
        unsafe { micro(kc, alpha, a, pb, c, tile) }
    }

    unsafe fn blocked(dims: (usize, usize, usize), alpha: f32, ab: (View, View), out: Out, pb: &mut [f32]) {
        // SAFETY: the caller runs on AVX2 and FMA.
        unsafe { blocked(dims, alpha, ab, out, pb) }
    }
}

#[target_feature(enable = "avx2,fma")]
fn blocked(dims: (usize, usize, usize), alpha: f32, ab: (View, View), out: Out, pb: &mut [f32]) {
    super::blocked::<Avx2>(dims, alpha, ab, out, pb);
}

/// `C[0..mr, 0..nr] (+)= alpha·A·B̃` for one `MR×NR` tile: `A` read through
/// its strides `(rs, cs)` (`mr` rows, `kc` columns; rows `mr..MR` of the
/// tile repeat row `mr − 1`, computed and dropped), `B̃` a panel (`ldb`
/// apart), `C` with row stride `ldc`, overwritten or accumulated onto.
#[inline(always)]
unsafe fn micro(
    kc: usize,
    alpha: f32,
    (pa, rs, cs): (&[f32], usize, usize),
    pb: &[f32],
    c: &mut [f32],
    tile: Tile,
) {
    let Tile { mr, nr, ldc, ldb, overwrite } = tile;
    assert!(
        kc > 0
            && mr >= 1
            && ldb >= NR
            && pb.len() >= (kc - 1) * ldb + NR
            && pa.len() > (mr.min(MR) - 1) * rs + (kc - 1) * cs
    );
    // SAFETY: the caller runs on AVX2 and FMA.
    let mut acc = [[unsafe { _mm256_setzero_ps() }; 2]; MR];
    // One pointer per row, so the six broadcasts of a step are independent
    // loads from one shared offset rather than a chain of additions.
    // SAFETY: row min(r, mr − 1) starts inside `pa` (asserted).
    let rows: [*const f32; MR] = core::array::from_fn(|r| unsafe { pa.as_ptr().add(r.min(mr - 1) * rs) });
    let mut b = pb.as_ptr();
    let mut offset = 0;
    for _ in 0..kc {
        // SAFETY: each row is read at offsets p·cs for p < kc, inside `pa`
        // (asserted); the panel of B holds NR values at each p·ldb, p < kc (asserted).
        unsafe {
            let b0 = _mm256_loadu_ps(b);
            let b1 = _mm256_loadu_ps(b.add(8));
            for (row, acc_r) in rows.iter().zip(acc.iter_mut()) {
                let x = _mm256_broadcast_ss(&*row.add(offset));
                acc_r[0] = _mm256_fmadd_ps(x, b0, acc_r[0]);
                acc_r[1] = _mm256_fmadd_ps(x, b1, acc_r[1]);
            }
            offset += cs;
            b = b.add(ldb);
        }
    }
    // SAFETY: as above.
    let scale = unsafe { _mm256_set1_ps(alpha) };
    if mr == MR && nr == NR {
        for (r, acc_r) in acc.iter().enumerate() {
            let row = &mut c[r * ldc..r * ldc + NR];
            // SAFETY: `row` holds NR = 16 values.
            unsafe {
                let p = row.as_mut_ptr();
                if overwrite {
                    _mm256_storeu_ps(p, _mm256_mul_ps(acc_r[0], scale));
                    _mm256_storeu_ps(p.add(8), _mm256_mul_ps(acc_r[1], scale));
                } else {
                    _mm256_storeu_ps(p, _mm256_fmadd_ps(acc_r[0], scale, _mm256_loadu_ps(p)));
                    _mm256_storeu_ps(p.add(8), _mm256_fmadd_ps(acc_r[1], scale, _mm256_loadu_ps(p.add(8))));
                }
            }
        }
    } else {
        let mut out = [[0f32; NR]; MR];
        for (r, acc_r) in acc.iter().enumerate() {
            // SAFETY: each row of `out` holds NR = 16 values.
            unsafe {
                _mm256_storeu_ps(out[r].as_mut_ptr(), acc_r[0]);
                _mm256_storeu_ps(out[r].as_mut_ptr().add(8), acc_r[1]);
            }
        }
        for (r, t) in out.iter().enumerate().take(mr) {
            for (x, &v) in c[r * ldc..r * ldc + nr].iter_mut().zip(&t[..nr]) {
                *x = if overwrite { alpha * v } else { *x + alpha * v };
            }
        }
    }
}
