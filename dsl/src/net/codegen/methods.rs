//! The methods of a net: `loss_with`, `grad_into`, `loss`, `grad` and
//! `forward` (or their `_batch` forms), each computing only what its results
//! need.

use std::collections::BTreeSet;

use proc_macro2::{Group, Ident, TokenStream, TokenTree};
use quote::{format_ident, quote};

use super::{Codegen, Part};
use crate::net::autodiff::Adjoints;
use crate::net::model::NodeId;

/// What `methods` is made from: see `Codegen::programs`.
struct Programs {
    outputs: Vec<NodeId>,
    workspace: TokenStream,
    loss_prog: TokenStream,
    grad_prog: TokenStream,
    loss_val: TokenStream,
}

impl Codegen<'_> {
    /// The workspace struct, and the methods `loss_with`, `grad_into`,
    /// `loss`, `grad` and `forward` (`…_batch…` for the batched model).
    pub(super) fn methods(&self, adj: &Adjoints, batch: bool) -> (TokenStream, TokenStream) {
        let t = &self.t;
        let tt = quote!(#t);
        let (_, grad_name, generics) = self.names();
        let Some(Programs { outputs, workspace, loss_prog, grad_prog, loss_val }) = self.programs(adj) else {
            return (quote!(), quote!());
        };
        let args = self.params_list(&tt, true);
        let calls = self.call_list(false);
        let ws_ty = self.ws_type(&tt);
        let ws_new = {
            let (ws, b) = (&self.ws, self.ws_generic.iter());
            quote!(#ws::<#(#generics,)* #(#b,)* #t>::new())
        };
        let grad_ty = quote!(#grad_name<#(#generics,)* #t>);
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
        let mut forward = self.forward_fn(&outputs, &ws_new, batch);
        if !batch {
            forward.extend(self.forward_column_fn(&outputs));
        }
        let [d0, d1, d2, d3] = self.method_docs(per, &grad_into);
        if self.part == Part::Eval {
            return (workspace, forward);
        }
        let forward = if self.part == Part::Train { quote!() } else { forward };
        let buffered = self.buffered_fns(
            (&loss_with, &grad_into),
            &generic,
            [d0, d1],
            (&loss_prog, &grad_prog, &loss_val),
        );
        let (loss_local, grad_local) =
            (format_ident!("__{loss_fn}_local"), format_ident!("__{grad_fn}_local"));
        let locals = self.local_fns((&loss_local, &grad_local), &generic, &loss_prog, &grad_prog, &loss_val);
        let methods = quote! {
            #buffered
            #locals

            #[doc = #d2]
            pub fn #loss_fn #generic (&self, #args) -> #t {
                if <#ws_ty>::INLINE {
                    return self.#loss_local(#calls);
                }
                ::shapegrad::workspace::with_cached(|| #ws_new, |__ws| self.#loss_with(__ws, #calls))
            }

            #[doc = #d3]
            pub fn #grad_fn #generic (&self, #args) -> (#t, #grad_ty) {
                if <#ws_ty>::INLINE {
                    return self.#grad_local(#calls);
                }
                let mut __out = #grad_name::for_overwrite();
                let __loss = ::shapegrad::workspace::with_cached(|| #ws_new, |__ws| self.#grad_into(__ws, #calls &mut __out));
                (__loss, __out)
            }

            #forward
        };
        (workspace, methods)
    }

    /// What the methods compute: the outputs, the workspace struct, the
    /// loss's program and the gradient's, and the loss's value; `None` when
    /// the net has no loss or a param no gradient (after an error).
    fn programs(&self, adj: &Adjoints) -> Option<Programs> {
        let m = self.m;
        let t = &self.t;
        let tt = quote!(#t);
        let loss = m.loss?;
        let grads = m
            .params
            .iter()
            .map(|p| p.node.and_then(|n| adj.of.get(&n).copied()))
            .collect::<Option<Vec<_>>>()?;
        let pnames: Vec<TokenStream> = m.params.iter().map(|p| p.field()).collect();
        let outs: Vec<(NodeId, TokenStream)> =
            grads.iter().zip(&pnames).map(|(&d, p)| (d, quote!(__out.#p))).collect();
        let outputs: Vec<NodeId> = m.outputs.iter().filter_map(|(_, n)| *n).collect();
        let mut all = vec![loss];
        all.extend(&grads);
        all.extend(&outputs);
        all.extend(m.hand_grads.iter().map(|&(_, n)| n));
        // The inputs' gradients (`grad x;`) are computed in this workspace too.
        all.extend(m.input_grads.iter().filter_map(|&i| adj.of.get(&m.args.get(i)?.1.node?).copied()));
        // `forward_batch` of a net with two modes has a workspace of its own.
        let workspace = if self.part == Part::Eval { self.workspace(&outputs) } else { self.workspace(&all) };

        let loss_prog = self.program(&[loss], &[], &tt);
        let mut grad_prog = self.program(&[loss], &outs, &tt);
        // What ops keep from a training step (a batchnorm's batch statistics).
        let cx = self.emitter(std::collections::HashMap::new(), &tt);
        for n in 0..m.graph.nodes.len() {
            grad_prog.extend(crate::net::ops::def(m.graph.op(n).code).after_grad(&cx, n, &m.states));
        }
        let loss_val = self.loss_value(loss);
        Some(Programs { outputs, workspace, loss_prog, grad_prog, loss_val })
    }

    /// `loss_with` and `grad_into`: the programs in the caller's buffers.
    fn buffered_fns(
        &self,
        (loss_with, grad_into): (&Ident, &Ident),
        generic: &TokenStream,
        [d0, d1]: [String; 2],
        (loss_prog, grad_prog, loss_val): (&TokenStream, &TokenStream, &TokenStream),
    ) -> TokenStream {
        let t = &self.t;
        let tt = quote!(#t);
        let (_, grad_name, generics) = self.names();
        let grad_ty = quote!(#grad_name<#(#generics,)* #t>);
        let (args, calls, ws_ty) = (self.params_list(&tt, true), self.call_list(false), self.ws_type(&tt));
        let (ws_arg, out_arg) = self.buffer_args();
        let loss_with_fn = self.versioned(
            quote!(#[doc = #d0] pub),
            loss_with,
            generic,
            quote!(#ws_arg: &mut #ws_ty, #args),
            quote!(#ws_arg, #calls),
            quote!(#t),
            quote! {
                let __ws = #ws_arg;
                #loss_prog
                #loss_val
            },
        );
        let grad_into_fn = self.versioned(
            quote!(#[doc = #d1] pub),
            grad_into,
            generic,
            quote!(#ws_arg: &mut #ws_ty, #args #out_arg: &mut #grad_ty),
            quote!(#ws_arg, #calls #out_arg),
            quote!(#t),
            quote! {
                let (__ws, __out) = (#ws_arg, #out_arg);
                #grad_prog
                #loss_val
            },
        );
        quote!(#loss_with_fn #grad_into_fn)
    }

    /// The docs of `loss_with`, `grad_into`, `loss` and `grad`, for `per`
    /// (one example, or the mean over a batch).
    fn method_docs(&self, per: &str, grad_into: &Ident) -> [String; 4] {
        let mut docs = [
            format!("The loss for {per}, computed in the buffers of `ws`."),
            format!(
                "The loss for {per}, and the gradient of every param written into `out`, computed in the buffers of `ws`: allocates nothing. The backward pass is the one derived at compile time."
            ),
            format!(
                "The loss for {per}, with each buffer a local variable for a small net, in this thread's cached workspace otherwise (no allocation after the first call; see `shapegrad::workspace`)."
            ),
            format!(
                "The loss for {per} and the gradient of every param, with each buffer a local variable for a small net, in this thread's cached workspace otherwise: the returned gradient is the only allocation, none when it is small enough to be inline (`{grad_into}` writes into the caller's)."
            ),
        ];
        if self.rng {
            for d in &mut docs {
                *d += " Training mode: each `dropout` draws a fresh mask from `rng`.";
            }
        }
        docs
    }

    /// A small net's `loss` and `grad` make their buffers (and result)
    /// inside the copy that computes them, each a local of its own
    /// (`local`), where the compiler keeps them in registers and drops
    /// the zeroing that each one's first write overwrites; through `&mut`
    /// from outside, or as fields of one zeroed workspace, it does
    /// neither (8-16-4 `grad`: 131 ns with a workspace struct, 98 ns
    /// with locals).
    fn local_fns(
        &self,
        (loss_local, grad_local): (&Ident, &Ident),
        generic: &TokenStream,
        loss_prog: &TokenStream,
        grad_prog: &TokenStream,
        loss_val: &TokenStream,
    ) -> TokenStream {
        let t = &self.t;
        let tt = quote!(#t);
        let (_, grad_name, generics) = self.names();
        let grad_ty = quote!(#grad_name<#(#generics,)* #t>);
        let (args, calls) = (self.params_list(&tt, true), self.call_list(false));
        let loss_local_fn = self.versioned(
            quote!(#[doc(hidden)] pub),
            loss_local,
            generic,
            args.clone(),
            calls.clone(),
            quote!(#t),
            self.local(quote! {
                #loss_prog
                #loss_val
            }),
        );
        let grad_local_fn = self.versioned(
            quote!(#[doc(hidden)] pub),
            grad_local,
            generic,
            args.clone(),
            calls.clone(),
            quote!((#t, #grad_ty)),
            {
                let body = self.local(quote! {
                    let __out = &mut __out_local;
                    #grad_prog
                    #loss_val
                });
                quote! {
                    let mut __out_local = #grad_name::for_overwrite();
                    let __loss = { #body };
                    (__loss, __out_local)
                }
            },
        );
        quote!(#loss_local_fn #grad_local_fn)
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
            "The output{plural} {}, computed from the inputs only, with each buffer a local variable for a small net, in this thread's cached workspace otherwise (the returned values are the only allocation, none when they are inline).",
            names.join(", ")
        );
        let (fname, generic) = if batch {
            doc += " One example per column.";
            let b = &self.ws_generic;
            (format_ident!("forward_batch"), quote!(<#b: ::shapegrad::Dim>))
        } else {
            (format_ident!("forward"), quote!())
        };
        let prog = self.program(nodes, &[], &tt);
        let ws_ty = self.ws_type(&tt);
        // The inputs only, as `params_list(_, false)` declares them.
        let names = self.m.args.iter().filter(|(k, _)| k.is_input()).map(|(_, a)| &a.name);
        let calls = quote!(#(#names,)*);
        let with = format_ident!("{fname}_with");
        let ws_arg = self.buffer_args().0;
        let with_doc =
            format!("`{fname}` computed in the buffers of `ws`: allocates nothing but the returned values.");
        let with_fn = self.versioned(
            quote!(#[doc = #with_doc] pub),
            &with,
            &generic,
            quote!(#ws_arg: &mut #ws_ty, #inputs),
            quote!(#ws_arg, #calls),
            ret.clone(),
            quote! {
                let __ws = #ws_arg;
                #prog
                #value
            },
        );
        // As for `loss` and `grad`: a small net's workspace lives inside the copy.
        let local = format_ident!("__{fname}_local");
        let local_fn = self.versioned(
            quote!(#[doc(hidden)] pub),
            &local,
            &generic,
            inputs.clone(),
            calls.clone(),
            ret.clone(),
            self.local(quote! {
                #prog
                #value
            }),
        );
        quote! {
            #[doc = #doc]
            pub fn #fname #generic (&self, #inputs) -> #ret {
                if <#ws_ty>::INLINE {
                    return self.#local(#calls);
                }
                ::shapegrad::workspace::with_cached(|| #ws_new, |__ws| self.#with(__ws, #calls))
            }

            #with_fn
            #local_fn
        }
    }

    /// `body` with each workspace buffer `__ws.nK` it names made a local
    /// `__ws_nK` of its own, declared (zeroed) in front.
    fn local(&self, body: TokenStream) -> TokenStream {
        let mut used = BTreeSet::new();
        let body = localize(body, &mut used);
        let all: Vec<NodeId> = (0..self.m.graph.nodes.len()).collect();
        let (fields, types, inits) = self.ws_fields(&all);
        let decls =
            fields.iter().zip(types.iter().zip(&inits)).filter(|(f, _)| used.contains(&f.to_string())).map(
                |(f, (ty, init))| {
                    let local = format_ident!("__ws_{f}");
                    quote!(#[allow(unused_mut)] let mut #local: #ty = #init;)
                },
            );
        quote!(#(#decls)* #body)
    }

    /// `name(params) -> ret { body }`, compiled twice on x86-64: for the
    /// baseline instruction set, and for AVX2 and FMA (vectors twice as
    /// wide) when the processor has them, chosen at run time. The products'
    /// packed kernels choose for themselves; this is for everything the net's
    /// own code inlines: small products, elementwise functions, reductions.
    /// Both copies compute the same values (no fast-math: the compiler may
    /// not reorder or fuse operations), so results do not depend on the
    /// processor.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn versioned(
        &self,
        head: TokenStream,
        name: &Ident,
        generic: &TokenStream,
        params: TokenStream,
        call: TokenStream,
        ret: TokenStream,
        body: TokenStream,
    ) -> TokenStream {
        let (base, avx2) = (format_ident!("__{name}_base"), format_ident!("__{name}_avx2"));
        quote! {
            #head fn #name #generic (&self, #params) -> #ret {
                #[cfg(target_arch = "x86_64")]
                if let Some(__isa) = ::shapegrad::isa::Avx2::detect() {
                    // SAFETY: the token proves AVX2 and FMA.
                    return unsafe { self.#avx2(__isa, #call) };
                }
                self.#base(::shapegrad::isa::Portable, #call)
            }

            /// The copy compiled for AVX2 and FMA (public for the tests
            /// that compare the two copies).
            ///
            /// # Safety
            /// The processor must have AVX2 and FMA (which the token proves).
            #[doc(hidden)]
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            pub unsafe fn #avx2 #generic (&self, __isa: ::shapegrad::isa::Avx2, #params) -> #ret {
                self.#base(__isa, #call)
            }

            /// The body, inlined into both copies; `__isa` tells its ops
            /// which copy they run in.
            #[doc(hidden)]
            #[inline(always)]
            pub fn #base #generic (&self, __isa: impl ::shapegrad::isa::Isa, #params) -> #ret {
                #body
            }
        }
    }
}

/// `ts` with every `__ws . f` replaced by the local `__ws_f`, recording `f`.
fn localize(ts: TokenStream, used: &mut BTreeSet<String>) -> TokenStream {
    let toks: Vec<TokenTree> = ts.into_iter().collect();
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        if let (TokenTree::Ident(a), Some(TokenTree::Punct(p)), Some(TokenTree::Ident(f))) =
            (&toks[i], toks.get(i + 1), toks.get(i + 2))
            && a == "__ws"
            && p.as_char() == '.'
        {
            used.insert(f.to_string());
            out.push(TokenTree::Ident(format_ident!("__ws_{f}")));
            i += 3;
            continue;
        }
        out.push(match &toks[i] {
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), localize(g.stream(), used));
                inner.set_span(g.span());
                TokenTree::Group(inner)
            }
            t => t.clone(),
        });
        i += 1;
    }
    out.into_iter().collect()
}
