//! `maxpool2d` and `avgpool2d` on rank-3 values (channels, height, width):
//! `k`×`k` windows with stride `k`, each with its vector-Jacobian product.
//! The gradient of a max goes to the first maximum of its window
//! (row-major); a mean's is spread evenly over it.
//!
//! The kernels work on a batch held one example per column, as the
//! convolution's (`conv`): element `(c, h, w, b)` at `((c·H + h)·W + w)·B + b`.
//! A call whose output type does not have the size `H/k`×`W/k` is an error
//! value naming the dims, never a wrong result.

use crate::error::ConvMismatch;
use crate::{Dim, Scalar, ShapeError, Tensor3};

/// `k`×`k` pooling with stride `k`: `Max` or `Avg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pool {
    /// The largest value of each window.
    Max,
    /// The mean of each window.
    Avg,
}

impl Pool {
    fn check<H: Dim, W: Dim, OH: Dim, OW: Dim>(self, k: usize) -> Result<(), ShapeError> {
        let fits = k > 0 && H::SIZE % k == 0 && W::SIZE % k == 0;
        if fits && OH::SIZE * k == H::SIZE && OW::SIZE * k == W::SIZE {
            return Ok(());
        }
        let op = if self == Pool::Max { "maxpool2d" } else { "avgpool2d" };
        let expected = if fits { (Some(H::SIZE / k), Some(W::SIZE / k)) } else { (None, None) };
        Err(ShapeError::ConvOutput(Box::new(ConvMismatch {
            op,
            input: [H::NAME, W::NAME],
            kernel: [k, k],
            stride: k,
            pad: 0,
            expected,
            output: [OH::NAME, OW::NAME],
            found: (OH::SIZE, OW::SIZE),
        })))
    }

    /// `out ← pool(x)` over `k`×`k` windows, stride `k`.
    ///
    /// # Errors
    /// [`ShapeError::ConvOutput`] when `k` does not divide `H` and `W`, or
    /// `OH`×`OW` is not `H/k`×`W/k`.
    pub fn forward_into<C: Dim, H: Dim, W: Dim, OH: Dim, OW: Dim, T: Scalar>(
        self,
        k: usize,
        x: &Tensor3<C, H, W, T>,
        out: &mut Tensor3<C, OH, OW, T>,
    ) -> Result<(), ShapeError> {
        self.check::<H, W, OH, OW>(k)?;
        let g = PoolGeometry { c: C::SIZE, h: H::SIZE, w: W::SIZE, k, batch: 1 };
        pool_forward(&g, self == Pool::Max, x.as_slice(), out.as_mut_slice());
        Ok(())
    }

    /// `dx` (overwritten): each `dy` to the first maximum of its window, or
    /// spread evenly over it.
    ///
    /// # Errors
    /// As [`Pool::forward_into`].
    pub fn vjp_into<C: Dim, H: Dim, W: Dim, OH: Dim, OW: Dim, T: Scalar>(
        self,
        k: usize,
        x: &Tensor3<C, H, W, T>,
        dy: &Tensor3<C, OH, OW, T>,
        dx: &mut Tensor3<C, H, W, T>,
    ) -> Result<(), ShapeError> {
        self.check::<H, W, OH, OW>(k)?;
        let g = PoolGeometry { c: C::SIZE, h: H::SIZE, w: W::SIZE, k, batch: 1 };
        let mut y = vec![T::ZERO; C::SIZE * OH::SIZE * OW::SIZE];
        let max = self == Pool::Max;
        pool_forward(&g, max, x.as_slice(), &mut y);
        pool_backward(&g, max, x.as_slice(), &y, dy.as_slice(), dx.as_mut_slice());
        Ok(())
    }
}

/// The sizes of a `k`×`k` pooling (stride `k`) over a batch of `[C, H, W]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolGeometry {
    /// Input channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// The window side (and stride).
    pub k: usize,
    /// Examples in the batch.
    pub batch: usize,
}

