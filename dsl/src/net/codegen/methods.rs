//! The methods of a net: `loss_with`, `grad_into`, `loss`, `grad` and
//! `forward` (or their `_batch` forms), each computing only what its results
//! need.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{Codegen, Part};
use crate::net::autodiff::Adjoints;
use crate::net::model::NodeId;

impl Codegen<'_> {
    /// The workspace struct, and the methods `loss_with`, `grad_into`,
    /// `loss`, `grad` and `forward` (`…_batch…` for the batched model).
    pub(super) fn methods(&self, adj: &Adjoints, batch: bool) -> (TokenStream, TokenStream) {
        let m = self.m;
        let t = &self.t;
        let tt = quote!(#t);
        let (_, grad_name, generics) = self.names();
        let Some(loss) = m.loss else { return (quote!(), quote!()) };
        let Some(grads) =
            m.params.iter().map(|p| p.node.and_then(|n| adj.of.get(&n).copied())).collect::<Option<Vec<_>>>()
        else {
            return (quote!(), quote!());
        };
        let pnames: Vec<&Ident> = m.params.iter().map(|p| &p.name).collect();
        let outs: Vec<(NodeId, TokenStream)> =
            grads.iter().zip(&pnames).map(|(&d, p)| (d, quote!(__out.#p))).collect();
        let outputs: Vec<NodeId> = m.outputs.iter().filter_map(|(_, n)| *n).collect();
        let mut all = vec![loss];
        all.extend(&grads);
        all.extend(&outputs);
        all.extend(m.hand_grads.iter().map(|&(_, n)| n));
        // `forward_batch` of a net with two modes has a workspace of its own.
        let workspace = if self.part == Part::Eval { self.workspace(&outputs) } else { self.workspace(&all) };

        let args = self.params_list(&tt, true);
        let calls = self.call_list(false);
        let ws_ty = self.ws_type(&tt);
        let ws_new = {
            let (ws, b) = (&self.ws, self.ws_generic.iter());
            quote!(#ws::<#(#generics,)* #(#b,)* #t>::new())
        };
        let grad_ty = quote!(#grad_name<#(#generics,)* #t>);
        let loss_prog = self.program(&[loss], &[], &tt);
        let mut grad_prog = self.program(&[loss], &outs, &tt);
        // The training methods keep each batchnorm's batch statistics for
        // the optimizer's step (they sit in its buffer, after x̂ and room for
        // γ ⊙ ∂y: mean, then biased variance, one per channel).
        for (n, node) in m.graph.nodes.iter().enumerate().filter(|(_, n)| n.op.is("bn_train")) {
            let Some(state) = node.op.index().and_then(|k| m.states.get(k)) else { continue };
            let field = state.field();
            let s = format_ident!("s{}", n);
            let (r, c) = match node.shape {
                crate::net::model::Shape::Mat(r, c) => (self.dim(r).clone(), self.dim(c).clone()),
                _ => continue,
            };
            let channels = self.dim(state.channels).clone();
            grad_prog.extend(quote! {{
                let __len = <#r as ::shapegrad::Dim>::SIZE * <#c as ::shapegrad::Dim>::SIZE;
                let __channels = <#channels as ::shapegrad::Dim>::SIZE;
                let __stats = &__ws.#s[2 * __len..];
                __out.#field.record(&__stats[..__channels], &__stats[__channels..2 * __channels], __len / __channels);
            }});
        }
        let loss_val = self.loss_value(loss);
        let (generic, sfx, per) = if batch {
            (
                {
                    let b = &self.ws_generic;
                    quote!(<#b: ::shapegrad::Dim>)
                },
                "_batch",
                "the mean over a batch of `B` examples, one per column",
            )
        } else {
            (quote!(), "", "one example")
        };
        let f = |base: &str, end: &str| format_ident!("{base}{sfx}{end}");
        let (loss_with, grad_into, loss_fn, grad_fn) =
            (f("loss", "_with"), f("grad", "_into"), f("loss", ""), f("grad", ""));
        let forward = self.forward_fn(&outputs, &ws_new, batch);
        let docs = [
            format!("The loss for {per}, computed in the buffers of `ws`."),
            format!(
                "The loss for {per}, and the gradient of every param written into `out`, computed in the buffers of `ws`: allocates nothing. The backward pass is the one derived at compile time."
            ),
            format!(
                "The loss for {per}, in this thread's cached workspace (no allocation after the first call; see `shapegrad::workspace`)."
            ),
            format!(
                "The loss for {per} and the gradient of every param, in this thread's cached workspace: the returned gradient is the only allocation (`{grad_into}` writes into the caller's)."
            ),
        ];
        let mut docs = docs;
        if self.rng {
            for d in &mut docs {
                *d += " Training mode: each `dropout` draws a fresh mask from `rng`.";
            }
        }
        let [d0, d1, d2, d3] = docs;
        if self.part == Part::Eval {
            return (workspace, forward);
        }
        let forward = if self.part == Part::Train { quote!() } else { forward };
        let (ws_arg, out_arg) = self.buffer_args();
        let methods = quote! {
            #[doc = #d0]
            pub fn #loss_with #generic (&self, #ws_arg: &mut #ws_ty, #args) -> #t {
                let __ws = #ws_arg;
                #loss_prog
                #loss_val
            }

            #[doc = #d1]
            pub fn #grad_into #generic (&self, #ws_arg: &mut #ws_ty, #args #out_arg: &mut #grad_ty) -> #t {
                let (__ws, __out) = (#ws_arg, #out_arg);
                #grad_prog
                #loss_val
            }

            #[doc = #d2]
            pub fn #loss_fn #generic (&self, #args) -> #t {
                ::shapegrad::workspace::with_cached(|| #ws_new, |__ws| self.#loss_with(__ws, #calls))
            }

            #[doc = #d3]
            pub fn #grad_fn #generic (&self, #args) -> (#t, #grad_ty) {
                let mut __out = #grad_name::zeros();
                let __loss = ::shapegrad::workspace::with_cached(|| #ws_new, |__ws| self.#grad_into(__ws, #calls &mut __out));
                (__loss, __out)
            }

            #forward
        };
        (workspace, methods)
    }

    /// `forward(inputs) -> outputs` (or `forward_batch`), when the net has outputs.
    fn forward_fn(&self, nodes: &[NodeId], ws_new: &TokenStream, batch: bool) -> TokenStream {
        let m = self.m;
        let t = &self.t;
        let tt = quote!(#t);
        if m.outputs.is_empty() || nodes.len() != m.outputs.len() {
            return quote!();
        }
        let tys: Vec<TokenStream> = nodes.iter().map(|&n| self.ty(m.graph.shape(n), &tt)).collect();
        let inputs = self.params_list(&tt, false);
        let vals: Vec<TokenStream> = nodes.iter().map(|&n| self.owned(n)).collect();
        let (ret, value) = if nodes.len() == 1 {
            (tys[0].clone(), vals[0].clone())
        } else {
            (quote!((#(#tys),*)), quote!((#(#vals),*)))
        };
        let names: Vec<String> = m.outputs.iter().map(|(n, _)| format!("`{n}`")).collect();
        let plural = if names.len() > 1 { "s" } else { "" };
        let mut doc = format!(
            "The output{plural} {}, computed from the inputs only, in this thread's cached workspace (the returned values are the only allocation).",
            names.join(", ")
        );
        let (fname, generic) = if batch {
            doc += " One example per column.";
            let b = &self.ws_generic;
            (quote!(forward_batch), quote!(<#b: ::shapegrad::Dim>))
        } else {
            (quote!(forward), quote!())
        };
        let prog = self.program(nodes, &[], &tt);
        quote! {
            #[doc = #doc]
            pub fn #fname #generic (&self, #inputs) -> #ret {
                ::shapegrad::workspace::with_cached(|| #ws_new, |__ws| {
                    #prog
                    #value
                })
            }
        }
    }
}
