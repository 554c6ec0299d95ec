//! Seeded parameter initialization, the scheme every `net!` uses in `init(seed)`.
//!
//! Weights (params with more than one column) are drawn from the Glorot
//! (Xavier) uniform distribution U(−a, a), a = √(6 / (fan_in + fan_out)),
//! where fan_in is the number of columns and fan_out the number of rows;
//! vectors (biases) start at zero. The generator is PCG-64 (MCG variant),
//! whose output for a seed is fixed across platforms and releases.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use crate::{Dim, Matrix, Scalar};

/// A seeded source of initial parameter values.
///
/// ```
/// use shapegrad_core::{init::Init, typenum::{U3, U4}};
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

    /// The default for a param of shape `[R×C]`: Glorot uniform for a
    /// matrix, zeros for a column vector (a bias).
    pub fn param<R: Dim, C: Dim, T: Scalar>(&mut self) -> Matrix<R, C, T> {
        if C::SIZE == 1 { Matrix::zeros() } else { self.glorot() }
    }
}
