//! What names each param: `summary()`, and the `Gradients` impl of the
//! gradient and the `Params` impl of the net that optimizers, files and
//! clipping use, one entry per param (`W`, `l1.W`) and running statistic.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::Codegen;
use super::items::Fields;
use crate::net::check::{Decl, LayerRef};

impl Codegen<'_> {
    /// One statement per param, `stmt(field, name, i)` given the tokens
    /// reaching param `i`'s field (`W`, `l1.W`) and its name (a literal);
    /// a stack's members' params in a run-time loop over the members
    /// (`blocks[__i].W1`, the name the member's of an array), so that the
    /// code does not grow with the stack's length.
    pub(super) fn each_param(
        &self,
        f: &Fields<'_>,
        stmt: impl Fn(&TokenStream, &TokenStream, usize) -> TokenStream,
    ) -> TokenStream {
        let mut out = TokenStream::new();
        let mut i = 0;
        while i < f.params.len() {
            let key = &f.pstrs[i];
            let single = stmt(&f.pfields[i], &quote!(#key), i);
            let Some(LayerRef { instance, at: Some(0), count: Some(n), .. }) = &f.params[i].layer else {
                out.extend(single);
                i += 1;
                continue;
            };
            // Member 0's params, then member 1's, …: `per` params a member.
            let member0 = |q: &&&Decl| matches!(&q.layer, Some(LayerRef { instance: o, at: Some(0), .. }) if o == instance);
            let per = f.params[i..].iter().take_while(member0).count();
            if i + per * n > f.params.len() {
                out.extend(single);
                i += 1;
                continue;
            }
            let body = (0..per).map(|j| {
                let name = &f.params[i + j].name;
                let keys = (0..*n).map(|m| &f.pstrs[i + m * per + j]);
                stmt(&quote!(#instance[__i].#name), &quote!([#(#keys),*][__i]), i + j)
            });
            let count = Literal::usize_unsuffixed(*n);
            out.extend(quote!(for __i in 0..#count { #(#body)* }));
            i += per * n;
        }
        out
    }

    /// `summary()`: each param with its shape in the dims' names.
    pub(super) fn summary_fn(&self, f: &Fields<'_>) -> TokenStream {
        let (name, _, generics) = self.names();
        let name_str = name.to_string();
        let (ptys32, sizes, stys) = (&f.ptys32, &f.sizes, &f.stys);
        let state_strs: Vec<&str> = self.m.states.iter().map(|s| s.plain()).collect();
        let rows = self.each_param(f, |_, name, i| {
            let (ty, size) = (&ptys32[i], &sizes[i]);
            quote!(rows.push((#name, <#ty as ::shapegrad::values::Values<f32>>::shape_name(), #size.len()));)
        });
        quote! {
            #[allow(non_snake_case, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)*> #name<#(#generics,)*> {
                /// Each param with its shape in the dims' names and its number
                /// of values, then the total (and the state that is not trained).
                pub fn summary() -> ::std::string::String {
                    let mut rows: ::std::vec::Vec<(&str, ::std::string::String, usize)> = ::std::vec::Vec::new();
                    #rows
                    let state: &[(&str, usize)] = &[#((#state_strs, 2 * <#stys as ::shapegrad::Dim>::SIZE),)*];
                    ::shapegrad::summary::table(#name_str, &rows, state)
                }
            }

        }
    }

    /// The `Gradients` impl of the gradient and the `Params` impl of the
    /// net: each param by name, for optimizers, files and clipping.
    pub(super) fn visit_impls(&self, f: &Fields<'_>) -> TokenStream {
        let t = &self.t;
        let (name, grad_name, generics) = self.names();
        let (sizes, snames, stys) = (&f.sizes, &f.snames, &f.stys);
        let optim = quote!(::shapegrad::optim);
        let visit_grads = self.each_param(f, |field, name, _| quote!(f(#name, self.#field.as_slice());));
        let visit_grads_mut =
            self.each_param(f, |field, name, _| quote!(f(#name, self.#field.as_mut_slice());));
        let visit = self.each_param(f, |field, name, i| {
            let size = &sizes[i];
            quote!(f(#optim::ParamRef { name: #name, shape: #size, values: self.#field.as_slice() });)
        });
        let visit_mut = self.each_param(f, |field, name, i| {
            let size = &sizes[i];
            quote!(f(#optim::ParamMut { name: #name, shape: #size, values: self.#field.as_mut_slice() });)
        });
        let visit_with_grad = self.each_param(f, |field, name, i| {
            let size = &sizes[i];
            quote!(f(
                #optim::ParamMut { name: #name, shape: #size, values: self.#field.as_mut_slice() },
                grad.#field.as_slice(),
            );)
        });
        let states = &self.m.states;
        let mean_names: Vec<String> = states.iter().map(|s| format!("{}.running_mean", s.plain())).collect();
        let var_names: Vec<String> = states.iter().map(|s| format!("{}.running_var", s.plain())).collect();
        let name_str = name.to_string();
        let identity = self.structure.map(|hash| {
            quote! {
                fn identity(&self) -> ::core::option::Option<(&'static str, u64)> {
                    ::core::option::Option::Some((#name_str, #hash))
                }
            }
        });
        quote! {
            /// The gradients by param name: global norm, clipping, scaling.
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> ::shapegrad::grads::Gradients<#t> for #grad_name<#(#generics,)* #t> {
                fn visit_grads(&self, f: &mut dyn FnMut(&'static str, &[#t])) {
                    #visit_grads
                }

                fn visit_grads_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut [#t])) {
                    #visit_grads_mut
                }
            }

            /// Each param by name, for optimizers and serialization.
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #optim::Params<#t> for #name<#(#generics,)* #t> {
                type Grad = #grad_name<#(#generics,)* #t>;

                fn visit(&self, f: &mut dyn FnMut(#optim::ParamRef<'_, #t>)) {
                    #visit
                }

                fn visit_mut(&mut self, f: &mut dyn FnMut(#optim::ParamMut<'_, #t>)) {
                    #visit_mut
                }

                fn visit_with_grad(&mut self, grad: &Self::Grad, f: &mut dyn FnMut(#optim::ParamMut<'_, #t>, &[#t])) {
                    #visit_with_grad
                }

                fn visit_state(&self, f: &mut dyn FnMut(#optim::ParamRef<'_, #t>)) {
                    #(
                        f(#optim::ParamRef { name: #mean_names, shape: #optim::ParamShape::new(&[<#stys as ::shapegrad::Dim>::SIZE]), values: self.#snames.mean.as_slice() });
                        f(#optim::ParamRef { name: #var_names, shape: #optim::ParamShape::new(&[<#stys as ::shapegrad::Dim>::SIZE]), values: self.#snames.var.as_slice() });
                    )*
                }

                fn visit_state_mut(&mut self, f: &mut dyn FnMut(#optim::ParamMut<'_, #t>)) {
                    #(
                        f(#optim::ParamMut { name: #mean_names, shape: #optim::ParamShape::new(&[<#stys as ::shapegrad::Dim>::SIZE]), values: self.#snames.mean.as_mut_slice() });
                        f(#optim::ParamMut { name: #var_names, shape: #optim::ParamShape::new(&[<#stys as ::shapegrad::Dim>::SIZE]), values: self.#snames.var.as_mut_slice() });
                    )*
                }

                fn update_state(&mut self, grad: &Self::Grad) {
                    #(self.#snames.update(&grad.#snames);)*
                }

                #identity
            }
        }
    }
}
