//! The params struct and the gradient struct of a net, with `zeros`,
//! `init`, `save`, `load`, `cast` and the `Params` impl that optimizers and
//! serialization use.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::Codegen;
use super::layers::Member;
use crate::net::check::Decl;
use crate::net::model::{ONE, Shape};

/// What every part of the structs and their impls is made from: the
/// params (each with its type, field path, name and shape), the layer
/// instances, the running statistics, and what the generics need.
pub(super) struct Fields<'m> {
    pub(super) params: Vec<&'m Decl>,
    pub(super) members: Vec<Member>,
    /// Each param's type (a scalar as a 1×1), in `T` and in `f32`.
    pub(super) ptys: Vec<TokenStream>,
    pub(super) ptys32: Vec<TokenStream>,
    /// How the code reaches each (`self.#field`: `W`, `l1.W`).
    pub(super) pfields: Vec<TokenStream>,
    /// Each param's name in files and messages (`W`, `l1.W`).
    pub(super) pstrs: Vec<String>,
    /// The shape as declared: `[H, D]`, `[H]`, or none for a scalar.
    pub(super) sizes: Vec<TokenStream>,
    pub(super) snames: Vec<Ident>,
    pub(super) stys: Vec<TokenStream>,
    pub(super) phantom_field: TokenStream,
    pub(super) phantom_init: TokenStream,
}

