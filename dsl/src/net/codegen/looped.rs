//! The batched methods of a net whose per-example graph has no batched
//! graph (a per-example matrix `input x: [T, D]`, a sequence of tokens, an
//! outer product of per-example values): `loss_batch`, `grad_batch` and
//! `forward_batch` that run the per-example program once per example, in
//! one workspace reused across examples and calls, the params' gradients
//! accumulated and divided by the batch size. The batch types are the
//! per-example ones with the example index last (`Tensor3<T, D, B>` for a
//! `[T, D]` input, `Sequences<V, T, B>` for a `[T] of V` one), as for the
//! lifted methods, so the two kinds of net are called alike.
//!
//! Why a loop rather than a lift: a per-example matrix's products
//! (`[T×D]·[D×D]`, `[T×D]·[D×T]`) are already products on the packed
//! kernel, and a loop keeps one program (compile time) for both.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::Codegen;
use crate::net::model::{ONE, Shape};

/// The arguments of the looped batched methods: see `Codegen::looped_args`.
struct LoopedArgs {
    bufs: Vec<(Ident, TokenStream, TokenStream)>,
    fills: Vec<TokenStream>,
    params: Vec<TokenStream>,
    calls: Vec<TokenStream>,
    passes: Vec<TokenStream>,
    inputs: Vec<usize>,
}

