//! The packed `f32` matrix product for x86-64 processors with AVX2 and FMA,
//! chosen at run time.
//!
//! A blocked algorithm: a `KC×NC` block of `op(B)` is packed into panels
//! `NR` columns wide, and a 6×16 micro-kernel keeps a tile of `C` in twelve
//! AVX registers while it runs along `k`, broadcasting `op(A)` from its six
//! rows read in place through their strides (only a last partial panel of
//! fewer than six rows is packed). Transposed operands cost nothing extra. The packing
//! buffers are allocated once per thread and reused, so a product allocates
//! nothing after its thread's first large one.

use core::arch::x86_64::*;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::loops::{Op, Product};

const MR: usize = 6;
const NR: usize = 16;
const KC: usize = 256;
const NC: usize = 2048;

thread_local! {
    static PACKED: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// 0: not yet checked, 1: absent, 2: present.
static AVX2_FMA: AtomicU8 = AtomicU8::new(0);

/// Whether this processor has AVX2 and FMA (checked once).
#[inline]
pub(crate) fn avx2_available() -> bool {
    match AVX2_FMA.load(Ordering::Relaxed) {
        0 => {
            let present = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
            AVX2_FMA.store(if present { 2 } else { 1 }, Ordering::Relaxed);
            present
        }
        v => v == 2,
    }
}

/// The plain product loops of `loops::gemm_loops`, compiled for AVX2 and FMA.
///
/// # Safety
/// The processor must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn loops(p: Product<'_, f32>, c: &mut [f32]) {
    crate::loops::gemm_loops(p, c);
}

/// A matrix read through strides: element `(i, j)` is at `data[i·rs + j·cs]`.
#[derive(Clone, Copy)]
struct View<'a> {
    data: &'a [f32],
    rs: usize,
    cs: usize,
}

