//! # shapegrad
//!
//! Neural networks written with shape-typed matrices. Every dimension is a
//! type with a name, so the compiler rejects every dimension error — even a
//! swap of two dimensions of equal size — in the names you chose.
//!
//! ```
//! use shapegrad::prelude::*;
//!
//! dims! {
//!     /// Hidden units.
//!     pub H = 4;
//!     /// Classes.
//!     pub C = 3;
//! }
//!
//! let w2 = Matrix::<C, H>::from_fn(|i, j| (i + j) as f32);
//! let dz2 = Vector::<C>::from_slice(&[0.2, -0.5, 0.3]).unwrap();
//! let dh1: Vector<H> = w2.t() * &dz2; // ∂L/∂h₁ = W₂ᵀ ∂L/∂z₂
//! assert_eq!(dh1.as_slice().len(), H::SIZE);
//! ```
//!
//! Forgetting the transpose — the slip of the homework sheets — does not compile:
//!
//! ```compile_fail
//! use shapegrad::prelude::*;
//! dims! { pub H = 4; pub C = 3; }
//! let w2 = Matrix::<C, H>::zeros();
//! let dz2 = Vector::<C>::zeros();
//! let dh1 = &w2 * &dz2;
//! // error: cannot multiply a [C×H] matrix by a [C×One] matrix: inner dimensions H and C differ
//! ```
//!
//! Even when `M` and `N` have the same size, `W Wᵀ` is not `Wᵀ W`:
//!
//! ```compile_fail
//! use shapegrad::prelude::*;
//! dims! { pub M = 4; pub N = 4; }
//! let w = Matrix::<M, N>::zeros();
//! let x = Vector::<N>::zeros();
//! let v = &(&w * &w.t()) * &x; // [M×M]·[N]: inner dimensions M and N differ
//! ```

pub use shapegrad_core::*;

/// Declares dimensions: one zero-sized type per name, implementing [`Dim`].
///
/// ```
/// use shapegrad::prelude::*;
/// dims! {
///     /// Input features.
///     pub D = 784;
///     pub H = 128;
///     C = 10; // private to the module
/// }
/// assert_eq!((D::SIZE, D::NAME), (784, "D"));
/// let w1 = Matrix::<H, D>::zeros(); // on the heap, whatever its size
/// assert_eq!(w1.as_slice().len(), 128 * 784);
/// ```
///
/// Each type keeps the doc comments written above it. A size of 0, a size
/// that is not an integer literal, or a name declared twice is a compile
/// error under the offending token; every error is reported at once.
/// The generated code names the crate `::shapegrad`, so the dependency must
/// keep that name.
pub use shapegrad_macros::dims;

/// Everything needed to write a model: the matrix types, the dimension trait
/// and macros, class labels, and typenum's numbers as anonymous dims.
///
/// `U1` here is [`One`], the width of a column vector, so `Matrix<N, U1>` is
/// `Vector<N>`.
pub mod prelude {
    pub use shapegrad_core::typenum::consts::*;
    pub use shapegrad_core::{Class, Classes, Dim, Matrix, One, One as U1, Scalar, ShapeError, Vector};
    pub use shapegrad_macros::dims;
}
