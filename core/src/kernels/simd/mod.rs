//! The packed `f32` matrix product for x86-64 processors with AVX2 and FMA
//! or AVX-512, the instruction set chosen at run time.
//!
//! A blocked algorithm: a `KC×NC` block of `op(B)` is packed into panels
//! `NR` columns wide, and a micro-kernel keeps an `MR×NR` tile of `C` in
//! registers while it runs along `k`, broadcasting `op(A)` one value at a
//! time: 6×16 in twelve registers with AVX2 and FMA; with AVX-512, 12×32 in
//! twenty-four `zmm` registers, or 16×16 for products at most 16 columns
//! wide, where a 32-wide tile would compute mostly padding. Panels of
//! `op(A)` are read in place through their strides (each row a sequential
//! stream; packing them cost a third of the time of the 784-128-10 step's
//! products), a last one of fewer rows too. Transposed operands cost
//! nothing extra: they are folded into the reads and the packing. The
//! packing buffer is allocated once per thread and reused, so a product
//! allocates nothing after its thread's first large one.
//!
//! `SHAPEGRAD_KERNEL` (`avx512`, `avx2` or `portable`, read once) caps the
//! instruction set, so that tests and benchmarks can exercise every path the
//! processor supports.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::loops::{Op, Product};

mod avx2;
mod avx512;
mod pack;
mod thin;

use pack::pack_b;

/// The instruction sets the packed product has a kernel for, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Isa {
    Avx2,
    Avx512,
}

impl Isa {
    /// Every instruction set this processor runs, in order.
    #[cfg(test)]
    pub(crate) fn supported() -> Vec<Isa> {
        [Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|isa| detected().is_some_and(|best| *isa <= best))
            .collect()
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Isa::Avx2 => "AVX2+FMA",
            Isa::Avx512 => "AVX-512",
        }
    }
}

/// 0: not yet checked, 1: neither, 2: AVX2 and FMA, 3: AVX-512 too.
static LEVEL: AtomicU8 = AtomicU8::new(0);

/// The best instruction set this processor has (checked once).
fn detected() -> Option<Isa> {
    let level = match LEVEL.load(Ordering::Relaxed) {
        0 => {
            let level = if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
                1
            } else if is_x86_feature_detected!("avx512f") {
                3
            } else {
                2
            };
            LEVEL.store(level, Ordering::Relaxed);
            level
        }
        level => level,
    };
    match level {
        3 => Some(Isa::Avx512),
        2 => Some(Isa::Avx2),
        _ => None,
    }
}

/// 0: not yet read, 1: portable, 2: at most AVX2, 3: no cap.
static CAP: AtomicU8 = AtomicU8::new(0);

/// The instruction set products use: the best detected, capped by
/// `SHAPEGRAD_KERNEL`.
#[inline]
pub(crate) fn chosen() -> Option<Isa> {
    let cap = match CAP.load(Ordering::Relaxed) {
        0 => {
            let cap = match std::env::var("SHAPEGRAD_KERNEL").as_deref() {
                Ok("portable") => 1,
                Ok("avx2") => 2,
                _ => 3,
            };
            CAP.store(cap, Ordering::Relaxed);
            cap
        }
        cap => cap,
    };
    match (cap, detected()) {
        (1, _) | (_, None) => None,
        (2, Some(_)) => Some(Isa::Avx2),
        (_, best) => best,
    }
}

/// 0: not yet checked, 1: products run the portable code, 2: AVX2 or better.
static AVX2_CHOSEN: AtomicU8 = AtomicU8::new(0);

/// Whether products run the AVX2 (or better) code: one load and compare,
/// inlined into every generated method (a small net's whole `grad` is a
/// few dozen cycles, and a call into `chosen` was a visible part of it).
#[inline(always)]
pub(crate) fn avx2_available() -> bool {
    match AVX2_CHOSEN.load(Ordering::Relaxed) {
        0 => avx2_first_check(),
        level => level == 2,
    }
}

#[cold]
#[inline(never)]
fn avx2_first_check() -> bool {
    let yes = chosen().is_some();
    AVX2_CHOSEN.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
    yes
}

