//! Errors collected across every stage of one invocation, reported together.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};

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

/// A dim an error's message names: as written, and its Rust type.
#[derive(Clone)]
pub struct NamedDim {
    pub text: String,
    pub tokens: TokenStream,
}

/// A use of a declared node that another declaration of it would fix.
struct Slip {
    decl: usize,
    /// The declaration that fixes it (`param W: [H, D]`): uses agree when
    /// their fixes do.
    fix: String,
    /// The message at the declaration.
    msg: String,
}

struct Entry {
    error: syn::Error,
    /// The dims its message names.
    dims: Vec<NamedDim>,
    /// Those of them that no other declaration of the net uses: maybe no
    /// dim in scope at all (a slip for another name, or a missing `dims!`).
    lone: Vec<NamedDim>,
    /// A use of a declared node (a param, a label) that another declaration
    /// of it would fix: the node and that error, at the declaration.
    slip: Option<Slip>,
}

/// The errors of one invocation, in the order found.
#[derive(Default)]
pub struct Errors {
    list: Vec<Entry>,
}

impl Errors {
    pub fn push(&mut self, e: syn::Error) {
        self.push_naming(e, Vec::new());
    }

    /// An error whose message names `dims`.
    pub fn push_naming(&mut self, error: syn::Error, dims: Vec<NamedDim>) {
        self.list.push(Entry { error, dims, lone: Vec::new(), slip: None });
    }

    /// Marks the last error as a use of declared node `decl` that declaring
    /// it as `fix` would avoid; `msg` says so at the declaration.
    pub fn tag_last(&mut self, decl: usize, fix: String, msg: String) {
        if let Some(e) = self.list.last_mut() {
            e.slip = Some(Slip { decl, fix, msg });
        }
    }

    /// For each declared node whose declaration `unused_decl` gives (its
    /// span, when no use of it checked), and whose every tagged error since
    /// `from` is one slip, those errors become the one at the declaration,
    /// where the first of them stood: when every use reads a param
    /// transposed, the declaration is the likelier slip.
    pub fn redirect_slips(&mut self, from: usize, unused_decl: impl Fn(usize) -> Option<Span>) {
        let mut decls: Vec<usize> =
            self.list[from..].iter().filter_map(|e| Some(e.slip.as_ref()?.decl)).collect();
        decls.sort_unstable();
        decls.dedup();
        for (decl, span) in decls.into_iter().filter_map(|d| Some((d, unused_decl(d)?))) {
            let fix = |i: usize| self.list[i].slip.as_ref().filter(|s| s.decl == decl).map(|s| &s.fix);
            let tagged: Vec<usize> = (from..self.list.len()).filter(|&i| fix(i).is_some()).collect();
            if tagged.iter().any(|&i| fix(i) != fix(tagged[0])) {
                continue;
            }
            let Some(Slip { msg, .. }) = self.list[tagged[0]].slip.take() else { continue };
            let error = syn::Error::new(span, msg);
            self.list[tagged[0]] = Entry { error, dims: Vec::new(), lone: Vec::new(), slip: None };
            for &i in tagged[1..].iter().rev() {
                self.list.remove(i);
            }
        }
    }

    pub fn at(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Marks the errors from `from` on that name a dim `is_lone` says no
    /// other declaration uses.
    pub fn mark_lone_dims(&mut self, from: usize, is_lone: impl Fn(&str) -> bool) {
        for e in &mut self.list[from..] {
            e.lone = e.dims.iter().filter(|d| is_lone(&d.text)).cloned().collect();
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The errors as code. When every error names a dim no other declaration
    /// uses, each becomes a check the compiler makes once names are resolved:
    /// if such a dim is not in scope, its own "cannot find type" error is the
    /// one the user sees (this one names an error type and is dropped); if it
    /// is, the message shows as it would have. Otherwise every error is a
    /// `compile_error!` (rustc resolves no names after one), those naming a
    /// lone dim saying so.
    pub fn to_tokens(&self) -> TokenStream {
        if !self.list.is_empty() && self.list.iter().all(|e| !e.lone.is_empty()) {
            return self.list.iter().map(deferred).collect();
        }
        self.list
            .iter()
            .map(|e| match e.lone.first() {
                None => e.error.to_compile_error(),
                Some(d) => {
                    let msg = format!(
                        "{}; `{}` is in no other declaration of this net: if it is no dim in scope, declare it with `dims!`",
                        e.error, d.text
                    );
                    syn::Error::new(e.error.span(), msg).to_compile_error()
                }
            })
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &syn::Error> {
        self.list.iter().map(|e| &e.error)
    }

    #[cfg(test)]
    pub fn messages(&self) -> Vec<String> {
        self.iter().map(|e| e.to_string()).collect()
    }
}

/// `e` as a bound the type checker fails to prove, with `e`'s message,
/// under `e`'s first token; it names `e`'s lone dims, so it is dropped when
/// one of them does not resolve.
fn deferred(e: &Entry) -> TokenStream {
    let msg = e.error.to_string();
    let span = e.error.span();
    let dims = e.lone.iter().map(|d| &d.tokens);
    let call = quote_spanned!(span=> shapes_fit::<(#(#dims,)*)>());
    quote! {
        const _: () = {
            #[diagnostic::on_unimplemented(message = #msg, label = "here")]
            trait ShapesFit {}
            // One impl, hidden, so rustc does not suggest adding one.
            #[diagnostic::do_not_recommend]
            impl ShapesFit for () {}
            fn shapes_fit<T: ShapesFit>() {}
            fn __check() {
                #call;
            }
        };
    }
}
