//! What a net implements besides its inherent methods: `shapegrad::model`'s
//! traits (for generic training loops), and, for a net without a batched
//! form, batched methods that fail at the call site saying why.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{Codegen, Part};
use crate::net::model::{NodeId, Shape};

/// One trait parameter of `shapegrad::model`'s traits: see `Codegen::side`.
struct Side {
    ty: TokenStream,
    args: Vec<TokenStream>,
}

impl Codegen<'_> {
    /// `shapegrad::model`'s traits for a net with a loss and an input,
    /// calling its inherent methods: `Net` and `Predict` (per example) or
    /// `BatchNet` and `PredictBatch` (`batch`); several inputs (or labels
    /// and targets) as one tuple.
    pub(super) fn model_impls(&self, batch: bool) -> TokenStream {
        let m = self.m;
        let t = &self.t;
        let (name, _, generics) = self.names();
        if m.loss.is_none() || m.args.iter().all(|(k, _)| !k.is_input()) {
            return quote!();
        }
        // The inputs as `X` and the labels and targets as `Y`: one type, a
        // tuple of several in declaration order, or `()` for none.
        let (Some(xs), Some(ys)) = (self.side(true, quote!(xs), batch), self.side(false, quote!(ys), batch))
        else {
            return quote!();
        };
        let (x_ty, y_ty) = (&xs.ty, &ys.ty);
        // The inherent methods' arguments, in declaration order.
        let (mut xa, mut ya) = (xs.args.iter(), ys.args.iter());
        let args: Vec<&TokenStream> =
            m.args.iter().filter_map(|(k, _)| if k.is_input() { xa.next() } else { ya.next() }).collect();
        let x_args = &xs.args;
        let outputs: Vec<NodeId> = m.outputs.iter().filter_map(|(_, n)| *n).collect();
        let out_ty = (!outputs.is_empty() && outputs.len() == m.outputs.len()).then(|| {
            let tys: Vec<TokenStream> =
                outputs.iter().map(|&n| self.arg_ty(m.graph.shape(n), batch)).collect();
            if tys.len() == 1 { tys[0].clone() } else { quote!((#(#tys),*)) }
        });
        let bat =
            self.ws_generic.clone().or_else(|| self.looped.clone()).unwrap_or_else(|| format_ident!("B"));
        let gen_b = batch.then(|| quote!(#bat: ::shapegrad::Dim,));
        let header = quote!(impl<#(#generics: ::shapegrad::Dim,)* #gen_b #t: ::shapegrad::Scalar>);
        let net_ty = quote!(#name<#(#generics,)* #t>);
        let model = quote!(::shapegrad::model);
        let training = if batch {
            let rng = self.rng.then(|| quote!(rng));
            quote! {
                /// The batched training methods as a trait, for generic training loops.
                #[allow(non_snake_case, unused_variables, clippy::all)]
                #header #model::BatchNet<#t, #bat, #x_ty, #y_ty> for #net_ty {
                    fn loss_batch(&self, xs: &#x_ty, ys: &#y_ty, rng: &mut ::shapegrad::random::Rng) -> #t {
                        #name::loss_batch(self, #(#args,)* #rng)
                    }
                    fn grad_batch(&self, xs: &#x_ty, ys: &#y_ty, rng: &mut ::shapegrad::random::Rng) -> (#t, <Self as ::shapegrad::optim::Params<#t>>::Grad) {
                        #name::grad_batch(self, #(#args,)* #rng)
                    }
                }
            }
        } else {
            quote! {
                /// The per-example training methods as a trait, for generic code.
                #[allow(non_snake_case, unused_variables, clippy::all)]
                #header #model::Net<#t, #x_ty, #y_ty> for #net_ty {
                    fn loss(&self, xs: &#x_ty, ys: &#y_ty) -> #t {
                        #name::loss(self, #(#args),*)
                    }
                    fn grad(&self, xs: &#x_ty, ys: &#y_ty) -> (#t, <Self as ::shapegrad::optim::Params<#t>>::Grad) {
                        #name::grad(self, #(#args),*)
                    }
                }
            }
        };
        let predict = self.predict_impl(out_ty, (&header, &net_ty, x_ty, x_args, &bat), batch);
        // A net with two modes gets its training methods and its
        // `forward_batch` from two generators: each emits its own trait.
        match self.part {
            Part::All => quote!(#training #predict),
            Part::Train => training,
            Part::Eval => predict,
        }
    }

    /// `forward` (or `forward_batch`) as a trait, when every output has a type.
    fn predict_impl(
        &self,
        out_ty: Option<TokenStream>,
        (header, net_ty, x_ty, x_args, bat): (
            &TokenStream,
            &TokenStream,
            &TokenStream,
            &[TokenStream],
            &Ident,
        ),
        batch: bool,
    ) -> TokenStream {
        let (name, t, model) = (&self.m.name, &self.t, quote!(::shapegrad::model));
        match (out_ty, batch) {
            (None, _) => quote!(),
            (Some(o), true) => quote! {
                /// `forward_batch` as a trait.
                #[allow(non_snake_case, clippy::all)]
                #header #model::PredictBatch<#t, #bat, #x_ty, #o> for #net_ty {
                    fn forward_batch(&self, xs: &#x_ty) -> #o {
                        #name::forward_batch(self, #(#x_args),*)
                    }
                }
            },
            (Some(o), false) => quote! {
                /// `forward` as a trait.
                #[allow(non_snake_case, clippy::all)]
                #header #model::Predict<#t, #x_ty, #o> for #net_ty {
                    fn forward(&self, xs: &#x_ty) -> #o {
                        #name::forward(self, #(#x_args),*)
                    }
                }
            },
        }
    }

    /// The inputs (`inputs`) or the labels and targets of the net as one
    /// trait parameter, read from `value` (`&X`): its type, and each
    /// argument of the inherent methods taken from it. `None` when a
    /// declaration has no shape.
    fn side(&self, inputs: bool, value: TokenStream, batch: bool) -> Option<Side> {
        let decls: Vec<_> = self.m.args.iter().filter(|(k, _)| k.is_input() == inputs).collect();
        let mut tys = Vec::new();
        let mut args = Vec::new();
        for (i, (_, d)) in decls.iter().enumerate() {
            let shape = d.shape?;
            tys.push(self.arg_ty(shape, batch));
            let index = syn::Index::from(i);
            let part = if decls.len() == 1 { quote!(#value) } else { quote!(&#value.#index) };
            // One label is passed by value, everything else (a batch of
            // labels of the looped methods too) by reference.
            let looped = batch && self.looped.is_some();
            args.push(if matches!(shape, Shape::Label(_)) && !looped { quote!(*#part) } else { part });
        }
        let ty = match tys.as_slice() {
            [] => quote!(()),
            [one] => one.clone(),
            _ => quote!((#(#tys),*)),
        };
        Some(Side { ty, args })
    }

    /// The type of an argument or output of shape `s` as the methods take
    /// or return it: a batch of them for the looped batched methods.
    fn arg_ty(&self, s: Shape, batch: bool) -> TokenStream {
        let t = &self.t;
        match self.looped.as_ref().filter(|_| batch) {
            Some(b) => self.looped_ty(s, b).unwrap_or_else(|| self.ty(s, &quote!(#t))),
            None => self.ty(s, &quote!(#t)),
        }
    }

    /// For a net without a batched form: `loss_batch`, `grad_batch` and
    /// `forward_batch` that no call can satisfy, so that a call is an error
    /// at the call site saying why there are none (rather than rustc's "no
    /// method named `grad_batch`"); hidden from the docs.
    pub(super) fn no_batch_stubs(&self, reason: &str) -> TokenStream {
        let t = &self.t;
        let (name, _, generics) = self.names();
        let marker = format_ident!("{}HasNoBatchedMethods", name);
        let message = format!(
            "`{name}` has no batched methods (`loss_batch`, `grad_batch`, `forward_batch`): {reason}"
        );
        let note = "call the per-example `loss`, `grad` and `forward` on each column (`xs.column(b)`); the net's documentation says why it has no batched form";
        let stub = |method: &str, arity: usize| {
            if arity == 0 {
                // Nothing to hang the bound on: no stub rather than a callable one.
                return quote!();
            }
            let method = format_ident!("{method}");
            let params: Vec<Ident> = (0..arity).map(|i| format_ident!("__A{}", i)).collect();
            let first = params.first().cloned();
            let bound = first.map(|a| quote!(where #a: #marker));
            quote! {
                #[doc(hidden)]
                pub fn #method<#(#params),*>(&self, #(_: #params),*) -> ! #bound {
                    ::core::unreachable!()
                }
            }
        };
        let args = self.m.args.len();
        let inputs = self.m.args.iter().filter(|(k, _)| k.is_input()).count();
        let (l, g, f) = (stub("loss_batch", args), stub("grad_batch", args), stub("forward_batch", inputs));
        quote! {
            #[doc(hidden)]
            #[diagnostic::on_unimplemented(message = #message, label = "no batched methods", note = #note)]
            #[allow(non_camel_case_types)]
            pub trait #marker {}

            #[allow(non_snake_case, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                #l
                #g
                #f
            }
        }
    }
}
