//! The looped batched methods' `forward_batch` (see `looped`): each
//! example's outputs written into its column of the batch's by the hidden
//! per-example `__forward_column`.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::Codegen;
use crate::net::model::{NodeId, Shape};

impl Codegen<'_> {
    /// `forward_batch` and `forward_batch_with`, through the hidden
    /// per-example `__forward_column`, which writes each output into its
    /// example's column of the batch.
    pub(super) fn looped_forward(
        &self,
        b: &Ident,
        inputs: &[usize],
        params: &[TokenStream],
        calls: &[TokenStream],
        passes: &[TokenStream],
        fills: &[TokenStream],
    ) -> TokenStream {
        let m = self.m;
        let t = &self.t;
        let outputs: Vec<NodeId> = m.outputs.iter().filter_map(|(_, n)| *n).collect();
        if outputs.is_empty() || outputs.len() != m.outputs.len() {
            return quote!();
        }
        let pick = |v: &[TokenStream]| inputs.iter().map(|&i| v[i].clone()).collect::<Vec<_>>();
        let (params, calls, passes, fills) = (pick(params), pick(calls), pick(passes), pick(fills));
        let Some(tys) =
            outputs.iter().map(|&n| self.looped_ty(m.graph.shape(n), b)).collect::<Option<Vec<_>>>()
        else {
            return quote!();
        };
        let vals = quote!(::shapegrad::values::Values<#t>);
        let outs: Vec<Ident> = (0..outputs.len()).map(|k| format_ident!("__o{k}")).collect();
        let (ret, value) = if outs.len() == 1 {
            (tys[0].clone(), quote!(#(#outs)*))
        } else {
            (quote!((#(#tys),*)), quote!((#(#outs),*)))
        };
        let (name, _, generics) = self.names();
        let ws = format_ident!("{}BatchWorkspace", name);
        let ws_ty = quote!(#ws<#(#generics,)* #b, #t>);
        let ws_new = quote!(#ws::<#(#generics,)* #b, #t>::new());
        let ws_arg = self.buffer_args().0;
        quote! {
            /// The outputs, one example per column (the example index
            /// last), computed from the inputs only, in this thread's cached
            /// workspace: the returned values are the only allocation.
            pub fn forward_batch<#b: ::shapegrad::Dim>(&self, #(#params,)*) -> #ret {
                ::shapegrad::workspace::with_cached(|| #ws_new, |__ws| self.forward_batch_with(__ws, #(#calls,)*))
            }

            /// `forward_batch` computed in the buffers of `ws`: allocates
            /// nothing but the returned values.
            pub fn forward_batch_with<#b: ::shapegrad::Dim>(&self, #ws_arg: &mut #ws_ty, #(#params,)*) -> #ret {
                let __ws = #ws_arg;
                let __nb = <#b as ::shapegrad::Dim>::SIZE;
                #(let mut #outs = <#tys as #vals>::for_overwrite();)*
                for __b in 0..__nb {
                    #(#fills)*
                    self.__forward_column(&mut __ws.__ex, #(#passes,)* __b, __nb, #(<#tys as #vals>::as_mut_slice(&mut #outs),)*);
                }
                #value
            }
        }
    }

    /// The per-example `__forward_column(ws, inputs, b, nb, outs…)`: the
    /// forward program, each output written at `i·nb + b` of its slice.
    pub(super) fn forward_column_fn(&self, nodes: &[NodeId]) -> TokenStream {
        if self.looped.is_none() || nodes.is_empty() {
            return quote!();
        }
        let t = &self.t;
        let tt = quote!(#t);
        let prog = self.program(nodes, &[], &tt);
        let inputs = self.params_list(&tt, false);
        let names = self.m.args.iter().filter(|(k, _)| k.is_input()).map(|(_, a)| &a.name);
        let calls = quote!(#(#names,)*);
        let outs: Vec<Ident> = (0..nodes.len()).map(|k| format_ident!("__o{k}")).collect();
        let writes = nodes.iter().zip(&outs).map(|(&n, o)| {
            let v = self.val(n, &std::collections::HashMap::new());
            if self.m.graph.shape(n) == Shape::Scalar {
                quote!(#o[__b] = #v;)
            } else {
                quote! {
                    for (__i, __x) in (#v).as_slice().iter().enumerate() {
                        #o[__i * __nb + __b] = *__x;
                    }
                }
            }
        });
        let ws_ty = self.ws_type(&tt);
        let ws_arg = self.buffer_args().0;
        let name = format_ident!("__forward_column");
        self.versioned(
            quote!(#[doc(hidden)] pub),
            &name,
            &quote!(),
            quote!(#ws_arg: &mut #ws_ty, #inputs __b: usize, __nb: usize, #(#outs: &mut [#t],)*),
            quote!(#ws_arg, #calls __b, __nb, #(#outs,)*),
            quote!(()),
            quote! {
                let __ws = #ws_arg;
                #prog
                #(#writes)*
            },
        )
    }
}
