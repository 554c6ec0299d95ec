//! What an invalid net still generates: every item a valid one has, with
//! signatures as close to the valid net's as its errors allow and bodies
//! that never run, so that the code using the net gets no follow-on errors
//! (rustc's "no method named `forward`") beside the net's own.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::Codegen;

impl Codegen<'_> {
    /// Signatures with unreachable bodies, emitted next to the errors of an
    /// invalid net. An argument whose declaration failed takes any type; an
    /// output that failed makes `forward` return `!`; the batched methods
    /// take any arguments.
    pub fn stub(&self) -> TokenStream {
        let t = &self.t;
        let tt = quote!(#t);
        let (name, grad_name, generics) = self.names();
        let (any, args) = self.stub_args(true);
        let (any_in, inputs) = self.stub_args(false);
        let gradcheck = self.gradcheck_stub(&any, &args);
        let items = self.items("", "");
        let workspace = self.workspace(&[]);
        let ws_ty = self.ws_type(&tt);
        let derivation = self.derivation_fns("", "");
        let (ws_arg, out_arg) = self.buffer_args();
        let grad_ty = quote!(#grad_name<#(#generics,)* #t>);
        let forward = self.outputs_type().map(|ret| {
            quote! {
                pub fn forward<#(#any_in),*>(&self, #inputs) -> #ret { ::core::unreachable!() }
                pub fn forward_with<#(#any_in),*>(&self, #ws_arg: &mut #ws_ty, #inputs) -> #ret { ::core::unreachable!() }
            }
        });
        let batch = self.batch_stub();
        let batch_ws = self.batch_workspace_stub();
        let input_grads = self.input_grads_stub(&any, &args);
        let unreachable = quote!({ ::core::unreachable!() });
        // The traits need every argument's type: only when all declarations held.
        let model = if any.is_empty() { self.model_impls(false) } else { quote!() };
        quote! {
            #items
            #workspace
            #batch_ws

            #[allow(non_snake_case, unused_variables, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                pub fn loss<#(#any),*>(&self, #args) -> #t #unreachable
                pub fn grad<#(#any),*>(&self, #args) -> (#t, #grad_ty) #unreachable
                pub fn loss_with<#(#any),*>(&self, #ws_arg: &mut #ws_ty, #args) -> #t #unreachable
                pub fn grad_into<#(#any),*>(&self, #ws_arg: &mut #ws_ty, #args #out_arg: &mut #grad_ty) -> #t #unreachable
                pub fn to_onnx(&self) -> ::std::vec::Vec<u8> #unreachable
                pub fn export_onnx(&self, path: impl ::core::convert::AsRef<::std::path::Path>) -> ::std::io::Result<()> #unreachable
                #forward
                #gradcheck
                #batch
            }

            #derivation
            #model
            #input_grads
        }
    }

    /// For a net that asks for input gradients (`grad x;`): the struct of
    /// the inputs' types as declared (an input whose declaration failed is
    /// left out), `grad_inputs`, and `grad_inputs_batch` taking anything
    /// and returning `!` (its types come from the batch lifting).
    fn input_grads_stub(&self, any: &[Ident], args: &TokenStream) -> TokenStream {
        let m = self.m;
        if m.input_grads.is_empty() {
            return quote!();
        }
        let t = &self.t;
        let tt = quote!(#t);
        let (name, grad_name, generics) = self.names();
        let st = format_ident!("{}InputGrad", name);
        let inputs: Vec<_> = m.input_grads.iter().filter_map(|&i| m.args.get(i).map(|(_, d)| d)).collect();
        let (fields, tys): (Vec<&Ident>, Vec<TokenStream>) =
            inputs.iter().filter_map(|d| Some((&d.name, self.ty(d.shape?, &tt)))).unzip();
        let n = m.args.len();
        let any_batch: Vec<Ident> = (0..n).map(|i| format_ident!("__A{i}")).collect();
        quote! {
            #[allow(non_snake_case)]
            pub struct #st<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar = f32> {
                #(pub #fields: #tys,)*
                #[doc(hidden)]
                pub __dims: ::core::marker::PhantomData<(#(#generics,)* #t)>,
            }

            #[allow(non_snake_case, unused_variables, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                pub fn grad_inputs<#(#any),*>(&self, #args) -> (#t, #grad_name<#(#generics,)* #t>, #st<#(#generics,)* #t>) {
                    ::core::unreachable!()
                }
                pub fn grad_inputs_batch<#(#any_batch),*>(&self, #(_: #any_batch),*) -> ! {
                    ::core::unreachable!()
                }
            }
        }
    }

    /// The arguments as the valid net declares them (inputs only unless
    /// `labels`), an argument whose declaration failed as a type parameter
    /// of its own: those parameters, and the list.
    fn stub_args(&self, labels: bool) -> (Vec<Ident>, TokenStream) {
        let t = &self.t;
        let tt = quote!(#t);
        let mut any = Vec::new();
        let args = self.m.args.iter().filter(|(k, _)| labels || k.is_input());
        let list: Vec<TokenStream> = args
            .map(|(kind, a)| {
                let name = &a.name;
                match a.shape {
                    None => {
                        let p = format_ident!("__A{}", any.len());
                        any.push(p.clone());
                        quote!(#name: #p)
                    }
                    Some(shape) => {
                        let ty = self.ty(shape, &tt);
                        let by_ref =
                            kind.is_values() || matches!(shape, crate::net::model::Shape::Labels(..));
                        if by_ref { quote!(#name: &#ty) } else { quote!(#name: #ty) }
                    }
                }
            })
            .collect();
        let rng = (labels && self.rng).then(|| quote!(rng: &mut ::shapegrad::random::Rng,));
        (any, quote!(#(#list,)* #rng))
    }

    /// `gradcheck` and `check_hand_grads` of a stub.
    fn gradcheck_stub(&self, any: &[Ident], args: &TokenStream) -> TokenStream {
        let t = &self.t;
        let report = quote!(::shapegrad::check::GradCheck<#t>);
        quote! {
            pub fn gradcheck<#(#any),*>(&self, #args) -> #report { ::core::unreachable!() }
            pub fn check_hand_grads<#(#any),*>(&self, #args) -> #report { ::core::unreachable!() }
        }
    }

    /// What `forward` returns: the outputs' types, `!` where an output did
    /// not check (so that any use of it type-checks), or `None` without outputs.
    fn outputs_type(&self) -> Option<TokenStream> {
        let m = self.m;
        let t = &self.t;
        let tt = quote!(#t);
        if m.outputs.is_empty() {
            return None;
        }
        let tys: Option<Vec<TokenStream>> =
            m.outputs.iter().map(|(_, n)| n.map(|n| self.ty(m.graph.shape(n), &tt))).collect();
        Some(match tys {
            Some(tys) if tys.len() == 1 => tys[0].clone(),
            Some(tys) => quote!((#(#tys),*)),
            None => quote!(!),
        })
    }

    /// `NameBatchWorkspace<…, B, T>` with `new()`, as a valid net has it.
    fn batch_workspace_stub(&self) -> TokenStream {
        let t = &self.t;
        let generics = &self.m.generics;
        let ws = format_ident!("{}BatchWorkspace", self.m.name);
        let b = crate::net::batch::batch_ident(self.m);
        let vis = &self.m.vis;
        quote! {
            #[doc(hidden)]
            #[allow(non_snake_case, clippy::all)]
            #vis struct #ws<#(#generics: ::shapegrad::Dim,)* #b: ::shapegrad::Dim, #t: ::shapegrad::Scalar = f32>(
                ::core::marker::PhantomData<(#(#generics,)* #b, #t)>,
            );

            #[allow(non_snake_case, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #b: ::shapegrad::Dim, #t: ::shapegrad::Scalar> #ws<#(#generics,)* #b, #t> {
                pub fn new() -> Self {
                    ::core::unreachable!()
                }
            }
        }
    }

    /// The batched methods of a stub, taking any arguments (their types
    /// depend on the batch lifting, which an invalid net does not reach).
    fn batch_stub(&self) -> TokenStream {
        let t = &self.t;
        let grad_name = format_ident!("{}Grad", self.m.name);
        let generics = &self.m.generics;
        let grad_ty = quote!(#grad_name<#(#generics,)* #t>);
        let n = self.m.args.len() + usize::from(self.rng);
        let any: Vec<Ident> = (0..n).map(|i| format_ident!("__A{i}")).collect();
        let inputs = self.m.args.iter().filter(|(k, _)| k.is_input()).count();
        let any_in = &any[..inputs];
        let unreachable = quote!({ ::core::unreachable!() });
        if n == 0 {
            return quote!();
        }
        let forward = (!self.m.outputs.is_empty()).then(|| {
            quote! {
                pub fn forward_batch<#(#any_in),*>(&self, #(_: #any_in),*) -> ! #unreachable
                pub fn forward_batch_with<__W, #(#any_in),*>(&self, ws: __W, #(_: #any_in),*) -> ! #unreachable
            }
        });
        quote! {
            pub fn loss_batch<#(#any),*>(&self, #(_: #any),*) -> #t #unreachable
            pub fn grad_batch<#(#any),*>(&self, #(_: #any),*) -> (#t, #grad_ty) #unreachable
            pub fn loss_batch_with<__W, #(#any),*>(&self, ws: __W, #(_: #any),*) -> #t #unreachable
            pub fn grad_batch_into<__W, #(#any),*>(&self, ws: __W, #(_: #any,)* out: &mut #grad_ty) -> #t #unreachable
            #forward
        }
    }
}