/// A product too thin for the packed kernel: a matrix·vector product (or
/// vector·matrix) in `thin`'s FMA loops, anything else in the plain loops
/// of `loops::gemm_loops` compiled for AVX2 and FMA.
///
/// # Safety
/// The processor must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn loops(p: Product<'_, f32>, c: &mut [f32]) {
    // SAFETY: the caller's promise.
    unsafe { small(p, c) }
}

/// [`loops`], inlined into its caller: into the generated methods' copy
/// compiled for AVX2 and FMA, where sizes are constants (see `thin` for why
/// it has no `#[target_feature]` of its own).
///
/// # Safety
/// The processor must have AVX2 and FMA, and only code compiled for them
/// may call it (else its intrinsics stay calls).
// Inlined into every call site only when optimized: unoptimized, each
// inlined copy keeps stack slots of its own, and a net with a hundred
// products (a transformer block) needed more than a test thread's 2 MiB.
#[cfg_attr(not(debug_assertions), inline(always))]
pub(crate) unsafe fn small(p: Product<'_, f32>, c: &mut [f32]) {
    let Product { m, n, k, alpha, a, op_a, b, op_b, accumulate } = p;
    // A vector operand is contiguous whether transposed or not.
    // SAFETY (all four): AVX2 and FMA are present, the caller's promise.
    match (op_a, op_b) {
        // Row i of op(A) is row i of `a`: a dot product with b.
        (Op::N, _) if n == 1 && k >= 8 => unsafe { thin::rows_dot(alpha, a, b, c, accumulate) },
        // op(A)·b = Σₚ bₚ·(row p of `a`).
        (Op::T, _) if n == 1 && m >= 8 => unsafe { thin::rows_axpy(alpha, a, b, c, accumulate) },
        // A row vector: cⱼ = Σₚ aₚ·op(B)ₚⱼ, the same two forms on `b`.
        (_, Op::T) if m == 1 && k >= 8 => unsafe { thin::rows_dot(alpha, b, a, c, accumulate) },
        (_, Op::N) if m == 1 && n >= 8 => unsafe { thin::rows_axpy(alpha, b, a, c, accumulate) },
        // An outer product: a and b are both contiguous vectors.
        _ if k == 1 && n >= 8 => unsafe { thin::outer(alpha, a, b, c, accumulate) },
        _ => crate::loops::gemm_loops(p, c),
    }
}

/// A matrix read through strides: element `(i, j)` is at `data[i·rs + j·cs]`.
#[derive(Clone, Copy)]
struct View<'a> {
    data: &'a [f32],
    rs: usize,
    cs: usize,
}

/// Computes `p` into `c` with the packed kernel of the chosen instruction set.
pub(crate) fn sgemm(p: Product<'_, f32>, c: &mut [f32]) {
    let isa = chosen().expect("the packed product needs AVX2 and FMA");
    sgemm_on(isa, p, c);
}

/// Computes `p` into `c` with the packed kernel for `isa`, which this
/// processor must support (asserted).
pub(crate) fn sgemm_on(isa: Isa, p: Product<'_, f32>, c: &mut [f32]) {
    let Product { m, n, k, alpha, a, op_a, b, op_b, accumulate } = p;
    assert!(
        detected().is_some_and(|best| isa <= best)
            && a.len() >= m * k
            && b.len() >= k * n
            && c.len() >= m * n
    );
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
        let threads = crate::threads().min(m / 12);
        if threads > 1 {
            // Band `i` of rows of `C` (and of `op(A)`) on thread `i`, which
            // packs `op(B)` into its own buffer. Bands of equal rows, to a
            // multiple of 4: a band's last tile of 4 or 8 rows costs about its
            // rows (see `avx512`), so 128 rows split 64/64 rather than 72/56
            // in whole 12-row tiles (the 784 step on two cores: 107–114
            // against 114–121 µs, six alternating runs).
            let band = m.div_ceil(threads).next_multiple_of(4);
            let count = m.div_ceil(band);
            let c_len = c.len();
            let out = Shared(c.as_mut_ptr());
            crate::parallel::bands(count, &|i| {
                let row = i * band;
                let rows = band.min(m - row);
                // SAFETY: the bands' rows are disjoint parts of `c` (rows
                // `row..row + rows` of `n` values, inside its `c_len`), and
                // `c` stays borrowed until every band is done.
                let mine = unsafe {
                    debug_assert!((row + rows) * n <= c_len);
                    core::slice::from_raw_parts_mut(out.at(row * n), rows * n)
                };
                let a_band = View { data: &a.data[row * a.rs..], ..a };
                run(isa, (rows, n, k), alpha, a_band, b, accumulate, mine);
            });
            return;
        }
    }
    run(isa, (m, n, k), alpha, a, b, accumulate, c);
}