impl PoolGeometry {
    fn fits(&self, x: usize, y: usize) -> bool {
        let Self { c, h, w, k, batch } = *self;
        k > 0 && h % k == 0 && w % k == 0 && x == c * h * w * batch && y == c * (h / k) * (w / k) * batch
    }

    /// Calls `f(y_start, x_start)` for every output position and every
    /// element of its window (row-major within the window), each a run of `B`.
    #[inline(always)]
    fn windows(&self, mut f: impl FnMut(usize, usize, bool)) {
        let Self { c, h, w, k, batch: b } = *self;
        let (oh, ow) = (h / k, w / k);
        for ci in 0..c {
            for i in 0..oh {
                for j in 0..ow {
                    let at = ((ci * oh + i) * ow + j) * b;
                    for t in 0..k * k {
                        f(at, ((ci * h + i * k + t / k) * w + j * k + t % k) * b, t == 0);
                    }
                }
            }
        }
    }
}

/// `y ←` the max (`max == true`) or the mean of each window, in one pass.
pub fn pool_forward<T: Scalar>(g: &PoolGeometry, max: bool, x: &[T], y: &mut [T]) -> bool {
    if !g.fits(x.len(), y.len()) {
        return false;
    }
    let (b, inv) = (g.batch, T::ONE / T::from_usize(g.k * g.k));
    g.windows(|at, from, first| {
        let (out, inp) = (&mut y[at..at + b], &x[from..from + b]);
        if first {
            out.copy_from_slice(inp);
        } else if max {
            out.iter_mut().zip(inp).for_each(|(o, &v)| *o = if v > *o { v } else { *o });
        } else {
            out.iter_mut().zip(inp).for_each(|(o, &v)| *o += v);
        }
    });
    if !max {
        y.iter_mut().for_each(|v| *v *= inv);
    }
    true
}

/// `∂x ←` (overwritten) each `∂y` to the first maximum of its window
/// (`max`, where `x` equals `y`), or spread evenly over it.
pub fn pool_backward<T: Scalar>(
    g: &PoolGeometry,
    max: bool,
    x: &[T],
    y: &[T],
    dy: &[T],
    dx: &mut [T],
) -> bool {
    if !g.fits(x.len(), y.len()) || dy.len() != y.len() || dx.len() != x.len() {
        return false;
    }
    let (b, inv) = (g.batch, T::ONE / T::from_usize(g.k * g.k));
    if !max {
        g.windows(|at, to, _| {
            dx[to..to + b].iter_mut().zip(&dy[at..at + b]).for_each(|(d, &v)| *d = v * inv)
        });
        return true;
    }
    // Per window and example, the part of `dy` not routed yet: all of it
    // until the first maximum, then 0. Every element of `dx` is written once
    // (the windows tile `x`), with selects only, so the loop over the
    // examples of a window element vectorizes.
    let PoolGeometry { c, h, w, k, .. } = *g;
    let (oh, ow) = (h / k, w / k);
    let mut rest = [T::ZERO; 64];
    for start in (0..b).step_by(rest.len()) {
        let width = (b - start).min(rest.len());
        let rest = &mut rest[..width];
        for ci in 0..c {
            for i in 0..oh {
                for j in 0..ow {
                    let o = ((ci * oh + i) * ow + j) * b + start;
                    let (ys, dys) = (&y[o..o + width], &dy[o..o + width]);
                    rest.copy_from_slice(dys);
                    for t in 0..k * k {
                        let at = ((ci * h + i * k + t / k) * w + j * k + t % k) * b + start;
                        let (xs, ds) = (&x[at..at + width], &mut dx[at..at + width]);
                        for (((d, r), &xv), &yv) in ds.iter_mut().zip(rest.iter_mut()).zip(xs).zip(ys) {
                            let hit = xv == yv;
                            *d = if hit { *r } else { T::ZERO };
                            *r = if hit { T::ZERO } else { *r };
                        }
                    }
                }
            }
        }
    }
    true
}
