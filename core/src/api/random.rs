//! [`Rng`]: the seeded generator the training methods of a net with
//! `dropout` take, so that a run is reproducible.

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

use crate::Scalar;

/// A seeded random generator (PCG-64, MCG variant: the same stream for a
/// seed on every platform and release).
///
/// ```
/// use shapegrad::random::Rng;
/// let (mut a, mut b) = (Rng::seed(7), Rng::seed(7));
/// let (mut m1, mut m2) = ([0f32; 8], [0f32; 8]);
/// a.dropout_mask(0.5, &mut m1);
/// b.dropout_mask(0.5, &mut m2);
/// assert_eq!(m1, m2);
/// assert!(m1.iter().all(|&v| v == 0.0 || v == 2.0));
/// ```
#[derive(Clone, Debug)]
pub struct Rng(Pcg64Mcg);

impl Rng {
    /// The generator for `seed`.
    pub fn seed(seed: u64) -> Self {
        Rng(Pcg64Mcg::seed_from_u64(seed))
    }

    /// A uniform draw in `[0, 1)`.
    ///
    /// ```
    /// let u = shapegrad::random::Rng::seed(1).uniform();
    /// assert!((0.0..1.0).contains(&u));
    /// ```
    pub fn uniform(&mut self) -> f64 {
        rand::Rng::random::<f64>(&mut self.0)
    }

    /// Fills `mask` for inverted dropout with drop probability `p`: each
    /// value `1/(1 − p)` with probability `1 − p`, else 0.
    pub fn dropout_mask<T: Scalar>(&mut self, p: f64, mask: &mut [T]) {
        crate::ops::norm::dropout_mask(&mut self.0, p, mask);
    }
}
