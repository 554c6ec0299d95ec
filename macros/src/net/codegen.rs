//! Stage 6a: Rust code for the checked, differentiated net.
//!
//! Each method evaluates only the nodes its results need, in id order (a
//! topological order), one `let` per node: matrices are held by reference,
//! scalars by value. Transposes feeding a product are folded into the call
//! (`t_matmul`, `matmul_t`), and `dy ⊙ f′(x)` is fused into `Unary::vjp`,
//! which reuses the forward value `f(x)`.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::autodiff::Adjoints;
use super::check::{ArgKind, Model};
use super::model::{Func, NodeId, Op, Shape};

pub struct Codegen<'a> {
    m: &'a Model,
    /// The element type parameter: `T`, unless a dim is named `T`.
    t: Ident,
}

impl<'a> Codegen<'a> {
    pub fn new(m: &'a Model) -> Self {
        let taken = |s: &str| m.generics.iter().any(|g| g == s) || m.graph.dims.iter().any(|d| d.text == s);
        let t = if taken("T") { format_ident!("Elem") } else { format_ident!("T") };
        Codegen { m, t }
    }

    fn var(n: NodeId) -> Ident {
        format_ident!("__v{}", n)
    }

    fn dim(&self, d: usize) -> &TokenStream {
        &self.m.graph.dims[d].tokens
    }