/// The output of a product split into bands, shared by the threads that
/// each write their own rows of it.
#[cfg(feature = "parallel")]
struct Shared(*mut f32);

// SAFETY: each band dereferences only its own rows (see `sgemm_on`).
#[cfg(feature = "parallel")]
unsafe impl Sync for Shared {}

#[cfg(feature = "parallel")]
impl Shared {
    /// The address of element `i`; a method, so closures capture the
    /// `Sync` wrapper rather than the raw pointer.
    fn at(&self, i: usize) -> *mut f32 {
        self.0.wrapping_add(i)
    }
}

/// Products with at least this many multiply-adds are split across threads
/// (with the `parallel` feature).
#[cfg(feature = "parallel")]
const PARALLEL_MIN_FLOPS: usize = 1 << 20;

/// Columns of `op(B)` packed at a time.
const NC: usize = 2048;

thread_local! {
    static PACKED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// A micro-kernel: its tile, its block of `k`, and the blocked product
/// compiled for its instruction set.
trait Micro {
    const MR: usize;
    const NR: usize;
    const KC: usize;

    /// `C[0..mr, 0..nr] (+)= alpha·A·B̃` for one `MR×NR` tile: `A` read
    /// through its strides `(rs, cs)` (`mr` rows, `kc` columns; the tile's
    /// rows past `mr` repeat row `mr − 1` and are dropped), `B̃` a panel of
    /// `NR` columns with row stride `tile.ldb`, `C` with row stride `tile.ldc`.
    ///
    /// # Safety
    /// The processor has the kernel's instruction set.
    unsafe fn tile(kc: usize, alpha: f32, a: (&[f32], usize, usize), pb: &[f32], c: &mut [f32], tile: Tile);

    /// [`blocked`] for this kernel, compiled for its instruction set.
    ///
    /// # Safety
    /// The processor has the kernel's instruction set.
    unsafe fn blocked(dims: (usize, usize, usize), alpha: f32, ab: (View, View), out: Out, pb: &mut [f32]);
}

/// The blocked product on this thread with the kernel `isa` (and the
/// product's width) calls for, with this thread's packing buffer.
fn run(isa: Isa, dims: (usize, usize, usize), alpha: f32, a: View, b: View, accumulate: bool, c: &mut [f32]) {
    let out = Out { c, ldc: dims.1, accumulate };
    match isa {
        Isa::Avx2 => run_with::<avx2::Avx2>(dims, alpha, (a, b), out),
        // A 32-wide tile would be half padding or more.
        Isa::Avx512 if dims.1 <= 16 => run_with::<avx512::Thin>(dims, alpha, (a, b), out),
        Isa::Avx512 => run_with::<avx512::Wide>(dims, alpha, (a, b), out),
    }
}

/// The output of a blocked product: `C`, with row stride `ldc`.
struct Out<'a> {
    c: &'a mut [f32],
    ldc: usize,
    accumulate: bool,
}

fn run_with<K: Micro>(dims: (usize, usize, usize), alpha: f32, ab: (View, View), out: Out) {
    PACKED.with(|packed| {
        let mut pb = packed.borrow_mut();
        // Sixteen spare values let the panels start on a 64-byte boundary, so
        // the micro-kernel's loads of a row of B̃ never straddle cache lines
        // (which, depending on where the allocator put the buffer, cost up
        // to a fifth of the time).
        let b_len = K::KC * NC.next_multiple_of(K::NR) + 16;
        if pb.len() < b_len {
            pb.resize(b_len, 0.0);
        }
        // SAFETY: the caller chose `K` among the kernels this processor runs;
        // every index the blocked loops form is inside the slices, whose
        // lengths `sgemm_on` checked.
        unsafe { K::blocked(dims, alpha, ab, out, aligned(&mut pb)) };
    });
}

/// The part of `buffer` that starts on a 64-byte boundary.
fn aligned(buffer: &mut [f32]) -> &mut [f32] {
    let skip = buffer.as_ptr().align_offset(64).min(16);
    &mut buffer[skip..]
}

