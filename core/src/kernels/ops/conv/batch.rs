//! Convolution over a batch held one example per column: a
//! rank-3 example `[C, H, W]` is column `b` of a `[C·H·W × B]` matrix, so
//! element `(c, h, w, b)` sits at `((c·H + h)·W + w)·B + b` and the `B`
//! examples of one position are contiguous.
//!
//! The convolution is three matrix products on the packed kernel
//! `K [F × C·KH·KW]` (PyTorch's and Caffe's im2col scheme):
//! - `col = im2col(x)`, `[C·KH·KW × OH·OW·B]`, each column the window one
//!   output reads;
//! - `y = K col + b`: `[F × OH·OW·B]`, which is already the `[F·OH·OW × B]`
//!   batch of outputs;
//! - `∂K = ∂y colᵀ`, `∂col = Kᵀ ∂y` and `∂x = col2im(∂col)`, the adjoint of
//!   `im2col` (the sum of every window's share), `∂b` the sums of `∂y`'s rows.
//!
//! The products run in the crate's matrix-multiply kernel; `col` and `∂col`
//! are buffers the caller keeps (a net's workspace), so a step allocates
//! nothing.

use crate::Scalar;
use crate::kernel::gemm;
use crate::loops::{Op, Product};

/// The sizes of a convolution over a batch: input `[C, H, W]`, kernels
/// `[F, C, KH, KW]`, output `[F, OH, OW]`, `batch` examples, with a stride
/// and a padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    /// Input channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Kernels (output channels).
    pub f: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Output height.
    pub oh: usize,
    /// Output width.
    pub ow: usize,
    /// Examples in the batch.
    pub batch: usize,
    /// The step between windows.
    pub stride: usize,
    /// Zeros added on every side.
    pub pad: usize,
}

impl ConvGeometry {
    /// Elements of one batch of inputs.
    pub const fn x_len(&self) -> usize {
        self.c * self.h * self.w * self.batch
    }

    /// Elements of the kernels.
    pub const fn k_len(&self) -> usize {
        self.f * self.c * self.kh * self.kw
    }

    /// Elements of one batch of outputs.
    pub const fn y_len(&self) -> usize {
        self.f * self.oh * self.ow * self.batch
    }

    /// Elements of the `im2col` buffer, `[C·KH·KW × OH·OW·B]`.
    pub const fn col_len(&self) -> usize {
        self.c * self.kh * self.kw * self.oh * self.ow * self.batch
    }

    /// Whether the output sides are what stride and padding give, and the
    /// buffers have the lengths of these sizes.
    fn fits(&self, lens: &[(usize, usize)]) -> bool {
        let side = |n: usize, k: usize, o: usize| {
            self.stride > 0 && n + 2 * self.pad >= k && (n + 2 * self.pad - k) / self.stride + 1 == o
        };
        side(self.h, self.kh, self.oh) && side(self.w, self.kw, self.ow) && lens.iter().all(|(a, b)| a == b)
    }

    /// Calls `f(col_start, Some(x_start))` for every contiguous run
    /// `col[r, (i, j, ·)] ↔ x[c, h, w, ·]` of `B` elements that im2col
    /// copies, and `f(col_start, None)` for the runs in the padding.
    #[inline(always)]
    fn runs(&self, mut f: impl FnMut(usize, Option<usize>)) {
        let Self { c, h, w, kh, kw, oh, ow, batch: b, stride: s, pad: p, .. } = *self;
        let n = oh * ow * b;
        for ci in 0..c {
            for u in 0..kh {
                for v in 0..kw {
                    let r = (ci * kh + u) * kw + v;
                    for i in 0..oh {
                        let hi = (i * s + u).checked_sub(p).filter(|&x| x < h);
                        for j in 0..ow {
                            let wj = (j * s + v).checked_sub(p).filter(|&x| x < w);
                            let from = hi.zip(wj).map(|(hi, wj)| ((ci * h + hi) * w + wj) * b);
                            f(r * n + (i * ow + j) * b, from);
                        }
                    }
                }
            }
        }
    }
}

