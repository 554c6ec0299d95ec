//! The workspace struct of a net's generated code: a buffer for every
//! intermediate value its methods compute, allocated once in `new`.

use std::collections::HashMap;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::Codegen;
use crate::net::model::NodeId;
use crate::net::ops::def;

impl Codegen<'_> {
    /// `TwoLayerWorkspace<M, N, T>`: the workspace type with its generics.
    pub(super) fn ws_type(&self, scalar: &TokenStream) -> TokenStream {
        let (ws, generics) = (&self.ws, &self.m.generics);
        let b = self.ws_generic.iter();
        quote!(#ws<#(#generics,)* #(#b,)* #scalar>)
    }

    /// The workspace's buffers for `targets`: names, types and initial values.
    pub(super) fn ws_fields(&self, targets: &[NodeId]) -> (Vec<Ident>, Vec<TokenStream>, Vec<TokenStream>) {
        let m = self.m;
        let t = &self.t;
        let tt = quote!(#t);
        let needed = self.needed(targets);
        let slots: Vec<NodeId> =
            (0..m.graph.nodes.len()).filter(|&n| needed[n] && self.is_buffer(n)).collect();
        let mut fields: Vec<Ident> = slots.iter().map(|n| format_ident!("n{}", n)).collect();
        let mut types: Vec<TokenStream> = slots.iter().map(|&n| self.buf_ty(m.graph.shape(n), &tt)).collect();
        let mut inits: Vec<TokenStream> = slots
            .iter()
            .map(|&n| match m.graph.shape(n) {
                crate::net::model::Shape::Labels(..) => quote!(::shapegrad::Classes::zeros()),
                _ => quote!(::shapegrad::Matrix::zeros()),
            })
            .collect();
        let cx = self.emitter(HashMap::new(), &tt);
        // The step values a forward loop keeps for its backward loop: `T` steps.
        let loops = super::steps::Loops::new(&m.graph);
        let saved = self.saved(&cx, &loops, &needed);
        let of = m.graph.loop_of();
        for n in (0..m.graph.nodes.len()).filter(|&n| saved[n]) {
            let (Some(k), crate::net::model::Shape::Mat(r, c)) = (of[n], m.graph.shape(n)) else { continue };
            let steps = crate::net::ops::size(&cx, m.graph.loops[k].dim);
            let (r, c) = (self.dim(r), self.dim(c));
            fields.push(format_ident!("v{}", n));
            types.push(quote!(::std::vec::Vec<::shapegrad::Matrix<#r, #c, #t>>));
            inits.push(quote!((0..#steps).map(|_| ::shapegrad::Matrix::zeros()).collect()));
        }
        // The vectors of every step that an outer sum over steps collects.
        for (r, a, b) in self.outer_sums(&cx, &loops, &needed, &saved) {
            let crate::net::model::Attr::Loop(k) = m.graph.op(r).attr else { continue };
            let steps = self.dim(m.graph.loops[k].dim);
            for (prefix, v) in [("wa", a), ("wb", b)] {
                let crate::net::model::Shape::Mat(rows, _) = m.graph.shape(v) else { continue };
                let rows = self.dim(rows);
                fields.push(format_ident!("{prefix}{r}"));
                types.push(quote!(::shapegrad::Matrix<#steps, #rows, #t>));
                inits.push(quote!(::shapegrad::Matrix::zeros()));
            }
        }
        for n in (0..m.graph.nodes.len()).filter(|&n| needed[n]) {
            if let Some(len) = def(m.graph.op(n).code).scratch(&cx, n) {
                fields.push(format_ident!("s{}", n));
                types.push(quote!(::std::vec::Vec<#t>));
                inits.push(quote!(::std::vec![<#t as ::shapegrad::Scalar>::ZERO; #len]));
            }
        }
        (fields, types, inits)
    }

    /// The workspace struct: one buffer per computed matrix of `targets`.
    pub(super) fn workspace(&self, targets: &[NodeId]) -> TokenStream {
        let m = self.m;
        let t = &self.t;
        let (fields, types, inits) = self.ws_fields(targets);
        let (ws, generics, name) = (&self.ws, &m.generics, &m.name);
        let b: Vec<&Ident> = self.ws_generic.iter().collect();
        let doc = if b.is_empty() {
            format!(
                "A buffer for every intermediate value of [`{name}`]'s per-example methods: with one, `grad_into` allocates nothing."
            )
        } else {
            format!(
                "A buffer for every intermediate value of [`{name}`]'s batched methods, for batches of `{}` examples: with one, `grad_batch_into` allocates nothing.",
                b[0]
            )
        };
        // A workspace with no buffer still uses its type parameters.
        let phantom = quote!(__types: ::core::marker::PhantomData<(#(#generics,)* #(#b,)* #t)>);
        quote! {
            #[doc = #doc]
            #[allow(non_snake_case, non_camel_case_types)]
            pub struct #ws<#(#generics: ::shapegrad::Dim,)* #(#b: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar = f32> {
                #(#fields: #types,)*
                #phantom,
            }

            #[allow(non_snake_case, non_camel_case_types)]
            impl<#(#generics: ::shapegrad::Dim,)* #(#b: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #ws<#(#generics,)* #(#b,)* #t> {
                /// Every buffer allocated once, here.
                pub fn new() -> Self {
                    Self { #(#fields: #inits,)* __types: ::core::marker::PhantomData }
                }

                /// Whether every buffer is inline (a small net's) and the
                /// whole workspace at most 16 KiB: such a workspace allocates
                /// nothing, and the documented methods keep each of its
                /// buffers in a local variable instead of caching one.
                pub const INLINE: bool = ::core::mem::size_of::<Self>() <= 16 * 1024
                    #(&& <#types as ::shapegrad::storage::Buffer>::INLINE)*;
            }

            #[allow(non_snake_case, non_camel_case_types)]
            impl<#(#generics: ::shapegrad::Dim,)* #(#b: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> ::core::default::Default for #ws<#(#generics,)* #(#b,)* #t> {
                fn default() -> Self {
                    Self::new()
                }
            }
        }
    }
}
