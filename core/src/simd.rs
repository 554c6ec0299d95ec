//! The packed `f32` matrix product for x86-64 processors with AVX2 and FMA,
//! chosen at run time.
//!
//! The classic blocked algorithm: a `KC×NC` block of `op(B)` is packed into
//! panels `NR` columns wide, an `MC×KC` block of `op(A)` into panels `MR`
//! rows tall, and a 6×16 micro-kernel keeps a tile of `C` in twelve AVX
//! registers while it runs along `k`. Packing reads `op(A)` and `op(B)`
//! through strides, so transposed operands cost nothing extra. The packing
//! buffers are allocated once per thread and reused, so a product allocates
//! nothing after its thread's first large one.

use core::arch::x86_64::*;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::kernel::Op;

const MR: usize = 6;
const NR: usize = 16;
const KC: usize = 256;
const MC: usize = 96;
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

/// The plain product loops of `kernel::gemm_loops`, compiled for AVX2 and FMA.
///
/// # Safety
/// The processor must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn loops(
    dims: (usize, usize, usize),
    alpha: f32,
    a: &[f32],
    op_a: Op,
    b: &[f32],
    op_b: Op,
    accumulate: bool,
    c: &mut [f32],
) {
    crate::kernel::gemm_loops(dims, alpha, a, op_a, b, op_b, accumulate, c);
}

/// A matrix read through strides: element `(i, j)` is at `data[i·rs + j·cs]`.
#[derive(Clone, Copy)]
struct View<'a> {
    data: &'a [f32],
    rs: usize,
    cs: usize,
}

/// `c += alpha·op(a)·op(b)` for row-major `c` (m×n); `op(a)` is m×k, `op(b)` k×n.
pub(crate) fn sgemm(
    (m, n, k): (usize, usize, usize),
    alpha: f32,
    a: &[f32],
    op_a: Op,
    b: &[f32],
    op_b: Op,
    c: &mut [f32],
) {
    assert!(avx2_available() && a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    let a = match op_a {
        Op::N => View { data: a, rs: k, cs: 1 },
        Op::T => View { data: a, rs: 1, cs: m },
    };
    let b = match op_b {
        Op::N => View { data: b, rs: n, cs: 1 },
        Op::T => View { data: b, rs: 1, cs: k },
    };
    PACKED.with(|packed| {
        let mut packed = packed.borrow_mut();
        let (pa, pb) = &mut *packed;
        if pa.len() < MC * KC {
            pa.resize(MC * KC, 0.0);
        }
        if pb.len() < KC * NC.next_multiple_of(NR) {
            pb.resize(KC * NC.next_multiple_of(NR), 0.0);
        }
        // SAFETY: AVX2 and FMA are present (asserted above); every index the
        // blocked loops form is inside the slices, whose lengths were checked.
        unsafe { blocked((m, n, k), alpha, a, b, c, pa, pb) };
    });
}

#[target_feature(enable = "avx2,fma")]
unsafe fn blocked(
    (m, n, k): (usize, usize, usize),
    alpha: f32,
    a: View,
    b: View,
    c: &mut [f32],
    pa: &mut [f32],
    pb: &mut [f32],
) {
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        for pc in (0..k).step_by(KC) {
            let kc = KC.min(k - pc);
            pack_b(b, pc, kc, jc, nc, pb);
            for ic in (0..m).step_by(MC) {
                let mc = MC.min(m - ic);
                pack_a(a, ic, mc, pc, kc, pa);
                for jr in (0..nc).step_by(NR) {
                    let nr = NR.min(nc - jr);
                    let panel_b = &pb[jr * kc..(jr + NR) * kc];
                    for ir in (0..mc).step_by(MR) {
                        let mr = MR.min(mc - ir);
                        let panel_a = &pa[ir * kc..(ir + MR) * kc];
                        let offset = (ic + ir) * n + jc + jr;
                        // SAFETY: the caller's target features are this function's.
                        unsafe { micro(kc, alpha, panel_a, panel_b, &mut c[offset..], n, mr, nr) };
                    }
                }
            }
        }
    }
}