/// Computes `p` into `c` with the packed kernel.
pub(crate) fn sgemm(p: Product<'_, f32>, c: &mut [f32]) {
    let Product { m, n, k, alpha, a, op_a, b, op_b, accumulate } = p;
    assert!(avx2_available() && a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    let a = match op_a {
        Op::N => View { data: a, rs: k, cs: 1 },
        Op::T => View { data: a, rs: 1, cs: m },
    };
    let b = match op_b {
        Op::N => View { data: b, rs: n, cs: 1 },
        Op::T => View { data: b, rs: 1, cs: k },
    };
    #[cfg(feature = "parallel")]
    if m * n * k >= PARALLEL_MIN_FLOPS {
        let threads = crate::threads().min(m / MR);
        if threads > 1 {
            // Each thread of rayon's pool takes a band of rows of `C` (and of
            // `op(A)`) and packs `op(B)` into its own buffers.
            let band = (m / threads).next_multiple_of(MR);
            rayon::scope(|scope| {
                let mut rest = c;
                let mut row = 0;
                while row < m {
                    let rows = band.min(m - row);
                    let (mine, tail) = rest.split_at_mut(rows * n);
                    rest = tail;
                    let a_band = View { data: &a.data[row * a.rs..], ..a };
                    if row + rows < m {
                        scope.spawn(move |_| run((rows, n, k), alpha, a_band, b, accumulate, mine));
                    } else {
                        run((rows, n, k), alpha, a_band, b, accumulate, mine);
                    }
                    row += rows;
                }
            });
            return;
        }
    }
    run((m, n, k), alpha, a, b, accumulate, c);
}

/// Products with at least this many multiply-adds are split across threads
/// (with the `parallel` feature).
#[cfg(feature = "parallel")]
const PARALLEL_MIN_FLOPS: usize = 1 << 20;

/// The blocked product on this thread, with its packing buffers.
fn run((m, n, k): (usize, usize, usize), alpha: f32, a: View, b: View, accumulate: bool, c: &mut [f32]) {
    PACKED.with(|packed| {
        let mut packed = packed.borrow_mut();
        let (pa, pb) = &mut *packed;
        // Sixteen spare values let the panels start on a 64-byte boundary, so
        // the micro-kernel's two loads of a row of B̃ never straddle cache
        // lines (which, depending on where the allocator put the buffer,
        // cost up to a fifth of the time).
        let (a_len, b_len) = (MR * KC + 16, KC * NC.next_multiple_of(NR) + 16);
        if pa.len() < a_len {
            pa.resize(a_len, 0.0);
        }
        if pb.len() < b_len {
            pb.resize(b_len, 0.0);
        }
        let (pa, pb) = (aligned(pa), aligned(pb));
        // SAFETY: AVX2 and FMA are present (checked by `sgemm`); every index
        // the blocked loops form is inside the slices, whose lengths `sgemm`
        // checked.
        unsafe { blocked((m, n, k), alpha, a, b, accumulate, c, pa, pb) };
    });
}

/// The part of `buffer` that starts on a 64-byte boundary.
fn aligned(buffer: &mut [f32]) -> &mut [f32] {
    let skip = buffer.as_ptr().align_offset(64).min(16);
    &mut buffer[skip..]
}

#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn blocked(
    (m, n, k): (usize, usize, usize),
    alpha: f32,
    a: View,
    b: View,
    accumulate: bool,
    c: &mut [f32],
    pa: &mut [f32],
    pb: &mut [f32],
) {
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        for pc in (0..k).step_by(KC) {
            let kc = KC.min(k - pc);
            // The first block of `k` overwrites `c` unless accumulating.
            let overwrite = pc == 0 && !accumulate;
            pack_b(b, pc, kc, jc, nc, pb);
            for ic in (0..m).step_by(MR) {
                let mr = MR.min(m - ic);
                // A full panel of `op(A)` is read in place through its strides
                // (each row a sequential stream); a partial one is packed,
                // zero-padded, so the micro-kernel never reads past `a`.
                let (panel_a, rs, cs) = if mr == MR {
                    (&a.data[ic * a.rs + pc * a.cs..], a.rs, a.cs)
                } else {
                    pack_a(a, ic, mr, pc, kc, pa);
                    (&pa[..], 1, MR)
                };
                for jr in (0..nc).step_by(NR) {
                    let nr = NR.min(nc - jr);
                    let panel_b = &pb[jr * kc..(jr + NR) * kc];
                    let tile = Tile { mr, nr, ldc: n, overwrite };
                    // SAFETY: the caller's target features are this function's.
                    unsafe { micro(kc, alpha, (panel_a, rs, cs), panel_b, &mut c[ic * n + jc + jr..], tile) };
                }
            }
        }
    }
}

/// The part of `C` a micro-kernel call writes.
#[derive(Clone, Copy)]
struct Tile {
    mr: usize,
    nr: usize,
    ldc: usize,
    overwrite: bool,
}

/// Packs `op(B)[pc..pc+kc, jc..jc+nc]` into panels of `NR` columns, each
/// `kc` rows of `NR` values, zero-padded past `nc`.
#[inline(always)]
fn pack_b(b: View, pc: usize, kc: usize, jc: usize, nc: usize, out: &mut [f32]) {
    for (panel, j0) in (0..nc).step_by(NR).enumerate() {
        let width = NR.min(nc - j0);
        let dst = &mut out[panel * NR * kc..(panel + 1) * NR * kc];
        if b.cs == 1 {
            for p in 0..kc {
                let row = &mut dst[p * NR..(p + 1) * NR];
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
                    unsafe { transpose8(src, b.cs, &mut dst[p * NR + j..], NR) };
                }
            }
            for j in 0..NR {
                let column = (j < width).then(|| &b.data[(jc + j0 + j) * b.cs + pc..]);
                // Rows past the blocks, for every column; all rows of the
                // columns past the blocks; zeros past `width`.
                let first = if j < full_j { full_p } else { 0 };
                for p in first..kc {
                    dst[p * NR + j] = column.map_or(0.0, |c| c[p]);
                }
            }
        }
    }
}

