//! `gradcheck` and `check_hand_grads`: the derived gradients against finite
//! differences, and the hand-written `grad` lines against the derived
//! gradients, both in `f64`.

use proc_macro2::TokenStream;
use quote::quote;

use super::Codegen;
use crate::net::autodiff::Adjoints;
use crate::net::model::Shape;

impl Codegen<'_> {
    /// `gradcheck`: the derived gradients against central differences, in f64.
    pub(super) fn gradcheck_fn(&self) -> TokenStream {
        let m = self.m;
        let t = &self.t;
        let tt = quote!(#t);
        let args = self.params_list(&tt, true);
        let report = quote!(::shapegrad::check::GradCheck<#t>);
        let casts = m.args.iter().filter(|(k, _)| k.is_values()).map(|(_, a)| {
            let n = &a.name;
            quote!(let #n = #n.cast::<f64>();)
        });
        let casts: Vec<_> = casts.collect();
        let owned_calls = self.call_list(true);
        let pnames: Vec<TokenStream> = m.params.iter().map(|p| p.field()).collect();
        let pstrs: Vec<String> = m.params.iter().map(|p| p.key()).collect();
        let (ws, generics) = (&self.ws, &m.generics);
        let ws_f64 = quote!(#ws::<#(#generics,)* f64>::new());
        quote! {
            /// The derived gradient of every param against central finite
            /// differences of `loss`, both in `f64`.
            pub fn gradcheck(&self, #args) -> #report {
                let __p = self.cast::<f64>();
                #(#casts)*
                let (_, __g) = __p.grad(#owned_calls);
                let mut __q = __p.clone();
                let mut __ws = #ws_f64;
                let mut __report = ::shapegrad::check::GradCheck::new();
                #(
                    let __numeric = ::shapegrad::check::numeric_gradient(&__p.#pnames, |__w| {
                        __q.#pnames.copy_from(__w);
                        __q.loss_with(&mut __ws, #owned_calls)
                    }, 1e-6);
                    __q.#pnames.copy_from(&__p.#pnames);
                    __report.compare(#pstrs, &__g.#pnames, &__numeric);
                )*
                __report
            }

            /// Each hand-written `grad` line against the derived gradient, in `f64`.
            pub fn check_hand_grads(&self, #args) -> #report {
                let __p = self.cast::<f64>();
                #(#casts)*
                __p.__hand_grads(#owned_calls)
            }
        }
    }

    /// The `f64` evaluation of the hand-written gradients behind `check_hand_grads`.
    pub(super) fn hand_fns(&self, adj: &Adjoints) -> TokenStream {
        let m = self.m;
        let f64t = quote!(f64);
        let args = self.params_list(&f64t, true);
        let (name, _, generics) = self.names();
        let mut targets = Vec::new();
        let mut compares = Vec::new();
        let none = std::collections::HashMap::new();
        for &(i, hand) in &m.hand_grads {
            let p = &m.params[i];
            let Some(derived) = p.node.and_then(|n| adj.of.get(&n)).copied() else { continue };
            targets.extend([hand, derived]);
            // A scalar is compared as the 1×1 it is stored as.
            let matrix = |n| {
                let v = self.val(n, &none);
                if self.m.graph.shape(n) == Shape::Scalar {
                    quote!(&::shapegrad::Matrix::<::shapegrad::One, ::shapegrad::One, f64>::from_fn(|_, _| #v))
                } else {
                    v
                }
            };
            let (h, d) = (matrix(hand), matrix(derived));
            let label = p.key();
            compares.push(quote!(__report.compare(#label, #h, #d);));
        }
        let prog = self.program(&targets, &[], &f64t);
        let ws = &self.ws;
        quote! {
            #[allow(non_snake_case, unused_variables, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)*> #name<#(#generics,)* f64> {
                #[doc(hidden)]
                pub fn __hand_grads<__U: ::shapegrad::Scalar>(&self, #args) -> ::shapegrad::check::GradCheck<__U> {
                    let __ws = &mut #ws::<#(#generics,)* f64>::new();
                    let __isa = ::shapegrad::isa::Portable;
                    #prog
                    let mut __report = ::shapegrad::check::GradCheck::new();
                    #(#compares)*
                    __report
                }
            }
        }
    }
}
