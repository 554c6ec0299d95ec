//! The AVX-512 micro-kernels: a 12×32 tile of `C` in twenty-four `zmm`
//! registers for most products, and a 16×16 one (sixteen registers) for
//! products at most 16 columns wide, where the wide tile would spend half its
//! work or more on padding. Both read `op(A)` through its strides and write
//! the ragged edges of `C` with masked stores. A last tile of fewer rows
//! runs the same kernel instantiated for 4, 8 or 12 rows, so that its cost
//! follows its rows rather than the full tile's.

use core::arch::x86_64::*;

use super::{Micro, Out, Tile, View};

/// The `MR×(16·NV)` kernel, `NV` ≤ 2.
pub(super) struct Kernel<const MR: usize, const NV: usize>;

/// For most products.
pub(super) type Wide = Kernel<12, 2>;
/// For products at most 16 columns wide.
pub(super) type Thin = Kernel<16, 1>;

impl<const MR: usize, const NV: usize> Micro for Kernel<MR, NV> {
    const MR: usize = MR;
    const NR: usize = 16 * NV;
    // A 12×32 tile's panel of B̃ (kc·128 bytes) and its rows of A (kc·48)
    // stay in the 48 KiB level-one cache at kc = 256.
    const KC: usize = 256;

    #[inline(always)]
    unsafe fn tile(kc: usize, alpha: f32, a: (&[f32], usize, usize), pb: &[f32], c: &mut [f32], tile: Tile) {
        // The rows past `mr` would be computed and dropped: a 64-row product
        // is five 12-row tiles and one of 4, which at full height cost 6
        // tiles' time and at 4 rows 5⅓ (measured on the 784 step's shapes,
        // one core: 64×64×784 46.2 → 43.7 µs, 64×784×64 51.9 → 48.1 µs,
        // 128×64×784 84.2 → 80.8 µs, medians of five alternating runs).
        // SAFETY: the caller runs on AVX-512; a smaller instance reads
        // fewer rows of the same panel.
        unsafe {
            match tile.mr {
                mr if mr <= 4 && MR > 4 => micro::<4, NV>(kc, alpha, a, pb, c, tile),
                mr if mr <= 8 && MR > 8 => micro::<8, NV>(kc, alpha, a, pb, c, tile),
                mr if mr <= 12 && MR > 12 => micro::<12, NV>(kc, alpha, a, pb, c, tile),
                _ => micro::<MR, NV>(kc, alpha, a, pb, c, tile),
            }
        }
    }

    unsafe fn blocked(dims: (usize, usize, usize), alpha: f32, ab: (View, View), out: Out, pb: &mut [f32]) {
        // SAFETY: the caller runs on AVX-512.
        unsafe { blocked::<MR, NV>(dims, alpha, ab, out, pb) }
    }
}

#[target_feature(enable = "avx512f,avx2,fma")]
fn blocked<const MR: usize, const NV: usize>(
    dims: (usize, usize, usize),
    alpha: f32,
    ab: (View, View),
    out: Out,
    pb: &mut [f32],
) {
    super::blocked::<Kernel<MR, NV>>(dims, alpha, ab, out, pb);
}

/// `C[0..mr, 0..nr] (+)= alpha·A·B̃` for one `MR×16·NV` tile, `A` read
/// through its strides `(rs, cs)` (`mr` rows, `kc` columns; rows `mr..MR`
/// of the tile repeat row `mr − 1`, computed and dropped), `B̃` a panel
/// (`kc` rows of `16·NV`, `ldb` apart), `C` with row stride `ldc`.
#[inline(always)]
unsafe fn micro<const MR: usize, const NV: usize>(
    kc: usize,
    alpha: f32,
    (pa, rs, cs): (&[f32], usize, usize),
    pb: &[f32],
    c: &mut [f32],
    tile: Tile,
) {
    let Tile { mr, nr, ldc, ldb, overwrite } = tile;
    let width = 16 * NV;
    assert!(NV <= 2 && kc > 0 && mr >= 1 && pa.len() > (mr.min(MR) - 1) * rs + (kc - 1) * cs);
    assert!(ldb >= width && pb.len() >= (kc - 1) * ldb + width);
    assert!(mr >= 1 && mr <= MR && nr >= 1 && nr <= width && c.len() >= (mr - 1) * ldc + nr);
    // SAFETY: row min(r, mr − 1) of `A` is read at that row times rs plus
    // p·cs for p < kc, inside `pa`,
    // and rows p·ldb..p·ldb + 16·NV of `pb` for p < kc (asserted); the stores write rows
    // r < mr of `c`, columns < nr (masked), inside `c` (asserted).
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); NV]; MR];
        // One pointer per row, so the broadcasts of a step are independent
        // loads from one shared offset rather than a chain of additions.
        let rows: [*const f32; MR] = core::array::from_fn(|r| pa.as_ptr().add(r.min(mr - 1) * rs));
        let mut b = pb.as_ptr();
        let mut offset = 0;
        for _ in 0..kc {
            let bv: [__m512; NV] = core::array::from_fn(|v| _mm512_loadu_ps(b.add(16 * v)));
            for (row, acc_r) in rows.iter().zip(acc.iter_mut()) {
                let x = _mm512_set1_ps(*row.add(offset));
                for (acc_rv, bv) in acc_r.iter_mut().zip(&bv) {
                    *acc_rv = _mm512_fmadd_ps(x, *bv, *acc_rv);
                }
            }
            offset += cs;
            b = b.add(ldb);
        }
        let scale = _mm512_set1_ps(alpha);
        // Over all `MR` rows, skipping those past `mr`: constant indices
        // keep `acc` in registers (with `take(mr)` it lived on the stack,
        // zeroed by a call to `memset` per tile: 1.5% of the 784 step).
        for (r, acc_r) in acc.iter().enumerate() {
            if r >= mr {
                continue;
            }
            for (v, acc_rv) in acc_r.iter().enumerate() {
                let first = 16 * v;
                if first >= nr {
                    break;
                }
                let count = (nr - first).min(16);
                let mask: __mmask16 = if count == 16 { u16::MAX } else { (1u16 << count) - 1 };
                let p = c.as_mut_ptr().add(r * ldc + first);
                let out = if overwrite {
                    _mm512_mul_ps(*acc_rv, scale)
                } else {
                    _mm512_fmadd_ps(*acc_rv, scale, _mm512_maskz_loadu_ps(mask, p))
                };
                _mm512_mask_storeu_ps(p, mask, out);
            }
        }
    }
}
