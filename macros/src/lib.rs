//! The `dims!` and `net!` macros of shapegrad. Use them through the
//! `shapegrad` crate, whose documentation describes them. This crate is a thin
//! shell over `shapegrad-dsl`, where every stage lives and is tested without a
//! compiler.

use proc_macro::TokenStream;

/// Declares nominal dimension types: `dims! { pub H = 128; }`.
/// See `shapegrad::dims!` for the documentation.
#[proc_macro]
pub fn dims(input: TokenStream) -> TokenStream {
    shapegrad_dsl::expand_dims(input.into()).into()
}

/// Declares a network; see `shapegrad::net!` for the documentation.
#[proc_macro]
pub fn net(input: TokenStream) -> TokenStream {
    // The expansion never panics on any input (the fuzz targets hold it to
    // that); should a bug make it panic, the user still gets an error at the
    // invocation rather than a crashed compiler.
    let input: proc_macro2::TokenStream = input.into();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| shapegrad_dsl::expand_net(input))) {
        Ok(out) => out.into(),
        Err(_) => shapegrad_dsl::internal_error().into(),
    }
}
