//! The kernels: every operation on matrices with its gradient rule
//! (`ops`), the packed matrix-multiply kernel and its dispatch by
//! instruction set (`kernel`, `isa`), and the SIMD loops.

#[doc(hidden)]
pub mod isa;
pub(crate) mod kernel;
#[cfg(test)]
mod kernel_props;
pub mod ops;
#[cfg(target_arch = "x86_64")]
pub(crate) mod simd;