/// Writes the transpose of the 8×8 block whose row `r` is `src[r·stride ..][..8]`
/// into `dst`, row `c` at `dst[c·ld ..][..8]`.
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

/// Packs the `mr < MR` rows `op(A)[ic..ic+mr, pc..pc+kc]` into one panel of
/// `kc` columns of `MR` values, zero-padded past `mr`.
#[inline(always)]
fn pack_a(a: View, ic: usize, mr: usize, pc: usize, kc: usize, out: &mut [f32]) {
    for p in 0..kc {
        let col = &mut out[p * MR..(p + 1) * MR];
        for (i, x) in col[..mr].iter_mut().enumerate() {
            *x = a.data[(ic + i) * a.rs + (pc + p) * a.cs];
        }
        col[mr..].fill(0.0);
    }
}

/// `C[0..mr, 0..nr] (+)= alpha·A·B̃` for one `MR×NR` tile: `A` read through
/// its strides `(rs, cs)` (MR rows, `kc` columns), `B̃` a packed panel, `C`
/// with row stride `ldc`, overwritten or accumulated onto.
#[target_feature(enable = "avx2,fma")]
unsafe fn micro(
    kc: usize,
    alpha: f32,
    (pa, rs, cs): (&[f32], usize, usize),
    pb: &[f32],
    c: &mut [f32],
    tile: Tile,
) {
    let Tile { mr, nr, ldc, overwrite } = tile;
    assert!(pb.len() >= kc * NR && kc > 0 && pa.len() > (MR - 1) * rs + (kc - 1) * cs);
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    // One pointer per row, so the six broadcasts of a step are independent
    // loads from one shared offset rather than a chain of additions.
    // SAFETY: row r starts at r·rs < pa.len() (asserted).
    let rows: [*const f32; MR] = core::array::from_fn(|r| unsafe { pa.as_ptr().add(r * rs) });
    let mut b = pb.as_ptr();
    let mut offset = 0;
    for _ in 0..kc {
        // SAFETY: each row is read at offsets p·cs for p < kc, inside `pa`
        // (asserted); the packed panel holds kc·NR values.
        unsafe {
            let b0 = _mm256_loadu_ps(b);
            let b1 = _mm256_loadu_ps(b.add(8));
            for (row, acc_r) in rows.iter().zip(acc.iter_mut()) {
                let x = _mm256_broadcast_ss(&*row.add(offset));
                acc_r[0] = _mm256_fmadd_ps(x, b0, acc_r[0]);
                acc_r[1] = _mm256_fmadd_ps(x, b1, acc_r[1]);
            }
            offset += cs;
            b = b.add(NR);
        }
    }
    let scale = _mm256_set1_ps(alpha);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_products_match_the_loops_for_every_layout() {
        if !avx2_available() {
            return;
        }
        for (m, n, k) in
            [(7, 19, 5), (128, 64, 784), (10, 64, 128), (64, 33, 300), (97, 2100, 3), (20, 28, 21)]
        {
            let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 11) as f32 - 5.0) / 8.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 13) as f32 - 6.0) / 8.0).collect();
            for op_a in [Op::N, Op::T] {
                for op_b in [Op::N, Op::T] {
                    for accumulate in [true, false] {
                        let p = Product { m, n, k, alpha: 1.5, a: &a, op_a, b: &b, op_b, accumulate };
                        let mut want = vec![0.5f32; m * n];
                        crate::loops::gemm_loops(p, &mut want);
                        let mut got = vec![0.5f32; m * n];
                        sgemm(p, &mut got);
                        let worst = got.iter().zip(&want).fold(0f32, |w, (g, h)| w.max((g - h).abs()));
                        assert!(worst < 1e-3, "{m}×{n}×{k} {op_a:?}{op_b:?} {accumulate}: {worst}");
                    }
                }
            }
        }
    }
}