/// Packs `op(B)[pc..pc+kc, jc..jc+nc]` into panels of `NR` columns, each
/// `kc` rows of `NR` values, zero-padded past `nc`.
#[inline(always)]
fn pack_b(b: View, pc: usize, kc: usize, jc: usize, nc: usize, out: &mut [f32]) {
    for (panel, j0) in (0..nc).step_by(NR).enumerate() {
        let width = NR.min(nc - j0);
        let dst = &mut out[panel * NR * kc..(panel + 1) * NR * kc];
        for p in 0..kc {
            let row = &mut dst[p * NR..(p + 1) * NR];
            let base = (pc + p) * b.rs + (jc + j0) * b.cs;
            if b.cs == 1 {
                row[..width].copy_from_slice(&b.data[base..base + width]);
            } else {
                for (j, x) in row[..width].iter_mut().enumerate() {
                    *x = b.data[base + j * b.cs];
                }
            }
            row[width..].fill(0.0);
        }
    }
}

/// Packs `op(A)[ic..ic+mc, pc..pc+kc]` into panels of `MR` rows, each `kc`
/// columns of `MR` values, zero-padded past `mc`.
#[inline(always)]
fn pack_a(a: View, ic: usize, mc: usize, pc: usize, kc: usize, out: &mut [f32]) {
    for (panel, i0) in (0..mc).step_by(MR).enumerate() {
        let height = MR.min(mc - i0);
        let dst = &mut out[panel * MR * kc..(panel + 1) * MR * kc];
        for p in 0..kc {
            let col = &mut dst[p * MR..(p + 1) * MR];
            for (i, x) in col[..height].iter_mut().enumerate() {
                *x = a.data[(ic + i0 + i) * a.rs + (pc + p) * a.cs];
            }
            col[height..].fill(0.0);
        }
    }
}

/// `C[0..mr, 0..nr] += alpha·Ã·B̃` for one `MR×NR` tile, `C` with row stride `ldc`.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn micro(
    kc: usize,
    alpha: f32,
    pa: &[f32],
    pb: &[f32],
    c: &mut [f32],
    ldc: usize,
    mr: usize,
    nr: usize,
) {
    debug_assert!(pa.len() >= kc * MR && pb.len() >= kc * NR);
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    let (mut a, mut b) = (pa.as_ptr(), pb.as_ptr());
    for _ in 0..kc {
        // SAFETY: the panels hold kc·MR and kc·NR values; `a` and `b` step through them.
        unsafe {
            let b0 = _mm256_loadu_ps(b);
            let b1 = _mm256_loadu_ps(b.add(8));
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let x = _mm256_broadcast_ss(&*a.add(r));
                acc_r[0] = _mm256_fmadd_ps(x, b0, acc_r[0]);
                acc_r[1] = _mm256_fmadd_ps(x, b1, acc_r[1]);
            }
            a = a.add(MR);
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
                _mm256_storeu_ps(p, _mm256_fmadd_ps(acc_r[0], scale, _mm256_loadu_ps(p)));
                _mm256_storeu_ps(p.add(8), _mm256_fmadd_ps(acc_r[1], scale, _mm256_loadu_ps(p.add(8))));
            }
        }
    } else {
        let mut tile = [[0f32; NR]; MR];
        for (r, acc_r) in acc.iter().enumerate() {
            // SAFETY: each row of `tile` holds NR = 16 values.
            unsafe {
                _mm256_storeu_ps(tile[r].as_mut_ptr(), acc_r[0]);
                _mm256_storeu_ps(tile[r].as_mut_ptr().add(8), acc_r[1]);
            }
        }
        for (r, t) in tile.iter().enumerate().take(mr) {
            for (x, &v) in c[r * ldc..r * ldc + nr].iter_mut().zip(&t[..nr]) {
                *x += alpha * v;
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
        for (m, n, k) in [(7, 19, 5), (128, 64, 784), (10, 64, 128), (64, 33, 300), (97, 2100, 3)] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 11) as f32 - 5.0) / 8.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 13) as f32 - 6.0) / 8.0).collect();
            for op_a in [Op::N, Op::T] {
                for op_b in [Op::N, Op::T] {
                    let mut want = vec![0.5f32; m * n];
                    crate::kernel::gemm_loops((m, n, k), 1.5, &a, op_a, &b, op_b, true, &mut want);
                    let mut got = vec![0.5f32; m * n];
                    sgemm((m, n, k), 1.5, &a, op_a, &b, op_b, &mut got);
                    let worst = got.iter().zip(&want).fold(0f32, |w, (g, h)| w.max((g - h).abs()));
                    assert!(worst < 1e-3, "{m}×{n}×{k} {op_a:?}{op_b:?}: {worst}");
                }
            }
        }
    }
}
