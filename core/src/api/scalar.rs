//! The element types a [`Matrix`](crate::Matrix) can hold.

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A real floating-point element type: `f32` or `f64`.
///
/// The trait is sealed: the gradient rules rely on IEEE semantics (infinities,
/// `exp` overflow) that only these two types provide.
pub trait Scalar:
    Copy
    + Default
    + Debug
    + Display
    + PartialEq
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + sealed::Sealed
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Machine epsilon.
    const EPSILON: Self;
    /// The type's name as Rust spells it (`"f32"`, `"f64"`).
    const NAME: &'static str;
    /// The type's name as safetensors and NumPy spell it (`"F32"`, `"F64"`).
    const NAME_UPPER: &'static str;

    /// Converts from `f64`, rounding to nearest.
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// Converts a count or index.
    fn from_usize(v: usize) -> Self {
        Self::from_f64(v as f64)
    }
    /// eˣ.
    fn exp(self) -> Self;
    /// eˣ without branches, so loops over it vectorize: for `f32` a
    /// polynomial within 2 ulp of `exp` on [−87.3, 88.3], 0 below that range
    /// (where `exp` is subnormal) and e⁸⁸·³ above it; for `f64`, `exp`.
    fn exp_fast(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// `self` to the power `p` (a real exponent).
    fn powf(self, p: Self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// Hyperbolic tangent; for `f32` without branches (see `tanh_f32`), so
    /// loops over it vectorize.
    fn tanh(self) -> Self;
    /// The larger of two values (the other one if either is NaN).
    fn max(self, other: Self) -> Self;
    /// The smaller of two values (the other one if either is NaN).
    fn min(self, other: Self) -> Self;
    /// Whether the value is neither infinite nor NaN.
    fn is_finite(self) -> bool;
    /// `self·a + b` with one rounding: one instruction in code compiled
    /// for FMA, a library call elsewhere (so only the generated methods'
    /// AVX2 copy uses it).
    fn mul_add(self, a: Self, b: Self) -> Self;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

macro_rules! impl_scalar {
    ($t:ident, $upper:literal, $exp_fast:expr, $tanh:expr) => {
        impl Scalar for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const EPSILON: Self = $t::EPSILON;
            const NAME: &'static str = stringify!($t);
            const NAME_UPPER: &'static str = $upper;

            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $t::exp(self)
            }
            #[inline(always)]
            fn exp_fast(self) -> Self {
                $exp_fast(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                $t::ln(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline(always)]
            fn powf(self, p: Self) -> Self {
                $t::powf(self, p)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                $t::min(self, other)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                $t::mul_add(self, a, b)
            }
        }
    };
}

impl_scalar!(f32, "F32", exp_f32, tanh_f32);
impl_scalar!(f64, "F64", f64::exp, f64::tanh);

/// tanh x in `f32` without branches, within 2 ulp of the library's (whose
/// scalar call was a quarter of an LSTM's training step): Cephes' odd
/// polynomial x + x³P(x²) below |x| = 0.625, 1 − 2/(e²ˣ + 1) with `exp_f32`
/// above it (no cancellation there), ±1 from |x| = 10 on; both computed, one
/// selected.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients, as published.
fn tanh_f32(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let mut p = -5.704_988_7e-3f32;
    p = p * z + 2.063_908_9e-2;
    p = p * z - 5.373_971_6e-2;
    p = p * z + 0.133_314_42;
    p = p * z - 0.333_332_82;
    let small = p * z * x + x;
    let e = exp_f32(2.0 * a.min(10.0));
    let large = 1.0 - 2.0 / (e + 1.0);
    let large = if x < 0.0 { -large } else { large };
    // (NaN takes the polynomial, which keeps it.)
    if a < 0.625 || a.is_nan() { small } else { large }
}

/// eˣ in `f32` without branches: x = n·ln 2 + r with |r| ≤ ½ ln 2 (Cody and
/// Waite's two-part ln 2), eʳ by Cephes' degree-5 minimax polynomial, and 2ⁿ
/// written into the exponent bits. Rounding to the nearest n by adding and
/// subtracting 1.5·2²³ needs no rounding instruction, so it vectorizes on
/// plain SSE2.
#[inline(always)]
fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const ROUND: f32 = 12_582_912.0; // 1.5·2²³
    // Below −87.3 the result would be subnormal: 0 instead (a select, not a
    // branch), so softmax of logits far apart gives exact zeros.
    let underflow = x < -87.3;
    let x = x.clamp(-87.3, 88.3);
    let shifted = x * LOG2E + ROUND;
    let n = shifted - ROUND;
    // n is a whole number in [−126, 128], held in the low mantissa bits of
    // `shifted`: reading it from there rather than with `as i32` (a
    // saturating conversion, scalar before SSE4.1) keeps the loop vectorized.
    let k = shifted.to_bits() as i32 - ROUND.to_bits() as i32;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_2e-4f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_65;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    let y = e * f32::from_bits(((k + 127) as u32) << 23);
    if underflow { 0.0 } else { y }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_is_within_two_ulp_of_the_library() {
        let mut worst = 0.0f64;
        let mut x = -12.0f32;
        while x < 12.0 {
            let (fast, libm) = (tanh_f32(x), x.tanh());
            let ulp = f64::from(libm.abs().max(f32::MIN_POSITIVE) * f32::EPSILON);
            worst = worst.max(f64::from((fast - libm).abs()) / ulp);
            x += 0.000_37;
        }
        assert!(worst <= 2.0, "{worst} ulp");
        assert_eq!(tanh_f32(0.0), 0.0);
        assert_eq!(tanh_f32(1e-30), 1e-30);
        assert_eq!((tanh_f32(100.0), tanh_f32(-100.0)), (1.0, -1.0));
        assert!(tanh_f32(f32::NAN).is_nan());
    }

    #[test]
    fn exp_fast_is_within_two_ulp_of_exp() {
        let mut worst = 0.0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let (fast, libm) = (exp_f32(x), x.exp());
            worst = worst.max(f64::from((fast - libm).abs()) / f64::from(libm * f32::EPSILON));
            x += 0.001_7;
        }
        assert!(worst <= 2.0, "{worst} ulp");
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(-87.2) > 0.0 && exp_f32(-87.4) == 0.0 && exp_f32(-1e4) == 0.0);
        assert!(exp_f32(1e4).is_finite() && exp_f32(1e4) > 1e38);
        assert!(exp_f32(f32::NAN).is_nan());
        assert!(exp_f32(f32::NEG_INFINITY) == 0.0 && exp_f32(f32::INFINITY).is_finite());
    }
}
