//! Errors collected across every stage of one invocation, reported together.

use proc_macro2::{Span, TokenStream, TokenTree};

/// An error whose span runs from `first` to `last` (rustc underlines the
/// whole range, on stable too, because `syn` puts the two ends on different
/// tokens of the emitted `compile_error!`).
pub fn spanned(first: Span, last: Span, msg: impl std::fmt::Display) -> syn::Error {
    let ends: TokenStream = [
        TokenTree::Ident(proc_macro2::Ident::new("first", first)),
        TokenTree::Ident(proc_macro2::Ident::new("last", last)),
    ]
    .into_iter()
    .collect();
    syn::Error::new_spanned(ends, msg)
}

/// The errors of one invocation, in the order found.
#[derive(Default)]
pub struct Errors {
    list: Vec<syn::Error>,
}

impl Errors {
    pub fn push(&mut self, e: syn::Error) {
        self.list.push(e);
    }

    pub fn at(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.list.push(syn::Error::new(span, msg));
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn to_compile_errors(&self) -> TokenStream {
        self.list.iter().map(syn::Error::to_compile_error).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &syn::Error> {
        self.list.iter()
    }

    #[cfg(test)]
    pub fn messages(&self) -> Vec<String> {
        self.list.iter().map(|e| e.to_string()).collect()
    }
}
