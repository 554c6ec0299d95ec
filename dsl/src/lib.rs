//! The stages of shapegrad's `dims!` and `net!` macros as an ordinary
//! library, usable outside a proc-macro: by `shapegrad-macros` (a thin shell
//! over this crate), by the fuzz targets, and by tools that check a net or
//! print its derivation.
//!
//! `net!` runs parse (tokens → syntax tree) → check (a typed graph, every
//! shape error collected) → autodiff (reverse mode, vector-Jacobian products
//! only) → simplify → codegen (Rust) and explain (the derivation as text and
//! LaTeX). Everything works on `proc_macro2` tokens.
//!
//! The entry points:
//! - [`expand_net`] and [`expand_dims`]: the macros' expansions, every bad
//!   input a spanned `compile_error!`;
//! - [`analyze`] and [`analyze_source`]: a net body checked and differentiated,
//!   giving its [`Diagnostic`]s (message, start and end line/column) and each
//!   valid net's [`Derivation`] as data.
//!
//! ```
//! let a = shapegrad_dsl::analyze_source(
//!     "net TwoLayer {
//!         param W1: [H, D]; param b1: [H]; param W2: [C, H]; param b2: [C];
//!         input x: [D]; label y: C;
//!         let z1 = W1 @ x + b1;
//!         let h1 = z1 * sigmoid(z1);
//!         let z2 = W2 @ h1 + b2;
//!         loss softmax_cross_entropy(z2, y);
//!     }",
//! );
//! assert!(a.is_ok());
//! let line = &a.derivations[0].lines[1];
//! assert_eq!((line.adjoint.as_str(), line.expression.as_str(), line.shape.as_str()), ("∂h1", "W2ᵀ ∂z2", "[H]"));
//! ```

mod dims;
mod net;
pub mod page;
mod typenum;

pub use net::analysis::{
    Analysis, Derivation, Diagnostic, LayerPass, Line, Position, analyze, analyze_source,
};
pub use net::values::{NetValues, Value, ValueKind};

use proc_macro2::TokenStream;

/// The expansion of `net! { … }` (given the tokens inside the braces).
/// Never panics on any input: every error is a spanned `compile_error!`,
/// all of an invocation's together.
pub fn expand_net(input: TokenStream) -> TokenStream {
    net::expand(input)
}

/// The expansion of `dims! { … }`.
pub fn expand_dims(input: TokenStream) -> TokenStream {
    dims::expand(input)
}

/// The error a proc-macro emits should an expansion panic (a bug).
pub fn internal_error() -> TokenStream {
    syn::Error::new(
        proc_macro2::Span::call_site(),
        "internal error in `net!` (a bug in shapegrad): please report it with this net",
    )
    .to_compile_error()
}
