//! Layer instances in the params and gradient structs: `net.l1.W`. An
//! instance's params are a struct, `{Net}{Layer}{dims}` (`MlpDenseDH` for
//! `param l1: Dense<D, H>;`, `MlpResidual` for a layer without dims), one
//! for every instance of that layer with those dims, which the gradient
//! struct uses too (`grad.l1.W`), so the two nest alike; a stack's field
//! is an array of them (`net.blocks[0].W`).

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::Codegen;
use crate::net::check::Decl;

/// A field of the params struct: a param, or an instance and its params.
pub(super) enum Member {
    /// The index of the param among those given.
    Param(usize),
    /// An instance, or a stack of `count` (its params member by member).
    Instance { name: Ident, ty: Ident, params: Vec<usize>, doc: String, count: Option<usize> },
}

impl Codegen<'_> {
    /// The params' fields, in order, each instance at its first param.
    pub(super) fn members(&self, params: &[&Decl]) -> Vec<Member> {
        let mut out: Vec<Member> = Vec::new();
        for (i, p) in params.iter().enumerate() {
            let Some(l) = &p.layer else {
                out.push(Member::Param(i));
                continue;
            };
            let found = out.iter_mut().find_map(|m| match m {
                Member::Instance { name, params, .. } if *name == l.instance => Some(params),
                _ => None,
            });
            match found {
                Some(list) => list.push(i),
                None => {
                    let docs: Vec<String> = l.layer.attrs.iter().filter_map(doc_text).collect();
                    let mut doc = format!("The params of an instance of layer `{}`.", l.layer.name);
                    if !docs.is_empty() {
                        doc += &format!("\n\n{}", docs.join("\n"));
                    }
                    out.push(Member::Instance {
                        name: l.instance.clone(),
                        ty: format_ident!("{}{}{}", self.m.name, l.layer.name, l.dims),
                        params: vec![i],
                        doc,
                        count: l.count,
                    })
                }
            }
        }
        out
    }

    /// Struct-literal fields from one value per param: `W1: e0, l1: MlpL1 { W: e1, b: e2 },`.
    pub(super) fn nest_values(
        &self,
        members: &[Member],
        params: &[&Decl],
        values: &[TokenStream],
    ) -> TokenStream {
        let fields = members.iter().map(|m| match m {
            Member::Param(i) => {
                let (n, v) = (&params[*i].name, &values[*i]);
                quote!(#n: #v,)
            }
            Member::Instance { name, ty, params: own, count, .. } => {
                let members = own.chunks(member_len(own, *count)).map(|own| {
                    let ns = own.iter().map(|&i| &params[i].name);
                    let vs = own.iter().map(|&i| &values[i]);
                    let phantom = self
                        .instance_phantom(own, params)
                        .map(|_| quote!(__dims: ::core::marker::PhantomData,));
                    quote!(#ty { #(#ns: #vs,)* #phantom })
                });
                let members: Vec<TokenStream> = members.collect();
                // A stack whose members' values are written alike (`zeros()`,
                // `self.blocks[__i].W.cast()`): one member's, made for each,
                // so the code does not grow with the stack's length.
                let alike = members.iter().all(|m| m.to_string() == members[0].to_string());
                match count {
                    Some(_) if alike => {
                        let first = &members[0];
                        quote!(#name: ::core::array::from_fn(|__i| #first),)
                    }
                    Some(_) => quote!(#name: [#(#members),*],),
                    None => quote!(#name: #(#members)*,),
                }
            }
        });
        quote!(#(#fields)*)
    }

    /// Field declarations from one declaration per param (`#[doc] pub W: ty`),
    /// an instance as its struct's field.
    pub(super) fn nest_decls(&self, members: &[Member], decls: &[TokenStream], t: &Ident) -> TokenStream {
        let generics = &self.m.generics;
        let fields = members.iter().map(|m| match m {
            Member::Param(i) => {
                let d = &decls[*i];
                quote!(#d,)
            }
            Member::Instance { name, ty, doc, count: None, .. } => {
                let doc = format!("Instance `{name}`. {doc}");
                quote!(#[doc = #doc] pub #name: #ty<#(#generics,)* #t>,)
            }
            Member::Instance { name, ty, doc, count: Some(n), .. } => {
                let doc = format!("Stack `{name}` of {n} instances, applied in turn. {doc}");
                quote!(#[doc = #doc] pub #name: [#ty<#(#generics,)* #t>; #n],)
            }
        });
        quote!(#(#fields)*)
    }

    /// Each instance's struct, its fields declared by `decls`.
    pub(super) fn instance_structs(
        &self,
        members: &[Member],
        params: &[&Decl],
        decls: &[TokenStream],
    ) -> TokenStream {
        let (vis, t, generics) = (&self.m.vis, &self.t, &self.m.generics);
        let mut made = Vec::new();
        let structs = members.iter().filter_map(|m| {
            let Member::Instance { ty, params: own, doc, count, .. } = m else { return None };
            if made.contains(&ty) {
                return None;
            }
            made.push(ty);
            // The first member's fields (a stack's members all alike).
            let own = &own[..member_len(own, *count)];
            let fields = own.iter().map(|&i| &decls[i]);
            let phantom = self.instance_phantom(own, params).map(
                |unused| quote!(#[doc(hidden)] pub __dims: ::core::marker::PhantomData<(#(#unused,)*)>,),
            );
            Some(quote! {
                #[doc = #doc]
                #[derive(Clone, Debug, PartialEq)]
                #[allow(non_snake_case)]
                #vis struct #ty<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar = f32> {
                    #(#fields,)*
                    #phantom
                }
            })
        });
        quote!(#(#structs)*)
    }

    /// The generic dims an instance's params do not mention (its struct
    /// needs them all), or `None` when there are none.
    fn instance_phantom<'a>(&'a self, own: &[usize], params: &[&Decl]) -> Option<Vec<&'a Ident>> {
        let unused: Vec<&Ident> = self
            .m
            .generics
            .iter()
            .filter(|g| !own.iter().any(|&i| self.shape_mentions(params[i].shape, &g.to_string())))
            .collect();
        (!unused.is_empty()).then_some(unused)
    }
}

/// How many of an instance's params `own` each member has: all of them,
/// or a stack's share (its members alike, their params in order).
fn member_len(own: &[usize], count: Option<usize>) -> usize {
    (own.len() / count.unwrap_or(1).max(1)).max(1)
}

/// The text of a `/// doc` attribute.
fn doc_text(a: &syn::Attribute) -> Option<String> {
    let syn::Meta::NameValue(nv) = &a.meta else { return None };
    if !nv.path.is_ident("doc") {
        return None;
    }
    match &nv.value {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value().trim().to_string()),
        _ => None,
    }
}
