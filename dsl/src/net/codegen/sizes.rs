//! The checks of derived sizes that only the compiler can make (a pool
//! window dividing `H`, a kernel fitting in the padded input): each is a
//! bound on a marker type named after its `let`, whose failure shows the
//! check's message under the call, in the user's dims.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::Codegen;
use crate::net::check::SizeBound;

impl Codegen<'_> {
    pub(super) fn size_checks(&self) -> TokenStream {
        let mut out = TokenStream::new();
        for c in &self.m.size_checks {
            let marker = proc_macro2::Ident::new(&sanitize(&c.marker), c.first);
            let (a, b, bound) = match &c.bound {
                SizeBound::Divides(a, k) => {
                    let k = crate::typenum::spelling(*k);
                    (
                        a,
                        quote!(::shapegrad::One),
                        quote!(::core::ops::Rem<#k, Output = ::shapegrad::typenum::U0>),
                    )
                }
                SizeBound::AtLeast(a, b) => (
                    a,
                    b.clone(),
                    quote!(::shapegrad::typenum::IsGreaterOrEqual<<X::B as ::shapegrad::Dim>::Size, Output = ::shapegrad::typenum::B1>),
                ),
            };
            let msg = &c.msg;
            // Spanned at the call: rustc puts the error and its notes there.
            out.extend(quote_spanned! {c.first=>
                #[allow(dead_code, non_camel_case_types)]
                const _: () = {
                    struct #marker;
                    trait Sizes {
                        type A: ::shapegrad::Dim;
                        type B: ::shapegrad::Dim;
                    }
                    impl Sizes for #marker {
                        type A = #a;
                        type B = #b;
                    }
                    #[diagnostic::on_unimplemented(message = #msg, label = "this size does not fit")]
                    trait SizeFits {}
                    #[diagnostic::do_not_recommend]
                    impl<X: Sizes> SizeFits for X where <X::A as ::shapegrad::Dim>::Size: #bound {}
                    fn fits<X: SizeFits>() {}
                    fn __check() {
                        fits::<#marker>();
                    }
                };
            });
        }
        out
    }
}

/// `marker` as an identifier (a `let` name and a word).
fn sanitize(marker: &str) -> String {
    let s: String = marker.chars().map(|c| if c.is_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if s.chars().next().is_some_and(|c| c.is_alphabetic()) { s } else { format!("size_{s}") }
}