/// The loops around the micro-kernel `K`; inlined into `K::blocked`, which
/// compiles them for `K`'s instruction set.
#[inline(always)]
fn blocked<K: Micro>(
    (m, n, k): (usize, usize, usize),
    alpha: f32,
    (a, b): (View, View),
    Out { c, ldc, accumulate }: Out,
    pb: &mut [f32],
) {
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        for pc in (0..k).step_by(K::KC) {
            let kc = K::KC.min(k - pc);
            // The first block of `k` overwrites `c` unless accumulating.
            let overwrite = pc == 0 && !accumulate;
            // Rows of `op(B)` that are rows of the stored matrix, in panels
            // of full width, are read in place: each panel row is `NR`
            // contiguous values, `b.rs` apart. Packing them was a copy of
            // all of `B` per product (the 784 step's `W1·X` copies X).
            let b_in_place = b.cs == 1 && nc % K::NR == 0;
            if !b_in_place {
                pack_b::<K>(b, pc, kc, jc, nc, pb);
            }
            for ic in (0..m).step_by(K::MR) {
                let mr = K::MR.min(m - ic);
                // A panel of `op(A)` is read in place through its strides, each
                // row a sequential stream; a last panel of fewer rows too (the
                // micro-kernel repeats its last row rather than reading past
                // `a`): packing it, zero-padded, value by value, cost the 4-row
                // tile of a 64-row product two thirds of a full tile's time.
                let panel_a = &a.data[ic * a.rs + pc * a.cs..];
                for jr in (0..nc).step_by(K::NR) {
                    let nr = K::NR.min(nc - jr);
                    let (panel_b, ldb) = if b_in_place {
                        let first = pc * b.rs + jc + jr;
                        (&b.data[first..first + (kc - 1) * b.rs + K::NR], b.rs)
                    } else {
                        (&pb[jr * kc..(jr + K::NR) * kc], K::NR)
                    };
                    let tile = Tile { mr, nr, ldc, ldb, overwrite };
                    let c_tile = &mut c[ic * ldc + jc + jr..];
                    // SAFETY: the caller runs on `K`'s instruction set.
                    unsafe { K::tile(kc, alpha, (panel_a, a.rs, a.cs), panel_b, c_tile, tile) };
                }
            }
        }
    }
}

/// The part of `C` a micro-kernel call writes: `mr×nr` values, row `r` at
/// `r·ldc`.
#[derive(Clone, Copy)]
struct Tile {
    mr: usize,
    nr: usize,
    ldc: usize,
    /// The distance between two rows of the panel of `B` (NR when packed).
    ldb: usize,
    overwrite: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_products_match_the_loops_for_every_layout_and_instruction_set() {
        for isa in Isa::supported() {
            for (m, n, k) in [
                (7, 19, 5),
                (128, 64, 784),
                (10, 64, 128),
                (64, 33, 300),
                (97, 2100, 3),
                (20, 28, 21),
                (32, 9, 2048),
                (13, 16, 40),
                // The thin kernel's last tile at 4, 8 and 12 rows.
                (6, 9, 40),
                (11, 12, 33),
                (36, 16, 20),
                (25, 17, 300),
                (1, 1, 1),
            ] {
                let a: Vec<f32> = (0..m * k).map(|i| ((i * 7 % 11) as f32 - 5.0) / 8.0).collect();
                let b: Vec<f32> = (0..k * n).map(|i| ((i * 5 % 13) as f32 - 6.0) / 8.0).collect();
                for op_a in [Op::N, Op::T] {
                    for op_b in [Op::N, Op::T] {
                        for accumulate in [true, false] {
                            let p = Product { m, n, k, alpha: 1.5, a: &a, op_a, b: &b, op_b, accumulate };
                            let mut want = vec![0.5f32; m * n];
                            crate::loops::gemm_loops(p, &mut want);
                            let mut got = vec![0.5f32; m * n];
                            sgemm_on(isa, p, &mut got);
                            let worst = got.iter().zip(&want).fold(0f32, |w, (g, h)| w.max((g - h).abs()));
                            let name = isa.name();
                            assert!(
                                worst < 2e-3,
                                "{name} {m}×{n}×{k} {op_a:?}{op_b:?} {accumulate}: {worst}"
                            );
                        }
                    }
                }
            }
        }
    }
}
