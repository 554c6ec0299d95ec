//! The `dims!` and `net!` macros of shapegrad. Use them through the
//! `shapegrad` crate, whose documentation describes them; this crate only
//! holds their implementation, which works on `proc_macro2` tokens so that
//! every stage is unit-tested without a compiler.

mod dims;
mod net;
mod typenum;

use proc_macro::TokenStream;

/// Declares nominal dimension types: `dims! { pub H = 128; }`.
/// See `shapegrad::dims!` for the documentation.
#[proc_macro]
pub fn dims(input: TokenStream) -> TokenStream {
    dims::expand(input.into()).into()
}

/// Declares a network; see `shapegrad::net!` for the documentation.
#[proc_macro]
pub fn net(input: TokenStream) -> TokenStream {
    // The expansion never panics on any input; should a bug make it panic,
    // the user still gets an error at the invocation rather than a crash.
    let input: proc_macro2::TokenStream = input.into();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| net::expand(input))) {
        Ok(out) => out.into(),
        Err(_) => syn::Error::new(
            proc_macro2::Span::call_site(),
            "internal error in `net!` (a bug in shapegrad): please report it with this net",
        )
        .to_compile_error()
        .into(),
    }
}