impl Codegen<'_> {
    /// The params struct, the gradient struct, their constructors, files,
    /// summary and the traits optimizers use; the struct's docs show
    /// `derivation` in a code block, then `note`.
    pub(super) fn items(&self, derivation: &str, note: &str) -> TokenStream {
        let f = self.fields();
        let structs = self.structs(&f, derivation, note);
        let constructors = self.constructors(&f);
        let grad_constructors = self.grad_constructors(&f);
        let summary = self.summary_fn(&f);
        let visits = self.visit_impls(&f);
        quote!(#structs #grad_constructors #constructors #summary #visits)
    }

    fn fields(&self) -> Fields<'_> {
        let (m, t) = (self.m, &self.t);
        let params: Vec<&Decl> = m.params.iter().filter(|p| p.shape.is_some()).collect();
        let members = self.members(&params);
        // A scalar param is stored as a 1×1, so optimizers and files see a matrix.
        let ty = |p: &Decl, t: &TokenStream| {
            self.ty(p.shape.filter(|&s| s != Shape::Scalar).unwrap_or(Shape::Mat(ONE, ONE)), t)
        };
        let (tt, f32t) = (quote!(#t), quote!(f32));
        let sizes = params
            .iter()
            .map(|p| {
                let dims: Vec<&TokenStream> = match p.shape {
                    Some(s) if self.is_tensor(s) => self.tensor_dims(s).unwrap_or_default(),
                    Some(Shape::Mat(r, ONE)) => vec![self.dim(r)],
                    Some(Shape::Mat(r, c)) => vec![self.dim(r), self.dim(c)],
                    _ => vec![],
                };
                quote!(::shapegrad::optim::ParamShape::new(&[#(<#dims as ::shapegrad::Dim>::SIZE),*]))
            })
            .collect();
        // A generic dim (or the element type, when no param parsed) that no
        // field uses still needs one; an instance's field names them all.
        let mut unused: Vec<&Ident> = m
            .generics
            .iter()
            .filter(|g| !params.iter().any(|p| self.shape_mentions(p.shape, &g.to_string())))
            .collect();
        if params.is_empty() {
            unused.push(t);
        }
        if members.iter().any(|m| matches!(m, Member::Instance { .. })) {
            unused.clear();
        }
        let (phantom_field, phantom_init) = if unused.is_empty() {
            (quote!(), quote!())
        } else {
            (
                quote!(#[doc(hidden)] pub __dims: ::core::marker::PhantomData<(#(#unused,)*)>,),
                quote!(__dims: ::core::marker::PhantomData,),
            )
        };
        Fields {
            ptys: params.iter().map(|p| ty(p, &tt)).collect(),
            ptys32: params.iter().map(|p| ty(p, &f32t)).collect(),
            pfields: params.iter().map(|p| p.field()).collect(),
            pstrs: params.iter().map(|p| p.key()).collect(),
            sizes,
            snames: m.states.iter().map(|s| s.field()).collect(),
            stys: m.states.iter().map(|s| self.dim(s.channels).clone()).collect(),
            params,
            members,
            phantom_field,
            phantom_init,
        }
    }

    /// The params struct (with each layer instance's) and the gradient struct.
    fn structs(&self, f: &Fields<'_>, derivation: &str, note: &str) -> TokenStream {
        let (m, t) = (self.m, &self.t);
        let (vis, attrs) = (&m.vis, &m.attrs);
        let (name, grad_name, generics) = self.names();
        let shape = |p: &Decl| m.graph.shape_text(p.shape.unwrap_or(Shape::Scalar));
        let pdecls: Vec<TokenStream> = f
            .params
            .iter()
            .zip(&f.ptys)
            .map(|(p, ty)| {
                let (attrs, n, doc) = (&p.attrs, &p.name, format!("`{}`, `{}`.", p.key(), shape(p)));
                quote!(#(#attrs)* #[doc = #doc] pub #n: #ty)
            })
            .collect();
        let gdecls: Vec<TokenStream> = f
            .params
            .iter()
            .zip(&f.ptys)
            .map(|(p, ty)| {
                let (n, doc) = (&p.name, format!("∂L/∂{}, `{}`.", p.key(), shape(p)));
                quote!(#[doc = #doc] pub #n: #ty)
            })
            .collect();
        let param_fields = self.nest_decls(&f.members, &pdecls, t);
        let grad_fields = self.nest_decls(&f.members, &gdecls, t);
        let instance_structs = self.instance_structs(&f.members, &f.params, &pdecls);
        let struct_doc = if derivation.is_empty() {
            String::new()
        } else {
            format!("\n\nGenerated by `net!`. The derived backward pass:\n\n```text\n{derivation}```{note}")
        };
        let grad_doc = format!("The gradient of the loss of [`{name}`] with respect to each param.");
        // Running statistics of each batchnorm: fields of the net, and the
        // batch's statistics in the gradient for the optimizer's step.
        let (snames, stys, phantom_field) = (&f.snames, &f.stys, &f.phantom_field);
        let sdocs = m.states.iter().map(|s| {
            format!(
                "The running mean and variance of the batchnorm in `{}`, `[{}]` each (not a param).",
                s.name, m.graph.dims[s.channels].text
            )
        });
        let bdocs = m.states.iter().map(|s| format!("The batch statistics of the batchnorm in `{}` from the last training step, for the optimizer's step to update the running ones.", s.name));
        quote! {
            #instance_structs

            #(#attrs)*
            #[doc = #struct_doc]
            #[derive(Clone, Debug, PartialEq)]
            #[allow(non_snake_case)]
            #vis struct #name<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar = f32> {
                #param_fields
                #(#[doc = #sdocs] pub #snames: ::shapegrad::running::RunningStats<#stys, #t>,)*
                #phantom_field
            }

            #[doc = #grad_doc]
            #[derive(Clone, Debug, PartialEq)]
            #[allow(non_snake_case)]
            #vis struct #grad_name<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar = f32> {
                #grad_fields
                #(#[doc = #bdocs] pub #snames: ::shapegrad::running::BatchStats<#stys, #t>,)*
                #phantom_field
            }
        }
    }

    /// The value of each param in `init`: a declared value (`param g: [D]
    /// = 0.5;`) first; else a scale or a gain starts at 1 (see
    /// `starts_at_one`), anything else as `init.param()`.
    fn inits(&self, f: &Fields<'_>) -> TokenStream {
        let t = &self.t;
        let values: Vec<TokenStream> = f
            .params
            .iter()
            .zip(&f.ptys)
            .map(|(p, ty)| {
                let value = match p.init {
                    Some(v) => quote!(<#t as ::shapegrad::Scalar>::from_f64(#v)),
                    None if p.node.is_some_and(|n| self.starts_at_one(n)) => {
                        quote!(<#t as ::shapegrad::Scalar>::ONE)
                    }
                    None => return quote!(init.param()),
                };
                quote!({
                    let mut __v = <#ty as ::shapegrad::values::Values<#t>>::zeros();
                    ::shapegrad::values::Values::as_mut_slice(&mut __v).fill(#value);
                    __v
                })
            })
            .collect();
        self.nest_values(&f.members, &f.params, &values)
    }

    /// `zeros` and `for_overwrite` of the gradient.
    fn grad_constructors(&self, f: &Fields<'_>) -> TokenStream {
        let t = &self.t;
        let (_, grad_name, generics) = self.names();
        let values = |make: &dyn Fn(&TokenStream) -> TokenStream| -> TokenStream {
            let values: Vec<TokenStream> = f.ptys.iter().map(make).collect();
            self.nest_values(&f.members, &f.params, &values)
        };
        let zeros = values(&|ty| quote!(<#ty as ::shapegrad::values::Values<#t>>::zeros()));
        let overwrite = values(&|ty| quote!(<#ty as ::shapegrad::values::Values<#t>>::for_overwrite()));
        let (snames, phantom_init) = (&f.snames, &f.phantom_init);
        quote! {
            #[allow(non_snake_case, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #grad_name<#(#generics,)* #t> {
                /// Every gradient zero: an output buffer for `grad_into`.
                pub fn zeros() -> Self {
                    Self {
                        #zeros
                        #(#snames: ::shapegrad::running::BatchStats::new(),)*
                        #phantom_init
                    }
                }

                /// Unspecified gradients, which `grad_into` overwrites in
                /// full: `grad`'s output buffer (large matrices reuse this
                /// thread's dropped buffers; see `Matrix::for_overwrite`).
                #[doc(hidden)]
                #[inline]
                pub fn for_overwrite() -> Self {
                    Self {
                        #overwrite
                        #(#snames: ::shapegrad::running::BatchStats::new(),)*
                        #phantom_init
                    }
                }
            }

        }
    }

    /// `zeros`, `init`, `save`, `load` and `cast` of the net.
    fn constructors(&self, f: &Fields<'_>) -> TokenStream {
        let t = &self.t;
        let (name, _, generics) = self.names();
        let zeros: Vec<TokenStream> =
            f.ptys.iter().map(|ty| quote!(<#ty as ::shapegrad::values::Values<#t>>::zeros())).collect();
        let zeros = self.nest_values(&f.members, &f.params, &zeros);
        // A stack member's by the index `from_fn` gives (see `nest_values`).
        let casts: Vec<TokenStream> = f
            .params
            .iter()
            .zip(&f.pfields)
            .map(|(p, field)| match &p.layer {
                Some(crate::net::check::LayerRef { instance, at: Some(_), .. }) => {
                    let name = &p.name;
                    quote!(self.#instance[__i].#name.cast())
                }
                _ => quote!(self.#field.cast()),
            })
            .collect();
        let casts = self.nest_values(&f.members, &f.params, &casts);
        let pinits = self.inits(f);
        let (snames, phantom_init) = (&f.snames, &f.phantom_init);
        quote! {
            #[allow(non_snake_case, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                /// Every param zero (running statistics at mean 0, variance 1).
                pub fn zeros() -> Self {
                    Self {
                        #zeros
                        #(#snames: ::shapegrad::running::RunningStats::new(),)*
                        #phantom_init
                    }
                }

                /// Seeded initialization: weights and kernels Glorot-uniform,
                /// biases (vectors) zero, gains (`h * g`) and the scale of a
                /// batchnorm or layernorm one, a param declared `= v` at `v`;
                /// see `shapegrad::init`.
                #[allow(unused_mut, unused_variables)]
                pub fn init(seed: u64) -> Self {
                    let mut init = ::shapegrad::init::Init::new(seed);
                    Self {
                        #pinits
                        #(#snames: ::shapegrad::running::RunningStats::new(),)*
                        #phantom_init
                    }
                }

                /// Writes the params to a safetensors file, one tensor per param,
                /// named as the param (see `shapegrad::io`).
                pub fn save(&self, path: impl ::core::convert::AsRef<::std::path::Path>) -> ::core::result::Result<(), ::shapegrad::io::WeightsError> {
                    ::shapegrad::io::save(self, path)
                }

                /// Reads the params from a safetensors file written by `save`,
                /// checking every tensor's name, shape and dtype.
                pub fn load(path: impl ::core::convert::AsRef<::std::path::Path>) -> ::core::result::Result<Self, ::shapegrad::io::WeightsError> {
                    let mut net = Self::zeros();
                    ::shapegrad::io::load(&mut net, path)?;
                    ::core::result::Result::Ok(net)
                }

                /// The same params in another element type (`f32` ↔ `f64`).
                pub fn cast<__U: ::shapegrad::Scalar>(&self) -> #name<#(#generics,)* __U> {
                    #name { #casts #(#snames: self.#snames.cast(),)* #phantom_init }
                }

            }

        }
    }

    /// Whether param node `n` starts at one rather than as a bias (zero) or
    /// a weight: the scale γ of a batchnorm or layernorm (as PyTorch's), and
    /// a gain, a vector every use of which is a factor of an elementwise
    /// product of its own shape (`x * g`), whose gradient a zero would make
    /// vanish everywhere upstream.
    fn starts_at_one(&self, n: usize) -> bool {
        let g = &self.m.graph;
        // A stack member's param is read through its stack, step by step: its uses are the step's.
        let read_by_step = |k: usize| {
            let op = g.op(k);
            op.is("step") && g.op(op.arg(0)).is("members") && g.reads(op.arg(0)).contains(&n)
        };
        if let Some(step) = (0..g.nodes.len()).find(|&k| read_by_step(k)) {
            return self.starts_at_one(step);
        }
        // A value normalized (`normalize`, or its transpose for a matrix
        // normalized by rows), and a vector spread along an axis of a
        // matrix (`v 𝟙ᵀ`, `𝟙 vᵀ`): a layernorm's scale is the one times the other.
        let normalized = |k: usize| {
            let op = g.op(k);
            op.is("normalize") || (op.is("transpose") && g.op(op.arg(0)).is("normalize"))
        };
        let spread_of = |k: usize| {
            let op = g.op(k);
            if !op.is("matmul") {
                return k;
            }
            let (a, b) = (op.arg(0), op.arg(1));
            let v = if g.op(a).is("fill") {
                b
            } else if g.op(b).is("fill") {
                a
            } else {
                return k;
            };
            if g.op(v).is("transpose") { g.op(v).arg(0) } else { v }
        };
        let scale = g.nodes.iter().any(|node| {
            crate::net::ops::def(node.op.code)
                .scale_operand()
                .is_some_and(|i| node.op.operands().get(i) == Some(&n))
                || (node.op.is("mul") && spread_of(node.op.arg(0)) == n && normalized(node.op.arg(1)))
        });
        let shape = g.shape(n);
        let vector = matches!(shape, Shape::Mat(r, ONE) if r != ONE);
        // Uses in the forward pass: what the loss and outputs are computed from.
        let targets: Vec<usize> = self
            .m
            .loss
            .iter()
            .chain(self.m.outputs.iter().filter_map(|(_, o)| o.as_ref()))
            .copied()
            .collect();
        let forward = g.closure(&targets, |k| g.reads(k));
        let mut uses = g
            .nodes
            .iter()
            .enumerate()
            .filter(|&(i, node)| forward[i] && node.op.operands().contains(&n))
            .peekable();
        let gain = vector
            && uses.peek().is_some()
            && uses.all(|(i, node)| {
                node.op.is("mul")
                    && node.op.operands().iter().all(|&o| g.shape(o) == shape)
                    && g.shape(i) == shape
            });
        scale || gain
    }

    pub(super) fn shape_mentions(&self, s: Option<Shape>, dim: &str) -> bool {
        match s {
            Some(Shape::Mat(r, c)) => self.m.graph.dims[r].text == dim || self.m.graph.dims[c].text == dim,
            _ => false,
        }
    }
}
