//! The shape-typed core of shapegrad: nominal dimensions, matrices whose
//! shape is part of their type (inline when small, boxed when large), every
//! operation a network needs with its gradient rule, and compile errors that name the dims.
//!
//! Most users want the `shapegrad` crate, which re-exports all of this and adds
//! the `dims!` and `net!` macros.
//!
//! ```
//! use shapegrad::prelude::*;
//! let w = Matrix::<U2, U3>::from_fn(|i, j| (i + j) as f32);
//! let x = Vector::<U3>::from_slice(&[1.0, 2.0, 3.0]).unwrap();
//! let z: Vector<U2> = &w * &x;
//! assert_eq!(z.as_slice(), &[8.0, 14.0]);
//! ```
//!
//! A product whose inner dimensions differ is rejected by the compiler:
//!
//! ```compile_fail
//! use shapegrad::prelude::*;
//! let w = Matrix::<U2, U3>::zeros();
//! let x = Vector::<U2>::zeros();
//! let _ = &w * &x; // cannot multiply a [2×3] matrix by a [2×1] matrix
//! ```

#![warn(missing_docs)]

// The layout: what a user calls (`api`), what generated code calls at run
// time (`runtime`), and the kernels (`kernels`); every module keeps its
// path at the root.
mod api;
mod kernels;
mod runtime;
#[cfg(test)]
mod testing;

pub use api::{
    check, data, derivation, dim, eval, fit, init, io, model, onnx, optim, random, running, sequences, shape,
    summary,
};
use api::{class, error, matrix, scalar, tensor};
#[doc(hidden)]
pub use kernels::isa;
use kernels::kernel;
pub use kernels::ops;
#[cfg(target_arch = "x86_64")]
use kernels::simd;
#[cfg(feature = "parallel")]
pub use runtime::parallel;
pub use runtime::{grads, steps, storage, values, workspace};
use runtime::{loops, recycle};

pub use class::{Class, Classes};
pub use derivation::Derivation;
pub use dim::{Dim, DimDiff, DimProd, DimQuot, DimSum, One};
pub use error::{ConvMismatch, ShapeError};
pub use matrix::{Matrix, Vector};
pub use scalar::Scalar;
pub use sequences::Sequences;
pub use tensor::{Tensor3, Tensor4};

/// The number of threads large products use: with the `parallel` feature,
/// `SHAPEGRAD_THREADS` when set, else every core the process may run on
/// (read once; see the `parallel` module), at most the cap of
/// [`set_threads`]; without it, 1.
pub fn threads() -> usize {
    #[cfg(feature = "parallel")]
    {
        parallel::threads()
    }
    #[cfg(not(feature = "parallel"))]
    {
        1
    }
}

/// Caps the threads large products use at `n` from now on (`0` lifts the
/// cap), for every thread of the process: `set_threads(1)` runs each
/// product on the thread that calls it, for example to compare one core
/// with all of them in one process. Without the `parallel` feature products
/// use one thread whatever the cap.
///
/// ```
/// shapegrad::set_threads(1);
/// assert_eq!(shapegrad::threads(), 1);
/// shapegrad::set_threads(0); // every core again (with `parallel`)
/// assert!(shapegrad::threads() >= 1);
/// ```
pub fn set_threads(n: usize) {
    #[cfg(feature = "parallel")]
    parallel::set_threads(n);
    #[cfg(not(feature = "parallel"))]
    let _ = n;
}

/// The instruction set of the kernel large `f32` matrix products run on
/// this processor: `"AVX-512"`, `"AVX2+FMA"` or `"portable"` (chosen at run
/// time; the environment variable `SHAPEGRAD_KERNEL=avx2` or `=portable`,
/// read once, caps it, for comparing the paths).
pub fn kernel_isa() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if let Some(isa) = simd::chosen() {
        return isa.name();
    }
    "portable"
}

/// For the code `net!` generates: whether its methods run their copies
/// compiled for AVX2 and FMA (the processor has both, and
/// `SHAPEGRAD_KERNEL=portable` does not ask for the baseline code).
#[doc(hidden)]
#[inline(always)]
pub fn __avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        simd::avx2_available()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

// The dims' machinery, for code that `dims!` and `net!` generate; hidden
// from the documentation's item lists. (generic-array is no part of the
// API: re-exported, rustdoc listed it in the crate index, hidden or not.)
#[doc(hidden)]
pub use typenum;