    fn ty(&self, s: Shape, scalar: &TokenStream) -> TokenStream {
        match s {
            Shape::Mat(r, c) => {
                let (r, c) = (self.dim(r), self.dim(c));
                quote!(::shapegrad::Matrix<#r, #c, #scalar>)
            }
            Shape::Label(d) => {
                let d = self.dim(d);
                quote!(::shapegrad::Class<#d>)
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
        let args = self.m.args.iter().filter(|(k, _)| labels || *k == ArgKind::Input);
        let list = args.map(|(kind, a)| {
            let name = &a.name;
            let shape = a.shape.unwrap_or(Shape::Scalar);
            let ty = self.ty(shape, scalar);
            // Matrices and batches of labels are borrowed; one label is copied.
            if *kind == ArgKind::Input || matches!(shape, Shape::Labels(..)) {
                quote!(#name: &#ty)
            } else {
                quote!(#name: #ty)
            }
        });
        quote!(#(#list),*)
    }

    /// `x, y` (already references) or `&x, y` (owned, after a cast).
    fn call_list(&self, owned: bool) -> TokenStream {
        let list = self.m.args.iter().map(|(kind, a)| {
            let name = &a.name;
            if owned && *kind == ArgKind::Input { quote!(&#name) } else { quote!(#name) }
        });
        quote!(#(#list),*)
    }

    /// What node `n` needs evaluated before it, as generated.
    fn deps(&self, n: NodeId) -> Vec<NodeId> {
        let g = &self.m.graph;
        let unfold = |x: NodeId| match g.op(x) {
            Op::Transpose(inner) => inner,
            _ => x,
        };
        match g.op(n) {
            Op::MatMul(a, b) => vec![unfold(a), unfold(b)],
            Op::Mul(a, b) => match self.fused_vjp(a, b) {
                Some((_, x, y, d)) => vec![x, y, d],
                None => vec![a, b],
            },
            op => op.operands(),
        }
    }

    /// `d ⊙ f′(x)` where `f(x)` exists: `(f, x, f(x), d)`.
    fn fused_vjp(&self, a: NodeId, b: NodeId) -> Option<(Func, NodeId, NodeId, NodeId)> {
        let g = &self.m.graph;
        for (d, deriv) in [(a, b), (b, a)] {
            if let Op::Deriv(f, x) = g.op(deriv) {
                if let Some(y) = g.find(Op::Map(f, x)) {
                    if g.shape(d) == g.shape(deriv) {
                        return Some((f, x, y, d));
                    }
                }
            }
        }
        None
    }

    /// The statements computing `targets`, with elements of type `scalar`.
    fn program(&self, targets: &[NodeId], scalar: &TokenStream) -> TokenStream {
        let g = &self.m.graph;
        let needed = g.closure(targets, |n| self.deps(n));
        let mut out = TokenStream::new();
        for n in (0..g.nodes.len()).filter(|&n| needed[n]) {
            let v = Self::var(n);
            let stmt = match g.op(n) {
                Op::Param(i) => {
                    let name = &self.m.params[i].name;
                    quote!(let #v = &self.#name;)
                }
                Op::Input(i) | Op::Label(i) => {
                    let name = &self.m.args[i].1.name;
                    quote!(let #v = #name;)
                }
                _ => {
                    let e = self.expr(n, scalar);
                    match g.shape(n) {
                        Shape::Scalar => quote!(let #v: #scalar = #e;),
                        _ => quote!(let #v = #e; let #v = &#v;),
                    }
                }
            };
            out.extend(stmt);
        }
        out
    }

    /// The expression computing node `n` from its operands' variables.
    fn expr(&self, n: NodeId, scalar: &TokenStream) -> TokenStream {
        let g = &self.m.graph;
        let v = Self::var;
        let is_scalar = |x: NodeId| g.shape(x) == Shape::Scalar;
        let ops = quote!(::shapegrad::ops);
        let s = quote!(<#scalar as ::shapegrad::Scalar>);
        match g.op(n) {
            Op::Param(_) | Op::Input(_) | Op::Label(_) => quote!(unreachable!()),
            Op::Const(bits) => {
                let c = f64::from_bits(bits);
                quote!(#s::from_f64(#c))
            }
            Op::MatMul(a, b) => match (g.op(a), g.op(b)) {
                (Op::Transpose(x), Op::Transpose(y)) => {
                    let (x, y) = (v(x), v(y));
                    quote!(#y.matmul(#x).t())
                }
                (Op::Transpose(x), _) => {
                    let (x, b) = (v(x), v(b));
                    quote!(#x.t_matmul(#b))
                }
                (_, Op::Transpose(y)) => {
                    let (a, y) = (v(a), v(y));
                    quote!(#a.matmul_t(#y))
                }
                _ => {
                    let (a, b) = (v(a), v(b));
                    quote!(#a.matmul(#b))
                }
            },
            Op::Transpose(a) => {
                let a = v(a);
                quote!(#a.t())
            }
            Op::Add(a, b) => match (is_scalar(a), is_scalar(b)) {
                (true, false) => {
                    let (a, b) = (v(a), v(b));
                    quote!(#b.add_scalar(#a))
                }
                (false, true) => {
                    let (a, b) = (v(a), v(b));
                    quote!(#a.add_scalar(#b))
                }
                _ => {
                    let (a, b) = (v(a), v(b));
                    quote!(#a + #b)
                }
            },
            Op::Sub(a, b) => match (is_scalar(a), is_scalar(b)) {
                (true, false) => {
                    let (a, b) = (v(a), v(b));
                    quote!((-#b).add_scalar(#a))
                }
                (false, true) => {
                    let (a, b) = (v(a), v(b));
                    quote!(#a.add_scalar(-#b))
                }
                _ => {
                    let (a, b) = (v(a), v(b));
                    quote!(#a - #b)
                }
            },
            Op::Mul(a, b) => {
                if let Some((f, x, y, d)) = self.fused_vjp(a, b) {
                    let f = format_ident!("{}", f.type_name());
                    let (x, y, d) = (v(x), v(y), v(d));
                    return quote!(<#ops::#f as #ops::Unary>::vjp(#x, #y, #d));
                }
                match (is_scalar(a), is_scalar(b)) {
                    (true, false) => {
                        let (a, b) = (v(a), v(b));
                        quote!(#b * #a)
                    }
                    (false, true) => {
                        let (a, b) = (v(a), v(b));
                        quote!(#a * #b)
                    }
                    (true, true) => {
                        let (a, b) = (v(a), v(b));
                        quote!(#a * #b)
                    }
                    _ => {
                        let (a, b) = (v(a), v(b));
                        quote!(#a.hadamard(#b))
                    }
                }
            }
            Op::AddBias(a, b) => {
                let (a, b) = (v(a), v(b));
                quote!(#a.add_bias(#b))
            }
            Op::Neg(a) => {
                let a = v(a);
                quote!(-#a)
            }
            Op::Map(f, a) => {
                let a = v(a);
                if is_scalar(n) {
                    let f = format_ident!("{}", f.type_name());
                    quote!(<#ops::#f as #ops::Unary>::f(#a))
                } else {
                    let method = format_ident!("{}", f.name());
                    quote!(#a.#method())
                }
            }
            Op::Deriv(f, a) => {
                let f = format_ident!("{}", f.type_name());
                let a = v(a);
                quote!(<#ops::#f as #ops::Unary>::derivative(#a))
            }
            Op::Sum(a) => {
                let a = v(a);
                quote!(#a.sum())
            }
            Op::Mean(a) => {
                let a = v(a);
                quote!(#a.mean())
            }
            Op::Softmax(a) => {
                let a = v(a);
                quote!(#a.softmax())
            }
            Op::LogSoftmax(a) => {
                let a = v(a);
                quote!(#a.log_softmax())
            }
            Op::OneHot(y) => {
                let y = v(y);
                quote!(#y.onehot::<#scalar>())
            }
            Op::SoftmaxCe(z, y) => {
                let (z, y) = (v(z), v(y));
                quote!(#ops::softmax_cross_entropy(#z, #y))
            }
            Op::Svm(z, y) => {
                let (z, y) = (v(z), v(y));
                quote!(#ops::svm(#z, #y))
            }
            Op::SoftmaxCeGrad(z, y) | Op::SvmGrad(z, y) => {
                let batched = matches!(g.shape(y), Shape::Labels(..));
                let f = match (g.op(n), batched) {
                    (Op::SvmGrad(..), true) => quote!(svm_cols_dz),
                    (Op::SvmGrad(..), false) => quote!(svm_grad),
                    (_, true) => quote!(softmax_cross_entropy_cols_dz),
                    (_, false) => quote!(softmax_cross_entropy_grad),
                };
                let (z, y) = (v(z), v(y));
                if batched { quote!(#ops::#f(#z, #y)) } else { quote!(#ops::#f(#z, #y).1) }
            }
            Op::SoftmaxCeCols(z, y) => {
                let (z, y) = (v(z), v(y));
                quote!(#ops::softmax_cross_entropy_cols(#z, #y))
            }
            Op::SvmCols(z, y) => {
                let (z, y) = (v(z), v(y));
                quote!(#ops::svm_cols(#z, #y))
            }
            Op::ColScale(a, r) => {
                let (a, r) = (v(a), v(r));
                quote!(#a.scale_cols(#r))
            }
            Op::RowScale(a, s) => {
                let (a, s) = (v(a), v(s));
                quote!(#a.scale_rows(#s))
            }
            Op::SoftmaxVjp(y, d) => {
                let (y, d) = (v(y), v(d));
                quote!(#ops::softmax_vjp(#y, #d))
            }
            Op::LogSoftmaxVjp(z, d) => {
                let (z, d) = (v(z), v(d));
                quote!(#ops::log_softmax_vjp(#z, #d))
            }
            Op::Count(r, c) => {
                let (r, c) = (self.dim(r), self.dim(c));
                quote!(#s::from_usize(<#r as ::shapegrad::Dim>::SIZE * <#c as ::shapegrad::Dim>::SIZE))
            }
            Op::Div(a, b) => {
                let (a, b) = (v(a), v(b));
                quote!(#a / #b)
            }
            Op::RowSums(a) => {
                let a = v(a);
                quote!(#a.row_sums())
            }
            Op::Fill(x, r, c) => {
                let (x, r, c) = (v(x), self.dim(r), self.dim(c));
                quote!(::shapegrad::Matrix::<#r, #c, #scalar>::from_element(#x))
            }
        }
    }

    /// The value of node `n` as an owned result.
    fn owned(&self, n: NodeId) -> TokenStream {
        let v = Self::var(n);
        match self.m.graph.shape(n) {
            Shape::Scalar => quote!(#v),
            _ => quote!(#v.clone()),
        }
    }

    /// The loss as a scalar: a 1×1 result is read at (0, 0).
    fn loss_value(&self, loss: NodeId) -> TokenStream {
        let v = Self::var(loss);
        match self.m.graph.shape(loss) {
            Shape::Scalar => quote!(#v),
            _ => quote!(#v[(0, 0)]),
        }
    }

    /// Everything `net!` generates for a valid net.
    pub fn generate(
        &self,
        adj: &Adjoints,
        text: &str,
        latex: &str,
        batch: Result<TokenStream, String>,
    ) -> TokenStream {
        let m = self.m;
        let t = &self.t;
        let tt = quote!(#t);
        let loss = m.loss.expect("checked: a valid net has a loss");
        let args = self.params_list(&tt, true);
        let param_nodes: Vec<NodeId> = m.params.iter().map(|p| p.node.expect("checked")).collect();
        let grads: Vec<NodeId> = param_nodes.iter().map(|n| adj.of[n]).collect();
        let pnames: Vec<&Ident> = m.params.iter().map(|p| &p.name).collect();
        let (name, grad_name, generics) = self.names();

        let loss_prog = self.program(&[loss], &tt);
        let loss_val = self.loss_value(loss);
        let mut targets = vec![loss];
        targets.extend(&grads);
        let grad_prog = self.program(&targets, &tt);
        let grad_vals = grads.iter().map(|&d| self.owned(d));

        let forward = self.forward_fn(&tt, false, false);
        let gradcheck = self.gradcheck_fn(false);
        let hand = self.hand_fns(adj, false);
        let (batch, note) = match batch {
            Ok(methods) => (methods, String::new()),
            Err(reason) => (
                quote!(),
                format!("\n\nNo batched methods (`loss_batch`, `grad_batch`, `forward_batch`): {reason}."),
            ),
        };
        let items = self.items(&format!("{text}{note}"));
        quote! {
            #items

            #[allow(non_snake_case, unused_variables, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                /// The loss for one example.
                pub fn loss(&self, #args) -> #t {
                    #loss_prog
                    #loss_val
                }

                /// The loss and the gradient of every param, from the backward pass
                /// derived at compile time (see `derivation()`).
                pub fn grad(&self, #args) -> (#t, #grad_name<#(#generics,)* #t>) {
                    #grad_prog
                    (#loss_val, #grad_name { #(#pnames: #grad_vals,)* })
                }

                #forward
                #gradcheck

                /// The derived backward pass, one line per adjoint, each with its shape.
                pub fn derivation() -> &'static str {
                    #text
                }

                /// The derived backward pass as a LaTeX `aligned` block.
                pub fn derivation_latex() -> &'static str {
                    #latex
                }
            }

            #hand
            #batch
        }
    }

    /// `loss_batch`, `grad_batch` and `forward_batch`, from the batched model
    /// (`self.m`) and its adjoints.
    pub fn batch_methods(&self, adj: &Adjoints) -> TokenStream {
        let m = self.m;
        let t = &self.t;
        let tt = quote!(#t);
        let (name, grad_name, generics) = self.names();
        let Some(loss) = m.loss else { return quote!() };
        let args = self.params_list(&tt, true);
        let Some(grads) =
            m.params.iter().map(|p| p.node.and_then(|n| adj.of.get(&n).copied())).collect::<Option<Vec<_>>>()
        else {
            return quote!();
        };
        let pnames: Vec<&Ident> = m.params.iter().map(|p| &p.name).collect();
        let loss_prog = self.program(&[loss], &tt);
        let loss_val = self.loss_value(loss);
        let mut targets = vec![loss];
        targets.extend(&grads);
        let grad_prog = self.program(&targets, &tt);
        let grad_vals = grads.iter().map(|&d| self.owned(d));
        let forward = self.forward_fn(&tt, false, true);
        let doc_args = m.args.iter().map(|(_, a)| format!("`{}`", a.name)).collect::<Vec<_>>().join(", ");
        let loss_doc = format!("The mean loss over a batch of `B` examples, one per column of {doc_args}.");
        quote! {
            #[allow(non_snake_case, unused_variables, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                #[doc = #loss_doc]
                pub fn loss_batch<__B: ::shapegrad::Dim>(&self, #args) -> #t {
                    #loss_prog
                    #loss_val
                }

                /// The mean loss over the batch and its gradient for every param,
                /// from the backward pass of the batched net.
                pub fn grad_batch<__B: ::shapegrad::Dim>(&self, #args) -> (#t, #grad_name<#(#generics,)* #t>) {
                    #grad_prog
                    (#loss_val, #grad_name { #(#pnames: #grad_vals,)* })
                }

                #forward
            }
        }
    }

    /// Signatures with unreachable bodies, emitted next to the errors of an
    /// invalid net so the code that uses it gets no follow-on errors.
    pub fn stub(&self) -> TokenStream {
        let t = &self.t;
        let tt = quote!(#t);
        let args = self.params_list(&tt, true);
        let (name, grad_name, generics) = self.names();
        let forward = self.forward_fn(&tt, true, false);
        let gradcheck = self.gradcheck_fn(true);
        let items = self.items("");
        quote! {
            #items

            #[allow(non_snake_case, unused_variables, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                pub fn loss(&self, #args) -> #t { ::core::unreachable!() }
                pub fn grad(&self, #args) -> (#t, #grad_name<#(#generics,)* #t>) { ::core::unreachable!() }
                #forward
                #gradcheck
                pub fn derivation() -> &'static str { "" }
                pub fn derivation_latex() -> &'static str { "" }
            }
        }
    }

    fn names(&self) -> (&Ident, Ident, &[Ident]) {
        let m = self.m;
        (&m.name, format_ident!("{}Grad", m.name), &m.generics)
    }

    /// The params struct, the gradient struct, and `zeros`, `init`, `cast`.
    fn items(&self, derivation: &str) -> TokenStream {
        let m = self.m;
        let t = &self.t;
        let tt = quote!(#t);
        let vis = &m.vis;
        let attrs = &m.attrs;
        let (name, grad_name, generics) = self.names();
        let params: Vec<_> = m.params.iter().filter(|p| p.shape.is_some()).collect();
        let pnames: Vec<&Ident> = params.iter().map(|p| &p.name).collect();
        let ptys: Vec<TokenStream> =
            params.iter().map(|p| self.ty(p.shape.unwrap_or(Shape::Scalar), &tt)).collect();
        let pdocs: Vec<String> = params
            .iter()
            .map(|p| format!("`{}`, {}.", p.name, m.graph.shape_text(p.shape.unwrap_or(Shape::Scalar))))
            .collect();
        let pattrs = params.iter().map(|p| &p.attrs);
        let grad_docs = params
            .iter()
            .map(|p| format!("∂L/∂{}, {}.", p.name, m.graph.shape_text(p.shape.unwrap_or(Shape::Scalar))));
        // A generic dim (or the element type, when no param parsed) that no
        // field uses still needs one.
        let mut unused: Vec<&Ident> = generics
            .iter()
            .filter(|g| !params.iter().any(|p| self.shape_mentions(p.shape, &g.to_string())))
            .collect();
        if params.is_empty() {
            unused.push(t);
        }
        let (phantom_field, phantom_init) = if unused.is_empty() {
            (quote!(), quote!())
        } else {
            (
                quote!(#[doc(hidden)] pub __dims: ::core::marker::PhantomData<(#(#unused,)*)>,),
                quote!(__dims: ::core::marker::PhantomData,),
            )
        };
        let struct_doc = if derivation.is_empty() {
            String::new()
        } else {
            format!("\n\nGenerated by `net!`. The derived backward pass:\n\n```text\n{derivation}```")
        };
        let grad_doc = format!("The gradient of the loss of [`{name}`] with respect to each param.");
        let pstrs: Vec<String> = pnames.iter().map(|p| p.to_string()).collect();
        let sizes: Vec<TokenStream> = params
            .iter()
            .map(|p| match p.shape {
                Some(Shape::Mat(r, c)) => {
                    let (r, c) = (self.dim(r), self.dim(c));
                    quote!([<#r as ::shapegrad::Dim>::SIZE, <#c as ::shapegrad::Dim>::SIZE])
                }
                _ => quote!([1, 1]),
            })
            .collect();
        let vectors: Vec<bool> = params
            .iter()
            .map(|p| matches!(p.shape, Some(Shape::Mat(_, c)) if c == super::model::ONE))
            .collect();
        let optim = quote!(::shapegrad::optim);
        quote! {
            #(#attrs)*
            #[doc = #struct_doc]
            #[derive(Clone, Debug, PartialEq)]
            #[allow(non_snake_case)]
            #vis struct #name<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar = f32> {
                #(#(#pattrs)* #[doc = #pdocs] pub #pnames: #ptys,)*
                #phantom_field
            }

            #[doc = #grad_doc]
            #[derive(Clone, Debug, PartialEq)]
            #[allow(non_snake_case)]
            #vis struct #grad_name<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar = f32> {
                #(#[doc = #grad_docs] pub #pnames: #ptys,)*
                #phantom_field
            }

            #[allow(non_snake_case, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                /// Every param zero.
                pub fn zeros() -> Self {
                    Self { #(#pnames: ::shapegrad::Matrix::zeros(),)* #phantom_init }
                }

                /// Seeded initialization: weights Glorot-uniform, biases (vectors)
                /// zero; see `shapegrad::init`.
                pub fn init(seed: u64) -> Self {
                    let mut init = ::shapegrad::init::Init::new(seed);
                    Self { #(#pnames: init.param(),)* #phantom_init }
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
                    #name { #(#pnames: self.#pnames.cast(),)* #phantom_init }
                }
            }

            /// Each param by name, for optimizers and serialization.
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #optim::Params<#t> for #name<#(#generics,)* #t> {
                type Grad = #grad_name<#(#generics,)* #t>;

                fn visit(&self, f: &mut dyn FnMut(#optim::ParamRef<'_, #t>)) {
                    #(f(#optim::ParamRef { name: #pstrs, shape: #sizes, is_vector: #vectors, values: self.#pnames.as_slice() });)*
                }

                fn visit_mut(&mut self, f: &mut dyn FnMut(#optim::ParamMut<'_, #t>)) {
                    #(f(#optim::ParamMut { name: #pstrs, shape: #sizes, is_vector: #vectors, values: self.#pnames.as_mut_slice() });)*
                }

                fn visit_with_grad(&mut self, grad: &Self::Grad, f: &mut dyn FnMut(#optim::ParamMut<'_, #t>, &[#t])) {
                    #(f(
                        #optim::ParamMut { name: #pstrs, shape: #sizes, is_vector: #vectors, values: self.#pnames.as_mut_slice() },
                        grad.#pnames.as_slice(),
                    );)*
                }
            }
        }
    }

    fn shape_mentions(&self, s: Option<Shape>, dim: &str) -> bool {
        match s {
            Some(Shape::Mat(r, c)) => self.m.graph.dims[r].text == dim || self.m.graph.dims[c].text == dim,
            _ => false,
        }
    }

    /// `forward(inputs) -> outputs` (or `forward_batch`), when the net has outputs.
    fn forward_fn(&self, tt: &TokenStream, stub: bool, batch: bool) -> TokenStream {
        let m = self.m;
        if m.outputs.is_empty() || m.outputs.iter().any(|(_, n)| n.is_none()) {
            return quote!();
        }
        let nodes: Vec<NodeId> = m.outputs.iter().filter_map(|(_, n)| *n).collect();
        let tys: Vec<TokenStream> = nodes.iter().map(|&n| self.ty(m.graph.shape(n), tt)).collect();
        let inputs = self.params_list(tt, false);
        let (ret, body) = if nodes.len() == 1 {
            let v = self.owned(nodes[0]);
            (tys[0].clone(), v)
        } else {
            let vs = nodes.iter().map(|&n| self.owned(n));
            (quote!((#(#tys),*)), quote!((#(#vs),*)))
        };
        let names: Vec<String> = m.outputs.iter().map(|(n, _)| format!("`{n}`")).collect();
        let plural = if names.len() > 1 { "s" } else { "" };
        let mut doc = format!("The output{plural} {}, computed from the inputs only.", names.join(", "));
        let (fname, generic) = if batch {
            doc += " One example per column.";
            (quote!(forward_batch), quote!(<__B: ::shapegrad::Dim>))
        } else {
            (quote!(forward), quote!())
        };
        let body = if stub {
            quote!(::core::unreachable!())
        } else {
            let prog = self.program(&nodes, tt);
            quote!(#prog #body)
        };
        quote! {
            #[doc = #doc]
            pub fn #fname #generic (&self, #inputs) -> #ret { #body }
        }
    }

    /// `gradcheck`: the derived gradients against central differences, in f64.
    fn gradcheck_fn(&self, stub: bool) -> TokenStream {
        let m = self.m;
        let t = &self.t;
        let tt = quote!(#t);
        let args = self.params_list(&tt, true);
        let report = quote!(::shapegrad::check::GradCheck<#t>);
        if stub {
            return quote! {
                pub fn gradcheck(&self, #args) -> #report { ::core::unreachable!() }
                pub fn check_hand_grads(&self, #args) -> #report { ::core::unreachable!() }
            };
        }
        let casts = m.args.iter().filter(|(k, _)| *k == ArgKind::Input).map(|(_, a)| {
            let n = &a.name;
            quote!(let #n = #n.cast::<f64>();)
        });
        let casts: Vec<_> = casts.collect();
        let owned_calls = self.call_list(true);
        let pnames: Vec<&Ident> = m.params.iter().map(|p| &p.name).collect();
        let pstrs: Vec<String> = pnames.iter().map(|p| p.to_string()).collect();
        quote! {
            /// The derived gradient of every param against central finite
            /// differences of `loss`, both in `f64`.
            pub fn gradcheck(&self, #args) -> #report {
                let __p = self.cast::<f64>();
                #(#casts)*
                let (_, __g) = __p.grad(#owned_calls);
                let mut __q = __p.clone();
                let mut __report = ::shapegrad::check::GradCheck::new();
                #(
                    let __numeric = ::shapegrad::check::numeric_gradient(&__p.#pnames, |__w| {
                        __q.#pnames.copy_from(__w);
                        __q.loss(#owned_calls)
                    }, 1e-6);
                    __q.#pnames.copy_from(&__p.#pnames);
                    __report.compare(#pstrs, &__g.#pnames, &__numeric);
                )*
                __report
            }

            /// Each hand-written `grad` line against the derived gradient, in `f64`.
            pub fn check_hand_grads(&self, #args) -> #report {
                let __p = self.cast::<f64>();
                #(#casts)*
                __p.__hand_grads(#owned_calls)
            }
        }
    }

    /// The `f64` evaluation of the hand-written gradients behind `check_hand_grads`.
    fn hand_fns(&self, adj: &Adjoints, stub: bool) -> TokenStream {
        if stub {
            return quote!();
        }
        let m = self.m;
        let f64t = quote!(f64);
        let args = self.params_list(&f64t, true);
        let (name, _, generics) = self.names();
        let mut targets = Vec::new();
        let mut compares = Vec::new();
        for &(i, hand) in &m.hand_grads {
            let p = &m.params[i];
            let Some(derived) = p.node.and_then(|n| adj.of.get(&n)).copied() else { continue };
            targets.extend([hand, derived]);
            let (h, d) = (Self::var(hand), Self::var(derived));
            let label = p.name.to_string();
            compares.push(quote!(__report.compare(#label, #h, #d);));
        }
        let prog = self.program(&targets, &f64t);
        quote! {
            #[allow(non_snake_case, unused_variables, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)*> #name<#(#generics,)* f64> {
                #[doc(hidden)]
                pub fn __hand_grads<__U: ::shapegrad::Scalar>(&self, #args) -> ::shapegrad::check::GradCheck<__U> {
                    #prog
                    let mut __report = ::shapegrad::check::GradCheck::new();
                    #(#compares)*
                    __report
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::autodiff::backward;
    use crate::net::check::build;
    use crate::net::error::Errors;
    use crate::net::parse::parse_nets;
    use quote::quote;

    fn generate(tokens: TokenStream) -> String {
        let mut errors = Errors::default();
        let mut nets = parse_nets(tokens, &mut errors);
        let mut m = build(&nets.remove(0), &mut errors);
        assert!(errors.is_empty(), "{:?}", errors.messages());
        let params: Vec<NodeId> = m.params.iter().filter_map(|p| p.node).collect();
        let adj = backward(&mut m.graph, m.loss.unwrap(), &params);
        Codegen::new(&m).generate(&adj, "", "", Err("test".into())).to_string()
    }

    /// The body of the generated method `name`, up to the next `pub fn`.
    fn method<'s>(code: &'s str, name: &str) -> &'s str {
        let start = code.find(&format!("pub fn {name} (")).unwrap_or_else(|| panic!("no `{name}` in {code}"));
        let rest = &code[start + 6..];
        &rest[..rest.find("pub fn").unwrap_or(rest.len())]
    }

    #[test]
    fn transposes_fold_into_products_and_activations_fuse() {
        let code = generate(quote! {
            net N { param W: [H, D]; param V: [C, H]; input x: [D]; label y: C;
                    let h = tanh(W @ x); loss softmax_cross_entropy(V @ h, y); }
        });
        let grad = method(&code, "grad");
        // ∂h = Vᵀ ∂z without copying Vᵀ, ∂V = ∂z hᵀ without copying hᵀ.
        assert!(grad.contains(". t_matmul ("), "{grad}");
        assert!(grad.contains(". matmul_t ("), "{grad}");
        assert!(!grad.contains(". t ()"), "no transpose is materialized: {grad}");
        // ∂(Wx) = ∂h ⊙ tanh′(Wx), reusing tanh(Wx).
        assert!(grad.contains("Tanh as :: shapegrad :: ops :: Unary > :: vjp"), "{grad}");
        assert!(!grad.contains("derivative"), "{grad}");
    }

    #[test]
    fn methods_compute_only_what_they_need() {
        let code = generate(quote! {
            net N { param W: [H, D]; param V: [C, H]; input x: [D]; label y: C;
                    let h = sigmoid(W @ x); let z = V @ h; output h; loss softmax_cross_entropy(z, y); }
        });
        let forward = method(&code, "forward");
        assert!(forward.contains("sigmoid"), "{forward}");
        assert!(!forward.contains("self . V"), "the output needs W only: {forward}");
        let loss = method(&code, "loss");
        assert!(!loss.contains("softmax_cross_entropy_grad"), "no backward pass in `loss`: {loss}");
        // No adjoint of the input: the gradient of W is ∂(Wx) xᵀ, and x is never a product's output.
        let grad = method(&code, "grad");
        assert_eq!(grad.matches("matmul_t").count(), 2, "∂V = ∂z hᵀ and ∂W = ∂(Wx) xᵀ only: {grad}");
        assert_eq!(grad.matches("t_matmul").count(), 1, "∂h = Vᵀ ∂z, and no Wᵀ ∂(Wx): {grad}");
    }
}
