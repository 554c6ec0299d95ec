//! The `dims!` and `net!` macros of shapegrad. Use them through the
//! `shapegrad` crate, whose documentation describes them; this crate only
//! holds their implementation, which works on `proc_macro2` tokens so that
//! every stage is unit-tested without a compiler.

mod dims;

use proc_macro::TokenStream;

/// Declares nominal dimension types: `dims! { pub H = 128; }`.
/// See `shapegrad::dims!` for the documentation.
#[proc_macro]
pub fn dims(input: TokenStream) -> TokenStream {
    dims::expand(input.into()).into()
}
