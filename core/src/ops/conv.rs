//! 2-D convolution and pooling on rank-3 values (channels, height, width),
//! each with its vector-Jacobian product.
//!
//! `conv2d` is a cross-correlation, as PyTorch's and CS231n's:
//! `y[f, i, j] = b[f] + Σ_{c,u,v} K[f, c, u, v] · x[c, s·i + u − p, s·j + v − p]`,
//! zero outside `x` (`s` the stride, `p` the padding), so an output side is
//! `(n + 2p − k)/s + 1`. Its adjoints: `db[f] = Σ dy[f]`,
//! `dK[f, c, u, v] = Σ_{i,j} dy[f, i, j] · x[c, s·i + u − p, s·j + v − p]`,
//! and `dx` gathers `dy[f, i, j] · K[f, c, u, v]` where `x` was read.
//!
//! `maxpool2d` and `avgpool2d` take `k`×`k` windows with stride `k`; the
//! gradient of a max goes to the first maximum of its window (row-major).
//!
//! The sizes are in the types; a call whose output type does not have the
//! size the rule gives is an error value naming the dims, never a wrong
//! result. (`net!` checks them at compile time.)

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

    /// The input position read by output `i` at kernel offset `u`, if inside.
    #[inline(always)]
    fn source(&self, i: usize, u: usize, n: usize) -> Option<usize> {
        (i * self.stride + u).checked_sub(self.pad).filter(|&h| h < n)
    }

    /// Calls `tap` with every output position `(f, i, j)`, kernel position
    /// `(c, u, v)` and the input position `(h, w)` it reads, padding skipped:
    /// the one walk the forward pass and the adjoints share.
    #[allow(clippy::type_complexity)]
    fn taps<C: Dim, H: Dim, W: Dim, F: Dim, KH: Dim, KW: Dim, OH: Dim, OW: Dim>(
        &self,
        mut tap: impl FnMut((usize, usize, usize), (usize, usize, usize), (usize, usize)),
    ) {
        for f in 0..F::SIZE {
            for i in 0..OH::SIZE {
                for j in 0..OW::SIZE {
                    for c in 0..C::SIZE {
                        for u in 0..KH::SIZE {
                            let Some(h) = self.source(i, u, H::SIZE) else { continue };
                            for v in 0..KW::SIZE {
                                if let Some(w) = self.source(j, v, W::SIZE) {
                                    tap((f, i, j), (c, u, v), (h, w));
                                }
                            }
                        }
                    }
                }
            }
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
        for f in 0..F::SIZE {
            for i in 0..OH::SIZE {
                for j in 0..OW::SIZE {
                    out[(f, i, j)] = b[f];
                }
            }
        }
        self.taps::<C, H, W, F, KH, KW, OH, OW>(|(f, i, j), (c, u, v), (h, w)| {
            out[(f, i, j)] += k[(f, c, u, v)] * x[(c, h, w)];
        });
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
        dx.as_mut_slice().fill(T::ZERO);
        dk.as_mut_slice().fill(T::ZERO);
        for f in 0..F::SIZE {
            let mut bias = T::ZERO;
            for i in 0..OH::SIZE {
                for j in 0..OW::SIZE {
                    bias += dy[(f, i, j)];
                }
            }
            db[f] = bias;
        }
        self.taps::<C, H, W, F, KH, KW, OH, OW>(|(f, i, j), (c, u, v), (h, w)| {
            let g = dy[(f, i, j)];
            dk[(f, c, u, v)] += g * x[(c, h, w)];
            dx[(c, h, w)] += g * k[(f, c, u, v)];
        });
        Ok(())
    }
}

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
        let inv = T::ONE / T::from_usize(k * k);
        for c in 0..C::SIZE {
            for i in 0..OH::SIZE {
                for j in 0..OW::SIZE {
                    let window = (0..k * k).map(|t| x[(c, i * k + t / k, j * k + t % k)]);
                    out[(c, i, j)] = match self {
                        Pool::Max => {
                            window.fold(T::from_f64(f64::NEG_INFINITY), |m, v| if v > m { v } else { m })
                        }
                        Pool::Avg => window.fold(T::ZERO, |s, v| s + v) * inv,
                    };
                }
            }
        }
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
        dx.as_mut_slice().fill(T::ZERO);
        let inv = T::ONE / T::from_usize(k * k);
        for c in 0..C::SIZE {
            for i in 0..OH::SIZE {
                for j in 0..OW::SIZE {
                    let at = |t: usize| (c, i * k + t / k, j * k + t % k);
                    match self {
                        Pool::Max => {
                            let first =
                                (1..k * k).fold(0, |best, t| if x[at(t)] > x[at(best)] { t } else { best });
                            dx[at(first)] += dy[(c, i, j)];
                        }
                        Pool::Avg => (0..k * k).for_each(|t| dx[at(t)] += dy[(c, i, j)] * inv),
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::rng;
    use rand::Rng;

    crate::test_dims! { C = 2; H = 5; W = 7; F = 3; K = 3; OH = 3; OW = 4; PH = 5; PW = 7; H4 = 4; W6 = 6; H2 = 2; W3 = 3; }

    fn random3<A: Dim, B: Dim, D: Dim>(g: &mut rand_pcg::Pcg64Mcg) -> Tensor3<A, B, D, f64> {
        Tensor3::from_fn(|_, _, _| g.random_range(-1.0..1.0))
    }

    /// The convolution written independently: the input copied into a
    /// zero-padded array first, then seven plain loops with no bounds test.
    fn reference(
        x: &Tensor3<C, H, W, f64>,
        k: &Tensor4<F, C, K, K, f64>,
        b: &[f64],
        s: usize,
        p: usize,
    ) -> Vec<f64> {
        let (hp, wp) = (H::SIZE + 2 * p, W::SIZE + 2 * p);
        let mut padded = vec![0.0; C::SIZE * hp * wp];
        for c in 0..C::SIZE {
            for h in 0..H::SIZE {
                for w in 0..W::SIZE {
                    padded[(c * hp + h + p) * wp + w + p] = x[(c, h, w)];
                }
            }
        }
        let (oh, ow) = ((hp - K::SIZE) / s + 1, (wp - K::SIZE) / s + 1);
        let mut y = vec![0.0; F::SIZE * oh * ow];
        for f in 0..F::SIZE {
            for i in 0..oh {
                for j in 0..ow {
                    let mut acc = b[f];
                    for c in 0..C::SIZE {
                        for u in 0..K::SIZE {
                            for v in 0..K::SIZE {
                                acc += k[(f, c, u, v)] * padded[(c * hp + s * i + u) * wp + s * j + v];
                            }
                        }
                    }
                    y[(f * oh + i) * ow + j] = acc;
                }
            }
        }
        y
    }

    /// Central differences of `loss` in each element of `values`.
    fn numeric(values: &mut [f64], mut loss: impl FnMut(&[f64]) -> f64) -> Vec<f64> {
        let eps = 1e-6;
        (0..values.len())
            .map(|i| {
                let keep = values[i];
                values[i] = keep + eps;
                let up = loss(values);
                values[i] = keep - eps;
                let down = loss(values);
                values[i] = keep;
                (up - down) / (2.0 * eps)
            })
            .collect()
    }

    fn close(a: &[f64], b: &[f64], what: &str) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= 1e-7 * (1.0 + y.abs()), "{what}[{i}]: {x} vs {y}");
        }
    }

    /// Forward against the reference, and the three adjoints against finite
    /// differences of `Σ dy ⊙ conv2d(x, K) + b`, for one stride and padding.
    fn check<OHt: Dim, OWt: Dim>(conv: Conv2d) {
        for seed in 0..4 {
            let mut g = rng(seed);
            let x: Tensor3<C, H, W, f64> = random3(&mut g);
            let k = Tensor4::<F, C, K, K, f64>::from_fn(|_, _, _, _| g.random_range(-1.0..1.0));
            let b = Vector::<F, f64>::from_fn(|_, _| g.random_range(-1.0..1.0));
            let dy: Tensor3<F, OHt, OWt, f64> = random3(&mut g);
            let mut y = Tensor3::<F, OHt, OWt, f64>::zeros();
            conv.forward_into(&x, &k, &b, &mut y).unwrap();
            close(y.as_slice(), &reference(&x, &k, b.as_slice(), conv.stride, conv.pad), "y");
            let (mut dx, mut dk, mut db) = (Tensor3::zeros(), Tensor4::zeros(), Vector::zeros());
            conv.vjp_into(&x, &k, &dy, &mut dx, &mut dk, &mut db).unwrap();
            let weighted = |y: Vec<f64>| y.iter().zip(dy.as_slice()).map(|(a, b)| a * b).sum::<f64>();
            let (s, p) = (conv.stride, conv.pad);
            let nx = numeric(&mut x.as_slice().to_vec(), |v| {
                weighted(reference(&Tensor3::from_slice(v).unwrap(), &k, b.as_slice(), s, p))
            });
            let nk = numeric(&mut k.as_slice().to_vec(), |v| {
                weighted(reference(&x, &Tensor4::from_slice(v).unwrap(), b.as_slice(), s, p))
            });
            let nb = numeric(&mut b.as_slice().to_vec(), |v| weighted(reference(&x, &k, v, s, p)));
            close(dx.as_slice(), &nx, "dx");
            close(dk.as_slice(), &nk, "dK");
            close(db.as_slice(), &nb, "db");
        }
    }

    #[test]
    fn conv2d_matches_a_padded_reference_and_finite_differences() {
        // H ≠ W, C > 1: stride 1 pad 0 (3×5), stride 2 pad 0 (2×3), stride 2 pad 1 (3×4), stride 1 pad 1 (5×7).
        crate::test_dims! { O3 = 3; O5 = 5; O2 = 2; }
        check::<O3, O5>(Conv2d { stride: 1, pad: 0 });
        check::<O2, W3>(Conv2d { stride: 2, pad: 0 });
        check::<OH, OW>(Conv2d { stride: 2, pad: 1 });
        check::<PH, PW>(Conv2d { stride: 1, pad: 1 });
    }

    #[test]
    fn a_wrong_output_size_is_an_error_naming_the_dims() {
        let (x, k, b) = (Tensor3::<C, H, W>::zeros(), Tensor4::<F, C, K, K>::zeros(), Vector::<F>::zeros());
        let err = Conv2d::default().forward_into(&x, &k, &b, &mut Tensor3::<F, H, W>::zeros()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "conv2d of a [H×W] input with a 3×3 window, stride 1, pad 0 gives [3×5], but the output is [H×W] = [5×7]"
        );
        let err =
            Pool::Max.forward_into(3, &Tensor3::<C, H4, W6>::zeros(), &mut Tensor3::<C, H2, W3>::zeros());
        assert!(err.unwrap_err().to_string().contains("gives [nothing (the window does not fit)×"));
        assert_eq!(Conv2d { stride: 0, pad: 0 }.out_size(5, 3), None);
        assert_eq!(Conv2d::default().out_size(2, 3), None);
    }

    #[test]
    fn pools_take_the_max_or_mean_and_route_the_gradient() {
        let x = Tensor3::<C, H4, W6, f64>::from_fn(|c, h, w| ((c * 31 + h * 7 + w * 3) % 11) as f64);
        let mut hi = Tensor3::<C, H2, W3, f64>::zeros();
        let mut mean = hi.clone();
        Pool::Max.forward_into(2, &x, &mut hi).unwrap();
        Pool::Avg.forward_into(2, &x, &mut mean).unwrap();
        for (c, i, j) in [(0, 0, 0), (1, 1, 2)] {
            let w = [
                x[(c, 2 * i, 2 * j)],
                x[(c, 2 * i, 2 * j + 1)],
                x[(c, 2 * i + 1, 2 * j)],
                x[(c, 2 * i + 1, 2 * j + 1)],
            ];
            assert_eq!(hi[(c, i, j)], w.iter().cloned().fold(f64::MIN, f64::max));
            assert_eq!(mean[(c, i, j)], w.iter().sum::<f64>() / 4.0);
        }
        // Gradients against finite differences (random inputs: no ties).
        let mut g = rng(9);
        let x: Tensor3<C, H4, W6, f64> = random3(&mut g);
        let dy: Tensor3<C, H2, W3, f64> = random3(&mut g);
        for pool in [Pool::Max, Pool::Avg] {
            let mut dx = Tensor3::zeros();
            pool.vjp_into(2, &x, &dy, &mut dx).unwrap();
            let n = numeric(&mut x.as_slice().to_vec(), |v| {
                let mut y = Tensor3::<C, H2, W3, f64>::zeros();
                pool.forward_into(2, &Tensor3::<C, H4, W6, f64>::from_slice(v).unwrap(), &mut y).unwrap();
                y.as_slice().iter().zip(dy.as_slice()).map(|(a, b)| a * b).sum()
            });
            close(dx.as_slice(), &n, "pool dx");
        }
        // A tie: the gradient goes to the first maximum of the window.
        let flat = Tensor3::<C, H4, W6, f64>::from_element(1.0);
        let mut dx = Tensor3::zeros();
        Pool::Max.vjp_into(2, &flat, &Tensor3::<C, H2, W3, f64>::from_element(1.0), &mut dx).unwrap();
        assert_eq!((dx[(0, 0, 0)], dx[(0, 0, 1)], dx[(0, 1, 0)], dx[(0, 1, 1)]), (1.0, 0.0, 0.0, 0.0));
    }
}
