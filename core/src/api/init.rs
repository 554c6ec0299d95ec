//! Seeded parameter initialization, the scheme every `net!` uses in `init(seed)`.
//!
//! Weights (params with more than one column) are drawn from the Glorot
//! (Xavier) uniform distribution U(−a, a), a = √(6 / (fan_in + fan_out)),
//! where fan_in is the number of columns and fan_out the number of rows;
//! vectors (biases) and rank-3 params start at zero; convolution kernels
//! `[F, C, KH, KW]` are Glorot uniform with fan_in = C·KH·KW and
//! fan_out = F·KH·KW. The generator is PCG-64 (MCG variant),
//! whose output for a seed is fixed across platforms and releases.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use crate::values::Values;
use crate::{Dim, Matrix, Scalar};

/// A seeded source of initial parameter values.
///
/// ```
/// use shapegrad::init::Init; use shapegrad::prelude::*;
/// let mut a = Init::new(7);
/// let mut b = Init::new(7);
/// let w = a.glorot::<U3, U4, f32>();
/// assert_eq!(w, b.glorot::<U3, U4, f32>()); // same seed, same values
/// let bound = (6.0f32 / 7.0).sqrt();
/// assert!(w.as_slice().iter().all(|x| x.abs() <= bound));
/// ```
pub struct Init {
    rng: Pcg64Mcg,
}

impl Init {
    /// A source seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Init { rng: Pcg64Mcg::seed_from_u64(seed) }
    }

    /// A matrix drawn from U(−a, a), a = √(6 / (R + C)).
    pub fn glorot<R: Dim, C: Dim, T: Scalar>(&mut self) -> Matrix<R, C, T> {
        let a = (6.0 / (R::SIZE + C::SIZE) as f64).sqrt();
        self.uniform(-a, a)
    }

    /// A matrix drawn from U(lo, hi).
    pub fn uniform<R: Dim, C: Dim, T: Scalar>(&mut self, lo: f64, hi: f64) -> Matrix<R, C, T> {
        Matrix::from_fn(|_, _| T::from_f64(self.rng.random_range(lo..hi)))
    }

    /// The default for a param: for a matrix `[R×C]` Glorot uniform, for a
    /// column vector (a bias) or a rank-3 value zeros, for convolution
    /// kernels `[F×C×KH×KW]` Glorot uniform with fan_in = C·KH·KW and
    /// fan_out = F·KH·KW.
    pub fn param<V: Values<T>, T: Scalar>(&mut self) -> V {
        V::init(self)
    }

    /// Every element of `values` drawn from U(lo, hi).
    pub fn fill_uniform<T: Scalar>(&mut self, values: &mut [T], lo: f64, hi: f64) {
        for v in values {
            *v = T::from_f64(self.rng.random_range(lo..hi));
        }
    }
}
