//! Stage 6a: Rust code for the checked, differentiated net: the params and
//! gradient structs, a workspace with a buffer for every intermediate, and
//! the methods, each computing only what its results need.

mod checks;
mod inputs;
mod items;
mod layers;
mod looped;
mod looped_forward;
mod methods;
mod model;
mod onnx;
mod params;
mod program;
mod sizes;
mod steps;
mod stub;
mod workspace;

use std::collections::HashMap;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::autodiff::Adjoints;
use super::check::Model;
use super::model::{NodeId, ONE, Shape};

/// Which of a batched model's methods to generate.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// All of them (a net with one mode).
    All,
    /// The training methods (`loss_batch`, `grad_batch`, …) only.
    Train,
    /// `forward_batch` only, with a workspace of its own.
    Eval,
}

pub struct Codegen<'a> {
    m: &'a Model,
    part: Part,
    /// The training methods take `rng` (the graph draws dropout masks).
    rng: bool,
    /// The element type parameter: `T`, unless a dim is named `T`.
    t: Ident,
    /// The workspace type: `TwoLayerWorkspace`, or `TwoLayerBatchWorkspace` for the batched model.
    ws: Ident,
    /// The workspace's extra generic parameter, the batch size (`B`) for the batched model.
    ws_generic: Option<Ident>,
    /// How many nodes of the whole graph read each node.
    uses: Vec<usize>,
    /// Nodes some method returns (loss, outputs, gradients): never fused away.
    pinned: Vec<bool>,
    /// A hash of the net's structure, which weights files record.
    structure: Option<u64>,
    /// For a net whose batched methods loop over examples: the batch
    /// size's type parameter (see `looped`).
    looped: Option<Ident>,
}

impl<'a> Codegen<'a> {
    /// The generator for the per-example model (`batch == false`) or the batched one.
    pub fn new(m: &'a Model, batch: bool) -> Self {
        let t = crate::net::batch::elem_ident(m);
        let (ws, ws_generic) = if batch {
            // The batch dim's name, as `batch::lift` chose it.
            let b = m
                .graph
                .dims
                .iter()
                .find(|d| d.text == crate::net::batch::BATCH)
                .map(|d| d.tokens.to_string());
            (
                format_ident!("{}BatchWorkspace", m.name),
                Some(format_ident!("{}", b.as_deref().unwrap_or("__B"))),
            )
        } else {
            (format_ident!("{}Workspace", m.name), None)
        };
        let mut uses = vec![0; m.graph.nodes.len()];
        for node in &m.graph.nodes {
            for &o in node.op.operands() {
                uses[o] += 1;
            }
        }
        let mut pinned = vec![false; m.graph.nodes.len()];
        let returned = m.loss.iter().chain(m.outputs.iter().filter_map(|(_, n)| n.as_ref()));
        for &n in returned.chain(m.hand_grads.iter().map(|(_, n)| n)) {
            pinned[n] = true;
        }
        let rng = m.graph.nodes.iter().any(|n| crate::net::ops::def(n.op.code).draws_random());
        Codegen { m, part: Part::All, rng, t, ws, ws_generic, uses, pinned, structure: None, looped: None }
    }

    /// Generates only `part` of the batched methods.
    pub fn part(mut self, part: Part) -> Self {
        if part == Part::Eval {
            self.ws = format_ident!("{}EvalBatchWorkspace", self.m.name);
        }
        self.part = part;
        self
    }