impl Codegen<'_> {
    /// Marks the per-example generator as the one that also writes the
    /// looped batched methods (`batch` the batch size's type parameter):
    /// `forward` then gets its hidden one-column form.
    pub fn looped(mut self, batch: Ident) -> Self {
        self.looped = Some(batch);
        self
    }

    /// The type of a batch of `B` per-example values of shape `s`, the
    /// example index last; `None` for a shape that has none.
    pub(super) fn looped_ty(&self, s: Shape, b: &Ident) -> Option<TokenStream> {
        let t = &self.t;
        let g = &self.m.graph;
        let d = |k| self.dim(k);
        Some(match s {
            Shape::Scalar => quote!(::shapegrad::Matrix<::shapegrad::One, #b, #t>),
            Shape::Mat(r, ONE) => match g.parts(r) {
                None => {
                    let r = d(r);
                    quote!(::shapegrad::Matrix<#r, #b, #t>)
                }
                Some([c, h, w]) => {
                    let (c, h, w) = (d(*c), d(*h), d(*w));
                    quote!(::shapegrad::Tensor4<#c, #h, #w, #b, #t>)
                }
                Some(_) => return None,
            },
            Shape::Mat(r, c) if g.parts(r).is_none() && g.parts(c).is_none() => {
                let (r, c) = (d(r), d(c));
                quote!(::shapegrad::Tensor3<#r, #c, #b, #t>)
            }
            Shape::Mat(..) => return None,
            Shape::Label(c) => {
                let c = d(c);
                quote!(::shapegrad::Classes<#c, #b>)
            }
            Shape::Labels(c, steps) => {
                let (c, steps) = (d(c), d(steps));
                quote!(::shapegrad::Sequences<#c, #steps, #b>)
            }
        })
    }

    /// Why the net's batched methods cannot loop over its examples, if so.
    pub fn why_not_looped(&self) -> Option<String> {
        let m = self.m;
        let b = format_ident!("B");
        if let Some((_, d)) =
            m.args.iter().find(|(_, d)| d.shape.and_then(|s| self.looped_ty(s, &b)).is_none())
        {
            return Some(format!("a batch of `{}` has no type", d.name));
        }
        let outs = m.outputs.iter().filter_map(|(_, n)| *n);
        if outs.clone().any(|n| self.looped_ty(m.graph.shape(n), &b).is_none()) {
            return Some("an output has no batched type".into());
        }
        None
    }

    /// The looped batched methods, their workspace and the batch traits.
    pub fn looped_batch(&self) -> TokenStream {
        let Some(b) = self.looped.clone() else { return quote!() };
        let m = self.m;
        let t = &self.t;
        let (name, grad_name, generics) = self.names();
        let ws = format_ident!("{}BatchWorkspace", name);
        let pnames: Vec<TokenStream> = m.params.iter().map(|p| p.field()).collect();
        let Some(LoopedArgs { bufs, fills, params, calls, passes, inputs }) = self.looped_args(&b) else {
            return quote!();
        };
        let workspace = self.looped_workspace(&b, &bufs);
        let gen_b = quote!(<#b: ::shapegrad::Dim>);
        let ws_ty = quote!(#ws<#(#generics,)* #b, #t>);
        let ws_new = quote!(#ws::<#(#generics,)* #b, #t>::new());
        let grad_ty = quote!(#grad_name<#(#generics,)* #t>);
        let (ws_arg, out_arg) = self.buffer_args();
        let fill = quote!(#(#fills)*);
        let nb = quote!(let __nb = <#b as ::shapegrad::Dim>::SIZE;);
        let inv = quote!(<#t as ::shapegrad::Scalar>::ONE / <#t as ::shapegrad::Scalar>::from_usize(__nb));
        let [d_loss_with, d_grad_into, d_loss, d_grad] = looped_docs();
        let forward = self.looped_forward(&b, &inputs, &params, &calls, &passes, &fills);
        let model = self.model_impls(true);
        let input_grads = self.looped_input_grads(&b, &params, &passes, &fill);
        quote! {
            #workspace

            #[allow(non_snake_case, unused_variables, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                #[doc = #d_loss_with]
                pub fn loss_batch_with #gen_b (&self, #ws_arg: &mut #ws_ty, #(#params,)*) -> #t {
                    let __ws = #ws_arg;
                    #nb
                    let mut __total = <#t as ::shapegrad::Scalar>::ZERO;
                    for __b in 0..__nb {
                        #fill
                        __total += self.loss_with(&mut __ws.__ex, #(#passes,)*);
                    }
                    __total * #inv
                }

                #[doc = #d_grad_into]
                pub fn grad_batch_into #gen_b (&self, #ws_arg: &mut #ws_ty, #(#params,)* #out_arg: &mut #grad_ty) -> #t {
                    let (__ws, __out) = (#ws_arg, #out_arg);
                    #nb
                    #(__out.#pnames.as_mut_slice().fill(<#t as ::shapegrad::Scalar>::ZERO);)*
                    let mut __total = <#t as ::shapegrad::Scalar>::ZERO;
                    for __b in 0..__nb {
                        #fill
                        __total += self.grad_into(&mut __ws.__ex, #(#passes,)* &mut __ws.__grad);
                        #(::shapegrad::grads::accumulate(__out.#pnames.as_mut_slice(), __ws.__grad.#pnames.as_slice());)*
                    }
                    let __inv = #inv;
                    ::shapegrad::grads::Gradients::scale(__out, __inv);
                    __total * __inv
                }

                #[doc = #d_loss]
                pub fn loss_batch #gen_b (&self, #(#params,)*) -> #t {
                    ::shapegrad::workspace::with_cached(|| #ws_new, |__ws| self.loss_batch_with(__ws, #(#calls,)*))
                }

                #[doc = #d_grad]
                pub fn grad_batch #gen_b (&self, #(#params,)*) -> (#t, #grad_ty) {
                    let mut __out = #grad_name::for_overwrite();
                    let __loss = ::shapegrad::workspace::with_cached(|| #ws_new, |__ws| self.grad_batch_into(__ws, #(#calls,)* &mut __out));
                    (__loss, __out)
                }

                #forward
            }

            #model
            #input_grads
        }
    }

    /// Each argument: its batched name and type, and how example `__b` is
    /// passed to the per-example methods (a buffer filled first, or a label
    /// read directly); `None` when one has no batched type.
    fn looped_args(&self, b: &Ident) -> Option<LoopedArgs> {
        let (m, t) = (self.m, &self.t);
        let mut bufs = Vec::new();
        let mut fills = Vec::new();
        let mut params = Vec::new();
        let mut calls = Vec::new();
        let mut passes = Vec::new();
        let mut inputs = Vec::new();
        for (i, (kind, d)) in m.args.iter().enumerate() {
            let shape = d.shape?;
            let bty = self.looped_ty(shape, b)?;
            let name = crate::net::batch::batch_name(&d.name);
            let buf = format_ident!("__a{i}");
            let ty = self.ty(shape, &quote!(#t));
            // Every batch is borrowed, a batch of labels too.
            params.push(quote!(#name: &#bty));
            calls.push(quote!(#name));
            if kind.is_input() {
                inputs.push(i);
            }
            match shape {
                Shape::Label(_) => {
                    fills.push(quote!());
                    passes.push(quote!(#name.get(__b)));
                }
                Shape::Labels(..) => {
                    bufs.push((buf.clone(), ty.clone(), quote!(<#ty>::zeros())));
                    fills.push(quote!(#name.example_into(__b, &mut __ws.#buf);));
                    passes.push(quote!(&__ws.#buf));
                }
                _ => {
                    let vals = quote!(::shapegrad::values::Values<#t>);
                    bufs.push((buf.clone(), ty.clone(), quote!(<#ty as #vals>::zeros())));
                    fills.push(quote! {
                        let __src = <#bty as #vals>::as_slice(#name);
                        for (__i, __v) in <#ty as #vals>::as_mut_slice(&mut __ws.#buf).iter_mut().enumerate() {
                            *__v = __src[__i * __nb + __b];
                        }
                    });
                    passes.push(quote!(&__ws.#buf));
                }
            }
        }
        Some(LoopedArgs { bufs, fills, params, calls, passes, inputs })
    }

    /// The batched methods' workspace: one example's workspace and
    /// gradient, and a buffer for each argument's example.
    fn looped_workspace(&self, b: &Ident, bufs: &[(Ident, TokenStream, TokenStream)]) -> TokenStream {
        let t = &self.t;
        let (name, grad_name, generics) = self.names();
        let ws = format_ident!("{}BatchWorkspace", name);
        let ex_ws = &self.ws;
        let grad_ty = quote!(#grad_name<#(#generics,)* #t>);
        let (bnames, btys, binits) = (
            bufs.iter().map(|(n, _, _)| n).collect::<Vec<_>>(),
            bufs.iter().map(|(_, ty, _)| ty).collect::<Vec<_>>(),
            bufs.iter().map(|(_, _, i)| i).collect::<Vec<_>>(),
        );
        let workspace_doc = format!(
            "The buffers of `{name}`'s batched methods: one example's workspace and gradient, reused for every example of the batch, and each argument's example."
        );
        quote! {
            #[doc = #workspace_doc]
            #[allow(non_snake_case, non_camel_case_types)]
            pub struct #ws<#(#generics: ::shapegrad::Dim,)* #b: ::shapegrad::Dim, #t: ::shapegrad::Scalar = f32> {
                __ex: #ex_ws<#(#generics,)* #t>,
                __grad: #grad_ty,
                #(#bnames: #btys,)*
                __types: ::core::marker::PhantomData<#b>,
            }

            #[allow(non_snake_case, non_camel_case_types)]
            impl<#(#generics: ::shapegrad::Dim,)* #b: ::shapegrad::Dim, #t: ::shapegrad::Scalar> #ws<#(#generics,)* #b, #t> {
                /// Every buffer allocated once, here.
                pub fn new() -> Self {
                    Self {
                        __ex: #ex_ws::new(),
                        __grad: #grad_name::for_overwrite(),
                        #(#bnames: #binits,)*
                        __types: ::core::marker::PhantomData,
                    }
                }
            }

            #[allow(non_snake_case, non_camel_case_types)]
            impl<#(#generics: ::shapegrad::Dim,)* #b: ::shapegrad::Dim, #t: ::shapegrad::Scalar> ::core::default::Default for #ws<#(#generics,)* #b, #t> {
                fn default() -> Self {
                    Self::new()
                }
            }

        }
    }

    /// For a net that asks for its inputs' gradients (`grad x;`): the
    /// struct of their batches and `grad_inputs_batch`, through the
    /// per-example `grad_inputs`, each example's gradient its own column.
    fn looped_input_grads(
        &self,
        b: &Ident,
        params: &[TokenStream],
        passes: &[TokenStream],
        fill: &TokenStream,
    ) -> TokenStream {
        let m = self.m;
        if m.input_grads.is_empty() || m.loss.is_none() {
            return quote!();
        }
        let t = &self.t;
        let (name, grad_name, generics) = self.names();
        let inputs: Vec<_> = m.input_grads.iter().filter_map(|&i| m.args.get(i).map(|(_, d)| d)).collect();
        let Some(tys) = inputs.iter().map(|d| self.looped_ty(d.shape?, b)).collect::<Option<Vec<_>>>() else {
            return quote!();
        };
        let fields: Vec<&Ident> = inputs.iter().map(|d| &d.name).collect();
        let st = format_ident!("{}InputGradBatch", name);
        let one = format_ident!("{}InputGrad", name);
        let ws = format_ident!("{}BatchWorkspace", name);
        let pnames: Vec<TokenStream> = m.params.iter().map(|p| p.field()).collect();
        let vals = quote!(::shapegrad::values::Values<#t>);
        let doc = format!(
            "The gradients of the loss with respect to the inputs `{name}` asks for (`grad x;`), one example per column (the example index last), each that example's own gradient (not divided by the batch size)."
        );
        let field_docs: Vec<String> =
            fields.iter().map(|f| format!("∂L/∂{f}, one example per column.")).collect();
        quote! {
            #[doc = #doc]
            #[derive(Clone, Debug, PartialEq)]
            #[allow(non_snake_case)]
            pub struct #st<#(#generics: ::shapegrad::Dim,)* #b: ::shapegrad::Dim, #t: ::shapegrad::Scalar = f32> {
                #(#[doc = #field_docs] pub #fields: #tys,)*
                #[doc(hidden)]
                pub __dims: ::core::marker::PhantomData<(#(#generics,)* #b, #t)>,
            }

            #[allow(non_snake_case, unused_variables, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                /// The mean loss over a batch, every param's gradient (the
                /// mean of the examples'), and the gradients of the inputs
                /// asked for (`grad x;`), one example per column: each
                /// example's `grad_inputs` in turn.
                pub fn grad_inputs_batch<#b: ::shapegrad::Dim>(&self, #(#params,)*) -> (#t, #grad_name<#(#generics,)* #t>, #st<#(#generics,)* #b, #t>) {
                    let mut __out = #grad_name::<#(#generics,)* #t>::zeros();
                    let mut __inp = #st::<#(#generics,)* #b, #t> {
                        #(#fields: <#tys as #vals>::zeros(),)*
                        __dims: ::core::marker::PhantomData,
                    };
                    let mut __ws = #ws::<#(#generics,)* #b, #t>::new();
                    let __ws = &mut __ws;
                    let __nb = <#b as ::shapegrad::Dim>::SIZE;
                    let __inv = <#t as ::shapegrad::Scalar>::ONE / <#t as ::shapegrad::Scalar>::from_usize(__nb);
                    let mut __total = <#t as ::shapegrad::Scalar>::ZERO;
                    for __b in 0..__nb {
                        #fill
                        let (__l, __g, __i): (#t, _, #one<#(#generics,)* #t>) = self.grad_inputs(#(#passes,)*);
                        __total += __l;
                        #(
                            for (__o, __v) in __out.#pnames.as_mut_slice().iter_mut().zip(__g.#pnames.as_slice()) {
                                *__o += *__v * __inv;
                            }
                        )*
                        #(
                            for (__k, __v) in __i.#fields.as_slice().iter().enumerate() {
                                <#tys as #vals>::as_mut_slice(&mut __inp.#fields)[__k * __nb + __b] = *__v;
                            }
                        )*
                    }
                    (__total * __inv, __out, __inp)
                }
            }
        }
    }
}

/// The docs of the looped batched methods: `loss_batch_with`,
/// `grad_batch_into`, `loss_batch`, `grad_batch`.
fn looped_docs() -> [String; 4] {
    let per = "the mean over a batch of `B` examples, the example index last (each example's per-example program run in turn, in one workspace)";
    [
        format!("The loss for {per}, computed in the buffers of `ws`."),
        format!(
            "The loss for {per}, and the gradient of every param (the mean of the examples' gradients) written into `out`, computed in the buffers of `ws`: allocates nothing."
        ),
        format!(
            "The loss for {per}, in this thread's cached workspace (no allocation after the first call)."
        ),
        format!(
            "The loss for {per} and the gradient of every param, in this thread's cached workspace: the returned gradient is the only allocation (`grad_batch_into` writes into the caller's)."
        ),
    ]
}
