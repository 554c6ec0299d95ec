//! What names each param: `summary()`, and the `Gradients` impl of the
//! gradient and the `Params` impl of the net that optimizers, files and
//! clipping use, one entry per param (`W`, `l1.W`) and running statistic.

use proc_macro2::TokenStream;
use quote::quote;

use super::Codegen;
use super::items::Fields;

impl Codegen<'_> {
    /// `summary()`: each param with its shape in the dims' names.
    pub(super) fn summary_fn(&self, f: &Fields<'_>) -> TokenStream {
        let (name, _, generics) = self.names();
        let name_str = name.to_string();
        let (pstrs, ptys32, sizes, stys) = (&f.pstrs, &f.ptys32, &f.sizes, &f.stys);
        let state_strs: Vec<&str> = self.m.states.iter().map(|s| s.plain()).collect();
        quote! {
            #[allow(non_snake_case, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)*> #name<#(#generics,)*> {
                /// Each param with its shape in the dims' names and its number
                /// of values, then the total (and the state that is not trained).
                pub fn summary() -> ::std::string::String {
                    let rows: &[(&str, ::std::string::String, usize)] = &[
                        #((#pstrs, <#ptys32 as ::shapegrad::values::Values<f32>>::shape_name(), #sizes.len()),)*
                    ];
                    let state: &[(&str, usize)] = &[#((#state_strs, 2 * <#stys as ::shapegrad::Dim>::SIZE),)*];
                    ::shapegrad::summary::table(#name_str, rows, state)
                }
            }

        }
    }

    /// The `Gradients` impl of the gradient and the `Params` impl of the
    /// net: each param by name, for optimizers, files and clipping.
    pub(super) fn visit_impls(&self, f: &Fields<'_>) -> TokenStream {
        let t = &self.t;
        let (name, grad_name, generics) = self.names();
        let (pstrs, pfields, sizes, snames, stys) = (&f.pstrs, &f.pfields, &f.sizes, &f.snames, &f.stys);
        let optim = quote!(::shapegrad::optim);
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
                    #(f(#pstrs, self.#pfields.as_slice());)*
                }

                fn visit_grads_mut(&mut self, f: &mut dyn FnMut(&'static str, &mut [#t])) {
                    #(f(#pstrs, self.#pfields.as_mut_slice());)*
                }
            }

            /// Each param by name, for optimizers and serialization.
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #optim::Params<#t> for #name<#(#generics,)* #t> {
                type Grad = #grad_name<#(#generics,)* #t>;

                fn visit(&self, f: &mut dyn FnMut(#optim::ParamRef<'_, #t>)) {
                    #(f(#optim::ParamRef { name: #pstrs, shape: #sizes, values: self.#pfields.as_slice() });)*
                }

                fn visit_mut(&mut self, f: &mut dyn FnMut(#optim::ParamMut<'_, #t>)) {
                    #(f(#optim::ParamMut { name: #pstrs, shape: #sizes, values: self.#pfields.as_mut_slice() });)*
                }

                fn visit_with_grad(&mut self, grad: &Self::Grad, f: &mut dyn FnMut(#optim::ParamMut<'_, #t>, &[#t])) {
                    #(f(
                        #optim::ParamMut { name: #pstrs, shape: #sizes, values: self.#pfields.as_mut_slice() },
                        grad.#pfields.as_slice(),
                    );)*
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
