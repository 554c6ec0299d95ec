//! The gradients of the inputs a net asks for (`grad x;`): a struct of them
//! and `grad_inputs` (per example) or `grad_inputs_batch` (one column per
//! example: each column that example's own gradient, not a share of the
//! mean), which return the loss, every param's gradient and the inputs'.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::Codegen;
use crate::net::autodiff::Adjoints;
use crate::net::check::Decl;
use crate::net::model::NodeId;

impl Codegen<'_> {
    /// The struct and the method; nothing for a net that asks for none.
    pub(super) fn input_grads(&self, adj: &Adjoints, batch: bool) -> TokenStream {
        let m = self.m;
        let Some(loss) = m.loss else { return quote!() };
        if m.input_grads.is_empty() {
            return quote!();
        }
        let t = &self.t;
        let tt = quote!(#t);
        let (name, grad_name, generics) = self.names();
        let Some((outs, inputs)) = self.input_grad_outs(adj) else { return quote!() };
        let fields: Vec<&Ident> = inputs.iter().map(|d| &d.name).collect();
        let tys: Vec<TokenStream> = inputs.iter().filter_map(|d| d.shape.map(|s| self.ty(s, &tt))).collect();
        let b = self.ws_generic.clone().into_iter().collect::<Vec<_>>();
        let (st, method, per) = if batch {
            (
                format_ident!("{}InputGradBatch", name),
                format_ident!("grad_inputs_batch"),
                "one column per example, each that example's own gradient (not divided by the batch size)",
            )
        } else {
            (format_ident!("{}InputGrad", name), format_ident!("grad_inputs"), "of one example")
        };
        let doc = format!(
            "The gradients of the loss with respect to the inputs `{}` asks for (`grad x;`), {per}.",
            name
        );
        let structure = self.input_grad_struct(&st, &doc, &fields, &tys);
        let prog = self.program(&[loss], &outs, &tt);
        let loss_val = self.loss_value(loss);
        let args = self.params_list(&tt, true);
        let ws_new = {
            let ws = &self.ws;
            quote!(#ws::<#(#generics,)* #(#b,)* #t>::new())
        };
        // The batch's loss is the mean, so its inputs' adjoints are 1/B of
        // each example's own.
        let unscale = self.ws_generic.as_ref().filter(|_| batch).map(|bt| {
            let size = quote!(<#t as ::shapegrad::Scalar>::from_usize(<#bt as ::shapegrad::Dim>::SIZE));
            quote!(#(__inp.#fields *= #size;)*)
        });
        let generic = batch.then(|| quote!(<#(#b: ::shapegrad::Dim)*>));
        let method_doc = format!(
            "The loss, every param's gradient, and the gradients of the inputs asked for (`grad x;`), {per}, in this thread's cached workspace."
        );
        quote! {
            #structure

            #[allow(non_snake_case, unused_variables, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                #[doc = #method_doc]
                pub fn #method #generic (&self, #args) -> (#t, #grad_name<#(#generics,)* #t>, #st<#(#generics,)* #(#b,)* #t>) {
                    let mut __out = #grad_name::zeros();
                    let mut __inp = #st::zeros();
                    let __loss = ::shapegrad::workspace::with_cached(|| #ws_new, |__ws| {
                        // Not a hot path: the baseline copy of the products.
                        let __isa = ::shapegrad::isa::Portable;
                        #prog
                        #loss_val
                    });
                    #unscale
                    (__loss, __out, __inp)
                }
            }
        }
    }

    /// Where the program writes each gradient (every param's into `__out`,
    /// each input's asked for into `__inp`), and those inputs; `None` after
    /// an error.
    #[allow(clippy::type_complexity)]
    fn input_grad_outs(&self, adj: &Adjoints) -> Option<(Vec<(NodeId, TokenStream)>, Vec<&Decl>)> {
        let m = self.m;
        let mut outs = m
            .params
            .iter()
            .map(|p| {
                let d = adj.of.get(&p.node?).copied()?;
                let field = p.field();
                Some((d, quote!(__out.#field)))
            })
            .collect::<Option<Vec<(NodeId, TokenStream)>>>()?;
        let inputs: Vec<&Decl> =
            m.input_grads.iter().filter_map(|&i| m.args.get(i).map(|(_, d)| d)).collect();
        if inputs.iter().any(|d| d.shape.is_none()) {
            return None;
        }
        // An input the loss does not depend on keeps its zero gradient.
        outs.extend(inputs.iter().filter_map(|d| {
            let (n, f) = (adj.of.get(&d.node?).copied()?, &d.name);
            Some((n, quote!(__inp.#f)))
        }));
        Some((outs, inputs))
    }

    /// The struct of the inputs' gradients, named `st`, and its `zeros`.
    fn input_grad_struct(
        &self,
        st: &Ident,
        doc: &str,
        fields: &[&Ident],
        tys: &[TokenStream],
    ) -> TokenStream {
        let (t, generics) = (&self.t, &self.m.generics);
        let b = self.ws_generic.iter();
        let b: Vec<&Ident> = b.collect();
        let field_docs: Vec<String> = fields.iter().map(|f| format!("∂L/∂{f}.")).collect();
        quote! {
            #[doc = #doc]
            #[derive(Clone, Debug, PartialEq)]
            #[allow(non_snake_case)]
            pub struct #st<#(#generics: ::shapegrad::Dim,)* #(#b: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar = f32> {
                #(#[doc = #field_docs] pub #fields: #tys,)*
                #[doc(hidden)]
                pub __dims: ::core::marker::PhantomData<(#(#generics,)* #(#b,)* #t)>,
            }

            #[allow(non_snake_case, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #(#b: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #st<#(#generics,)* #(#b,)* #t> {
                /// Every gradient zero.
                pub fn zeros() -> Self {
                    Self {
                        #(#fields: <#tys as ::shapegrad::values::Values<#t>>::zeros(),)*
                        __dims: ::core::marker::PhantomData,
                    }
                }
            }
        }
    }
}