/// `y ← conv2d(x, K) + b` for a batch, `col` left holding `im2col(x)` for
/// [`conv2d_kernel_grad`]. Returns `false`, computing nothing, when a
/// length or a side does not fit `g`.
pub fn conv2d_forward<T: Scalar>(
    g: &ConvGeometry,
    x: &[T],
    k: &[T],
    bias: &[T],
    y: &mut [T],
    col: &mut [T],
) -> bool {
    let lens = [(x.len(), g.x_len()), (k.len(), g.k_len()), (bias.len(), g.f), (y.len(), g.y_len())];
    if !g.fits(&lens) || col.len() != g.col_len() {
        return false;
    }
    im2col(g, x, col);
    let n = g.oh * g.ow * g.batch;
    for (row, &bf) in y.chunks_exact_mut(n).zip(bias) {
        row.fill(bf);
    }
    let m = g.c * g.kh * g.kw;
    gemm(
        Product { m: g.f, n, k: m, alpha: T::ONE, a: k, op_a: Op::N, b: col, op_b: Op::N, accumulate: true },
        y,
    );
    true
}

/// `col ← im2col(x)`, `[C·KH·KW × OH·OW·B]`: column `(i, j, b)` is the
/// window output `(i, j)` of example `b` reads, zero in the padding.
pub fn im2col<T: Scalar>(g: &ConvGeometry, x: &[T], col: &mut [T]) -> bool {
    if !g.fits(&[(x.len(), g.x_len()), (col.len(), g.col_len())]) {
        return false;
    }
    let b = g.batch;
    g.runs(|at, from| match from {
        Some(from) => col[at..at + b].copy_from_slice(&x[from..from + b]),
        None => col[at..at + b].fill(T::ZERO),
    });
    true
}

/// `∂K ← ∂y colᵀ` (overwritten), `col` as [`conv2d_forward`] left it.
pub fn conv2d_kernel_grad<T: Scalar>(g: &ConvGeometry, col: &[T], dy: &[T], dk: &mut [T]) -> bool {
    if !g.fits(&[(col.len(), g.col_len()), (dy.len(), g.y_len()), (dk.len(), g.k_len())]) {
        return false;
    }
    let (n, m) = (g.oh * g.ow * g.batch, g.c * g.kh * g.kw);
    gemm(
        Product {
            m: g.f,
            n: m,
            k: n,
            alpha: T::ONE,
            a: dy,
            op_a: Op::N,
            b: col,
            op_b: Op::T,
            accumulate: false,
        },
        dk,
    );
    true
}

/// `∂b ←` the sums of `∂y`'s rows: over positions and examples.
pub fn conv2d_bias_grad<T: Scalar>(g: &ConvGeometry, dy: &[T], db: &mut [T]) -> bool {
    if !g.fits(&[(dy.len(), g.y_len()), (db.len(), g.f)]) {
        return false;
    }
    let n = g.oh * g.ow * g.batch;
    for (d, row) in db.iter_mut().zip(dy.chunks_exact(n)) {
        *d = sum(row);
    }
    true
}

/// `∂x ← col2im(Kᵀ ∂y)` (overwritten), through the buffer `dcol`.
pub fn conv2d_input_grad<T: Scalar>(
    g: &ConvGeometry,
    k: &[T],
    dy: &[T],
    dx: &mut [T],
    dcol: &mut [T],
) -> bool {
    let lens =
        [(k.len(), g.k_len()), (dy.len(), g.y_len()), (dx.len(), g.x_len()), (dcol.len(), g.col_len())];
    if !g.fits(&lens) {
        return false;
    }
    let (n, m, b) = (g.oh * g.ow * g.batch, g.c * g.kh * g.kw, g.batch);
    gemm(
        Product { m, n, k: g.f, alpha: T::ONE, a: k, op_a: Op::T, b: dy, op_b: Op::N, accumulate: false },
        dcol,
    );
    dx.fill(T::ZERO);
    g.runs(|at, to| {
        if let Some(to) = to {
            for (d, &v) in dx[to..to + b].iter_mut().zip(&dcol[at..at + b]) {
                *d += v;
            }
        }
    });
    true
}

/// The sum of `v`, in eight independent lanes so that it vectorizes.
fn sum<T: Scalar>(v: &[T]) -> T {
    let mut lanes = [T::ZERO; 8];
    let chunks = v.chunks_exact(8);
    let rest = chunks.remainder().iter().fold(T::ZERO, |s, &x| s + x);
    for c in chunks {
        for (l, &x) in lanes.iter_mut().zip(c) {
            *l += x;
        }
    }
    lanes.iter().fold(rest, |s, &x| s + x)
}
