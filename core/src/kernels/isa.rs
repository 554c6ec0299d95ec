//! Instruction-set tokens, for the code `net!` generates. Each generated
//! method exists in a copy compiled for the baseline instruction set and
//! one compiled for AVX2 and FMA; the copies share one body, which takes a
//! token saying which copy it runs in. Ops given [`Avx2`] run code written
//! for those instructions (small `f32` products in fused multiply-adds,
//! inlined into the copy); ops given [`Portable`] run plain loops.
//!
//! A token is proof: [`Avx2`] can only be had from [`Avx2::detect`], so
//! code holding one may use AVX2 and FMA without further checks.
//!
//! ```
//! use shapegrad::isa::{Avx2, Isa, Portable};
//! assert!(Portable.avx2().is_none());
//! if let Some(t) = Avx2::detect() {
//!     assert!(t.avx2().is_some());
//! }
//! ```

/// Which code an op may run: [`Portable`] or [`Avx2`].
pub trait Isa: Copy {
    /// The AVX2 token, when this is one.
    fn avx2(self) -> Option<Avx2>;
}

/// The baseline instruction set: plain loops.
#[derive(Clone, Copy, Debug, Default)]
pub struct Portable;

impl Isa for Portable {
    #[inline(always)]
    fn avx2(self) -> Option<Avx2> {
        None
    }
}

/// Proof that this processor has AVX2 and FMA (and that
/// `SHAPEGRAD_KERNEL=portable` did not ask for the baseline code).
#[derive(Clone, Copy, Debug)]
pub struct Avx2 {
    _proof: (),
}

impl Avx2 {
    /// The token, when the processor has AVX2 and FMA and they are not
    /// turned off by `SHAPEGRAD_KERNEL=portable` (checked once).
    #[inline(always)]
    pub fn detect() -> Option<Avx2> {
        crate::__avx2_fma().then_some(Avx2 { _proof: () })
    }
}

impl Isa for Avx2 {
    #[inline(always)]
    fn avx2(self) -> Option<Avx2> {
        Some(self)
    }
}
