//! 2-D convolution on rank-3 values (channels, height, width), with its
//! vector-Jacobian product (the pools, which share its layout, in `pool`).
//!
//! `conv2d` is a cross-correlation, as PyTorch's and CS231n's:
//! `y[f, i, j] = b[f] + Σ_{c,u,v} K[f, c, u, v] · x[c, s·i + u − p, s·j + v − p]`,
//! zero outside `x` (`s` the stride, `p` the padding), so an output side is
//! `(n + 2p − k)/s + 1`. Its adjoints: `db[f] = Σ dy[f]`,
//! `dK[f, c, u, v] = Σ_{i,j} dy[f, i, j] · x[c, s·i + u − p, s·j + v − p]`,
//! and `dx` gathers `dy[f, i, j] · K[f, c, u, v]` where `x` was read.
//!
//! The sizes are in the types; a call whose output type does not have the
//! size the rule gives is an error value naming the dims, never a wrong
//! result. (`net!` checks them at compile time.)

mod batch;

pub use batch::{
    ConvGeometry, conv2d_bias_grad, conv2d_forward, conv2d_input_grad, conv2d_kernel_grad, im2col,
};

use crate::error::ConvMismatch;
use crate::{Dim, Scalar, ShapeError, Tensor3, Tensor4, Vector};

/// The stride and zero padding of a convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2d {
    /// The step between two windows (at least 1).
    pub stride: usize,
    /// The zeros added on every side of the input.
    pub pad: usize,
}

impl Default for Conv2d {
    /// Stride 1, no padding.
    fn default() -> Self {
        Conv2d { stride: 1, pad: 0 }
    }
}

impl Conv2d {
    /// The output side for an input side `n` and a kernel side `k`:
    /// `(n + 2p − k)/s + 1`, or `None` when the kernel does not fit or the
    /// stride is 0.
    pub fn out_size(&self, n: usize, k: usize) -> Option<usize> {
        let padded = n + 2 * self.pad;
        (self.stride > 0 && padded >= k).then(|| (padded - k) / self.stride + 1)
    }

    /// The output shape's error, if `OH`×`OW` is not what this convolution
    /// gives for an `H`×`W` input and `KH`×`KW` kernels.
    fn check<H: Dim, W: Dim, KH: Dim, KW: Dim, OH: Dim, OW: Dim>(
        &self,
        op: &'static str,
    ) -> Result<(), ShapeError> {
        let want = (self.out_size(H::SIZE, KH::SIZE), self.out_size(W::SIZE, KW::SIZE));
        if want == (Some(OH::SIZE), Some(OW::SIZE)) {
            return Ok(());
        }
        Err(ShapeError::ConvOutput(Box::new(ConvMismatch {
            op,
            input: [H::NAME, W::NAME],
            kernel: [KH::SIZE, KW::SIZE],
            stride: self.stride,
            pad: self.pad,
            expected: want,
            output: [OH::NAME, OW::NAME],
            found: (OH::SIZE, OW::SIZE),
        })))
    }

    /// The geometry of one example.
    fn geometry<C: Dim, H: Dim, W: Dim, F: Dim, KH: Dim, KW: Dim, OH: Dim, OW: Dim>(&self) -> ConvGeometry {
        ConvGeometry {
            c: C::SIZE,
            h: H::SIZE,
            w: W::SIZE,
            f: F::SIZE,
            kh: KH::SIZE,
            kw: KW::SIZE,
            oh: OH::SIZE,
            ow: OW::SIZE,
            batch: 1,
            stride: self.stride,
            pad: self.pad,
        }
    }

    /// `out ← conv2d(x, K) + b`.
    ///
    /// # Errors
    /// [`ShapeError::ConvOutput`] when `OH`×`OW` is not the output size.
    pub fn forward_into<C: Dim, H: Dim, W: Dim, F: Dim, KH: Dim, KW: Dim, OH: Dim, OW: Dim, T: Scalar>(
        &self,
        x: &Tensor3<C, H, W, T>,
        k: &Tensor4<F, C, KH, KW, T>,
        b: &Vector<F, T>,
        out: &mut Tensor3<F, OH, OW, T>,
    ) -> Result<(), ShapeError> {
        self.check::<H, W, KH, KW, OH, OW>("conv2d")?;
        let g = self.geometry::<C, H, W, F, KH, KW, OH, OW>();
        let mut col = vec![T::ZERO; g.col_len()];
        batch::conv2d_forward(&g, x.as_slice(), k.as_slice(), b.as_slice(), out.as_mut_slice(), &mut col);
        Ok(())
    }

    /// The adjoints of `y = conv2d(x, K) + b` given `dy`, written into `dx`,
    /// `dk` and `db` (overwritten).
    ///
    /// # Errors
    /// [`ShapeError::ConvOutput`] when `OH`×`OW` is not the output size.
    #[allow(clippy::too_many_arguments)]
    pub fn vjp_into<C: Dim, H: Dim, W: Dim, F: Dim, KH: Dim, KW: Dim, OH: Dim, OW: Dim, T: Scalar>(
        &self,
        x: &Tensor3<C, H, W, T>,
        k: &Tensor4<F, C, KH, KW, T>,
        dy: &Tensor3<F, OH, OW, T>,
        dx: &mut Tensor3<C, H, W, T>,
        dk: &mut Tensor4<F, C, KH, KW, T>,
        db: &mut Vector<F, T>,
    ) -> Result<(), ShapeError> {
        self.check::<H, W, KH, KW, OH, OW>("conv2d")?;
        let g = self.geometry::<C, H, W, F, KH, KW, OH, OW>();
        let mut col = vec![T::ZERO; g.col_len()];
        batch::im2col(&g, x.as_slice(), &mut col);
        batch::conv2d_kernel_grad(&g, &col, dy.as_slice(), dk.as_mut_slice());
        batch::conv2d_bias_grad(&g, dy.as_slice(), db.as_mut_slice());
        batch::conv2d_input_grad(&g, k.as_slice(), dy.as_slice(), dx.as_mut_slice(), &mut col);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