    /// Records the hash of the net's structure: FNV-1a of its derivation
    /// (every op with its shapes) and its params' declarations.
    pub fn structure(mut self, derivation: &str) -> Self {
        let mut text = derivation.to_string();
        for p in &self.m.params {
            text += &format!("\nparam {}: {:?}", p.name, p.shape.map(|s| self.m.graph.shape_text(s)));
        }
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in text.bytes() {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.structure = Some(hash);
        self
    }

    /// Marks `nodes` (the params' gradients) as returned.
    pub fn pin(mut self, nodes: impl IntoIterator<Item = NodeId>) -> Self {
        for n in nodes {
            self.pinned[n] = true;
        }
        self
    }

    fn dim(&self, d: usize) -> &TokenStream {
        &self.m.graph.dims[d].tokens
    }

    /// The type users see for shape `s`: a rank-3 value is a `Tensor3`, a
    /// batch of them or kernels a `Tensor4`, anything else as `buf_ty`.
    fn ty(&self, s: Shape, scalar: &TokenStream) -> TokenStream {
        match self.tensor_dims(s) {
            Some(dims) if dims.len() == 3 => quote!(::shapegrad::Tensor3<#(#dims,)* #scalar>),
            Some(dims) => quote!(::shapegrad::Tensor4<#(#dims,)* #scalar>),
            None => self.buf_ty(s, scalar),
        }
    }

    /// The dims of a rank-3 or rank-4 shape, as Rust types: `[C, H, W]`,
    /// `[C, H, W, B]` for a batch, `[F, C, KH, KW]` for kernels.
    fn tensor_dims(&self, s: Shape) -> Option<Vec<&TokenStream>> {
        let g = &self.m.graph;
        let Shape::Mat(r, c) = s else { return None };
        let mut dims: Vec<&TokenStream> = match (g.parts(r), g.parts(c)) {
            (Some(p), None) => p.iter().map(|&d| self.dim(d)).collect(),
            (None, Some(p)) => std::iter::once(self.dim(r)).chain(p.iter().map(|&d| self.dim(d))).collect(),
            _ => return None,
        };
        if g.parts(r).is_some() && c != ONE {
            dims.push(self.dim(c));
        }
        Some(dims)
    }

    /// Whether values of shape `s` are tensors to users, matrices inside.
    fn is_tensor(&self, s: Shape) -> bool {
        self.tensor_dims(s).is_some()
    }

    /// The type of a workspace buffer of shape `s`: a matrix (a rank-3 value
    /// as a column of `C×H×W`, a batch as `[C×H×W × B]`).
    fn buf_ty(&self, s: Shape, scalar: &TokenStream) -> TokenStream {
        match s {
            Shape::Mat(r, c) => {
                let (r, c) = (self.dim(r), self.dim(c));
                quote!(::shapegrad::Matrix<#r, #c, #scalar>)
            }
            Shape::Label(d) => {
                let d = self.dim(d);
                quote!(::shapegrad::Class<#d>)
            }
            // A batch of label sequences: `T` steps of `B` labels.
            Shape::Labels(d, tb) if self.m.graph.parts(tb).is_some_and(|p| p.len() == 2) => {
                let p = self.m.graph.parts(tb).unwrap_or(&[]);
                let (d, t, b) = (self.dim(d), self.dim(p[0]), self.dim(p[1]));
                quote!(::shapegrad::Sequences<#d, #t, #b>)
            }
            Shape::Labels(d, b) => {
                let (d, b) = (self.dim(d), self.dim(b));
                quote!(::shapegrad::Classes<#d, #b>)
            }
            Shape::Scalar => scalar.clone(),
        }
    }

    /// `x: &Matrix<…>, y: Class<C>` for the arguments of `kinds`.
    fn params_list(&self, scalar: &TokenStream, labels: bool) -> TokenStream {
        let args = self.m.args.iter().filter(|(k, _)| labels || k.is_input());
        let list = args.map(|(kind, a)| {
            let name = &a.name;
            let shape = a.shape.unwrap_or(Shape::Scalar);
            let ty = self.ty(shape, scalar);
            // Matrices and batches of labels are borrowed; one label is copied.
            if kind.is_values() || matches!(shape, Shape::Labels(..)) {
                quote!(#name: &#ty)
            } else {
                quote!(#name: #ty)
            }
        });
        // The training methods of a net with dropout draw masks from `rng`.
        let rng = (labels && self.rng).then(|| quote!(rng: &mut ::shapegrad::random::Rng,));
        quote!(#(#list,)* #rng)
    }

    /// `x, y` (already references) or `&x, y` (owned, after a cast).
    fn call_list(&self, owned: bool) -> TokenStream {
        let list = self.m.args.iter().map(|(kind, a)| {
            let name = &a.name;
            if owned && kind.is_values() { quote!(&#name) } else { quote!(#name) }
        });
        let rng = self.rng.then(|| quote!(rng,));
        quote!(#(#list,)* #rng)
    }

    /// The value of node `n` as an owned result.
    fn owned(&self, n: NodeId) -> TokenStream {
        let v = self.val(n, &HashMap::new());
        let shape = self.m.graph.shape(n);
        if self.is_tensor(shape) {
            let t = &self.t;
            let ty = self.ty(shape, &quote!(#t));
            return quote!({
                let mut __t = <#ty as ::shapegrad::values::Values<#t>>::zeros();
                __t.as_mut_slice().copy_from_slice((#v).as_slice());
                __t
            });
        }
        match shape {
            Shape::Scalar => v,
            _ => quote!((#v).clone()),
        }
    }

    /// The loss as a scalar: a 1×1 result is read at (0, 0).
    fn loss_value(&self, loss: NodeId) -> TokenStream {
        let v = self.val(loss, &HashMap::new());
        match self.m.graph.shape(loss) {
            Shape::Scalar => v,
            _ => quote!((#v)[(0, 0)]),
        }
    }

    /// Everything `net!` generates for a valid net; `batch` is the batched
    /// methods, or why there are none.
    pub fn generate(
        &self,
        adj: &Adjoints,
        text: &str,
        latex: &str,
        batch: Result<TokenStream, String>,
    ) -> TokenStream {
        let t = &self.t;
        let (name, _, generics) = self.names();
        let (workspace, methods) = self.methods(adj, false);
        let gradcheck = self.gradcheck_fn();
        let hand = self.hand_fns(adj);
        let (batch, note) = match batch {
            Ok(methods) => (methods, String::new()),
            Err(reason) => (
                self.no_batch_stubs(&reason),
                format!("\n\nNo batched methods (`loss_batch`, `grad_batch`, `forward_batch`): {reason}."),
            ),
        };
        let items = self.items(&crate::net::explain::plain(text), &note);
        let derivation = self.derivation_fns(text, latex);
        let size_checks = self.size_checks();
        let model = self.model_impls(false);
        let input_grads = self.input_grads(adj, false);
        quote! {
            #items
            #workspace
            #size_checks

            #[allow(non_snake_case, unused_variables, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                #methods
                #gradcheck
            }

            #derivation
            #hand
            #model
            #batch
            #input_grads
        }
    }

    /// `derivation()` and `derivation_latex()`: through the `Derivation`
    /// trait for every element type, and as inherent functions on the
    /// default one, so `TwoLayer::derivation()` needs no annotation and no
    /// import. A generic net's text names the dims it is instantiated with.
    fn derivation_fns(&self, text: &str, latex: &str) -> TokenStream {
        let t = &self.t;
        let (name, _, generics) = self.names();
        let strs: Vec<String> = generics.iter().map(|g| g.to_string()).collect();
        let value = |template: &str, is_latex: bool| {
            if generics.is_empty() {
                quote!(#template)
            } else {
                quote!(::shapegrad::derivation::instantiate::<(#(#generics,)*)>(
                    #template, &[#(#strs),*], &[#(<#generics as ::shapegrad::Dim>::NAME),*], #is_latex
                ))
            }
        };
        let (text, latex) = (value(text, false), value(latex, true));
        let tr = quote!(::shapegrad::derivation::Derivation);
        quote! {
            #[allow(non_snake_case)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #tr for #name<#(#generics,)* #t> {
                fn derivation() -> &'static str {
                    #text
                }

                fn derivation_latex() -> &'static str {
                    #latex
                }
            }

            #[allow(non_snake_case)]
            impl<#(#generics: ::shapegrad::Dim,)*> #name<#(#generics,)*> {
                /// The derived backward pass, one line per adjoint, each with its
                /// shape (for another element type: `shapegrad::Derivation`).
                pub fn derivation() -> &'static str {
                    <Self as #tr>::derivation()
                }

                /// The derived backward pass as a LaTeX `aligned` block.
                pub fn derivation_latex() -> &'static str {
                    <Self as #tr>::derivation_latex()
                }
            }
        }
    }

    /// The batched methods and their workspace, from the batched model
    /// (`self.m`) and its adjoints.
    pub fn batch_methods(&self, adj: &Adjoints) -> TokenStream {
        let t = &self.t;
        let (name, _, generics) = self.names();
        let (workspace, methods) = self.methods(adj, true);
        let batch_net = self.model_impls(true);
        let input_grads = if self.part == Part::Eval { quote!() } else { self.input_grads(adj, true) };
        quote! {
            #input_grads
            #workspace

            #[allow(non_snake_case, unused_variables, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                #methods
            }

            #batch_net
        }
    }

    /// The names of the workspace and gradient arguments of `loss_with` and
    /// `grad_into`: `ws` and `out`, unless the net has arguments so named.
    fn buffer_args(&self) -> (Ident, Ident) {
        let taken = |s: &str| self.m.args.iter().any(|(_, a)| a.name == s);
        let pick =
            |names: [&str; 3]| format_ident!("{}", names.into_iter().find(|n| !taken(n)).unwrap_or(names[2]));
        (pick(["ws", "workspace", "__ws"]), pick(["out", "grads", "__out"]))
    }

    fn names(&self) -> (&Ident, Ident, &[Ident]) {
        let m = self.m;
        (&m.name, format_ident!("{}Grad", m.name), &m.generics)
    }
}

#[cfg(test)]
mod tests;
