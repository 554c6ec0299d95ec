//! `to_onnx` and `export_onnx`: the batched evaluation graph of a net as
//! calls to `shapegrad::onnx::Graph`, each node written by its op's
//! `OpDef::onnx` (values in the batched layout, one example per column).

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::net::check::{ArgKind, Model};
use crate::net::model::{DimId, Graph, NodeId, Shape};
use crate::net::ops::{OnnxCx, def};

/// The per-example dims of a value of shape `s` in `g`, as an ONNX input or
/// output has them after the batch: `[D]`, `[C, H, W]`, `[1]` for a scalar.
fn example_dims(g: &Graph, s: Shape) -> Option<Vec<TokenStream>> {
    match s {
        Shape::Scalar => Some(vec![quote!(1usize)]),
        Shape::Mat(r, c) if c == crate::net::model::ONE => match g.parts(r) {
            Some(parts) => Some(parts.iter().map(|&d| sized(g, d)).collect()),
            None => Some(vec![sized(g, r)]),
        },
        _ => None,
    }
}

/// `[T, R]` for a per-example sequence (a matrix whose batch is `T` blocks
/// of `[R×N]`, `Kind::Seq`): batch-first, `[N, T, R]`.
fn sequence_dims(g: &Graph, s: Shape) -> Option<Vec<TokenStream>> {
    match s {
        Shape::Mat(t, r) if g.parts(t).is_none() && g.parts(r).is_none() => {
            Some(vec![sized(g, t), sized(g, r)])
        }
        _ => None,
    }
}

fn sized(g: &Graph, d: DimId) -> TokenStream {
    let t = &g.dims[d].tokens;
    quote!(<#t as ::shapegrad::Dim>::SIZE)
}

impl super::Codegen<'_> {
    /// `impl Net { to_onnx, export_onnx }` for a generator of the batched
    /// evaluation model, given the per-example model `m`; nothing (and why)
    /// when some op has no export.
    pub fn onnx_impl(&self, m: &Model) -> (TokenStream, Option<String>) {
        let t = &self.t;
        let (name, _, generics) = self.names();
        match export_fns(m, self.m) {
            Ok(fns) => (
                quote! {
                    #[allow(non_snake_case, unused_variables, clippy::all)]
                    impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                        #fns
                    }
                },
                None,
            ),
            Err(why) => (quote!(), Some(why)),
        }
    }
}

/// The statements computing `targets` of `model`'s graph into the ONNX
/// builder `__g`, each op's value by its `onnx` hook, a param by its name,
/// an input (by its index among the arguments) as `input` writes it.
fn nodes(
    cx: &OnnxCx<'_>,
    model: &Model,
    targets: &[NodeId],
    input: impl Fn(usize) -> Result<TokenStream, String>,
) -> Result<Vec<TokenStream>, String> {
    let g = &model.graph;
    // A stack's params are named where they are stacked (`members`), not one by one.
    let needed = g.closure(targets, |n| if g.op(n).is("members") { Vec::new() } else { g.reads(n) });
    let loop_of = g.loop_of();
    let mut body = Vec::new();
    let mut unrolled = vec![false; g.loops.len()];
    for n in (0..g.nodes.len()).filter(|&n| needed[n]) {
        let op = g.op(n);
        let v = cx.v(n);
        if loop_of[n].is_some() {
            // A step value: its loop writes it.
            continue;
        }
        if let ("stack", crate::net::model::Attr::Loop(k)) = (op.code, op.attr) {
            if !std::mem::replace(&mut unrolled[k], true) {
                body.push(unroll(cx, &needed, &loop_of, k)?);
            }
            continue;
        }
        let value = match op.code {
            "param" => {
                let Some(p) = op.index().and_then(|i| model.params.get(i)) else {
                    return Err("a param".into());
                };
                // As `Params::visit` names it, so the initializer is found.
                let name = p.key();
                quote!(::std::string::String::from(#name))
            }
            "input" => input(op.index().unwrap_or(usize::MAX))?,
            "members" => {
                let crate::net::model::Attr::Members(first, stride, count, ..) = op.attr else {
                    return Err("a stack of members".into());
                };
                let keys = (0..count).map(|i| model.params.get(first + i * stride).map(|p| p.key()));
                let keys: Vec<String> = keys.collect::<Option<_>>().ok_or("a stack's param")?;
                quote!(__g.stack_rows(&[#(#keys),*].map(::std::string::String::from)))
            }
            code if def(code).alias() => {
                let a = cx.v(op.arg(0));
                quote!(#a.clone())
            }
            code => def(code).onnx(cx, n).ok_or_else(|| format!("`{code}` has no ONNX export yet"))?,
        };
        body.push(quote!(let #v: ::std::string::String = #value;));
    }
    Ok(body)
}

/// Loop `k` of the batched evaluation graph, unrolled as the model is
/// written: the exporter runs `for __t in 0..T`, adding each step's nodes
/// (the ONNX file has `T` copies of the body; the generated code has one),
/// then each sequence as its steps' values stacked, `[T·R, N]`.
fn unroll(
    cx: &OnnxCx<'_>,
    needed: &[bool],
    loop_of: &[Option<usize>],
    k: usize,
) -> Result<TokenStream, String> {
    use crate::net::model::Attr;
    let g = cx.g();
    let info = &g.loops[k];
    let stacks: Vec<NodeId> = (0..g.nodes.len())
        .filter(|&n| needed[n] && g.op(n).is("stack") && g.op(n).attr == Attr::Loop(k))
        .collect();
    let seq = |n: NodeId| format_ident!("__steps{}", n);
    let mut each = Vec::new();
    for n in (0..g.nodes.len()).filter(|&n| needed[n] && loop_of[n] == Some(k)) {
        let op = g.op(n);
        let v = cx.v(n);
        let value = match (op.code, op.attr, g.shape(n)) {
            ("step", _, Shape::Labels(..)) => {
                let x = cx.v(op.arg(0));
                quote!(__g.step_indices(&#x, __t))
            }
            ("step", _, Shape::Mat(r, _)) => {
                let (x, r) = (cx.v(op.arg(0)), cx.size(r));
                quote!(__g.slice_rows(&#x, __t * #r, (__t + 1) * #r))
            }
            ("prev", Attr::State(_, s, lag), _) => {
                let state = &info.states[s];
                let (init, stack) = (cx.v(state.init), state.stack.ok_or("a state without steps")?);
                let (steps, lag) = (seq(stack), proc_macro2::Literal::usize_unsuffixed(lag as usize));
                quote!(if __t < #lag { #init.clone() } else { #steps[__t - #lag].clone() })
            }
            (code, ..) => def(code).onnx(cx, n).ok_or_else(|| format!("`{code}` has no ONNX export yet"))?,
        };
        each.push(quote!(let #v: ::std::string::String = #value;));
    }
    let mut keep = Vec::new();
    let mut stacked = Vec::new();
    for &s in &stacks {
        let (steps, step, v) = (seq(s), cx.v(g.op(s).arg(0)), cx.v(s));
        keep.push(quote!(#steps.push(#step.clone());));
        stacked.push(quote!(let #v: ::std::string::String = __g.stack_rows(&#steps);));
    }
    // A state's stack is read by its later steps even when nothing else needs it.
    let declared: Vec<Ident> = stacks.iter().map(|&s| seq(s)).collect();
    let t = cx.size(info.dim);
    Ok(quote! {
        #(let mut #declared: ::std::vec::Vec<::std::string::String> = ::std::vec::Vec::new();)*
        for __t in 0..#t {
            #(#each)*
            #(#keep)*
        }
        #(#stacked)*
    })
}

/// The export methods of a net, from its per-example model `m` and its
/// batched evaluation model `bm`; `Err` names what has no export.
fn export_fns(m: &Model, bm: &Model) -> Result<TokenStream, String> {
    let cx = OnnxCx::new(&bm.graph, &bm.states);
    let outputs: Vec<(String, NodeId)> =
        bm.outputs.iter().filter_map(|(name, n)| n.map(|n| (name.to_string(), n))).collect();
    if outputs.is_empty() || outputs.len() != bm.outputs.len() {
        return Err("the net has no outputs".into());
    }
    let targets: Vec<NodeId> = outputs.iter().map(|o| o.1).collect();
    let body = nodes(&cx, bm, &targets, |i| {
        let Some((kind, a)) = m.args.get(i) else { return Err("an argument".into()) };
        let name = a.name.to_string();
        let name = name.trim_start_matches("r#");
        match kind {
            // A sequence of indices, read step by step: `int64` `[N, T]`.
            ArgKind::Index if matches!(a.shape, Some(Shape::Labels(..))) => {
                let Some(Shape::Labels(_, t)) = a.shape else { return Err("a sequence".into()) };
                let t = sized(&m.graph, t);
                Ok(quote!(__g.batch_input(#name, &[#t], true)))
            }
            ArgKind::Index => Ok(quote!(__g.index_input(#name))),
            ArgKind::Input => {
                let shape = a.shape.ok_or("an input without a shape")?;
                let dims = example_dims(&m.graph, shape)
                    .or_else(|| sequence_dims(&m.graph, shape))
                    .ok_or("an input that is not a vector or an image")?;
                Ok(quote!(__g.input(#name, &[#(#dims),*])))
            }
            _ => Err("an argument that is not an input".into()),
        }
    })?;
    let mut outs = Vec::new();
    for (i, (name, n)) in outputs.iter().enumerate() {
        let example = m.outputs.get(i).and_then(|o| o.1).map(|o| m.graph.shape(o));
        let dims = example
            .and_then(|s| example_dims(&m.graph, s).or_else(|| sequence_dims(&m.graph, s)))
            .ok_or("an output that is not a vector or an image")?;
        let v = cx.v(*n);
        outs.push(quote!(__g.output(#name, &#v, &[#(#dims),*]);));
    }
    let net = m.name.to_string();
    let doc = "The forward pass (`forward_batch`) as an ONNX model (opset 13): inputs and outputs batch-first (`[N, D]`, `[N, C, H, W]`), params as initializers named as in the net. See `shapegrad::onnx`.";
    Ok(export_methods(
        doc,
        quote! {
            let mut __g = ::shapegrad::onnx::Graph::new(#net);
            ::shapegrad::onnx::params(&mut __g, self);
            #(#body)*
            #(#outs)*
            __g.to_bytes()
        },
    ))
}

impl super::Codegen<'_> {
    /// `to_onnx` and `export_onnx` for a net whose batched methods loop
    /// over its examples (`self.m` is its per-example model): a `Scan` over
    /// the batch whose body is the per-example graph, inputs and outputs
    /// batch-first (`[N, T, D]` for a per-example matrix, `int64` `[N, T]`
    /// for a sequence of tokens); nothing when some op has no export.
    pub fn looped_onnx(&self) -> TokenStream {
        let t = &self.t;
        let (name, _, generics) = self.names();
        let Ok(fns) = looped_export_fns(self.m) else { return quote!() };
        quote! {
            #[allow(non_snake_case, unused_variables, clippy::all)]
            impl<#(#generics: ::shapegrad::Dim,)* #t: ::shapegrad::Scalar> #name<#(#generics,)* #t> {
                #fns
            }
        }
    }
}

/// The sizes of the dims of a per-example value of shape `s` as a body sees
/// it, and whether it is a column (`[R]`, held as `[R, 1]`); `None` for an
/// image or anything else a `Scan` body does not take.
fn step_dims(g: &Graph, s: Shape) -> Option<(Vec<TokenStream>, bool)> {
    use crate::net::model::ONE;
    match s {
        Shape::Scalar => Some((vec![quote!(1usize)], true)),
        Shape::Mat(r, ONE) if g.parts(r).is_none() => Some((vec![sized(g, r)], true)),
        Shape::Mat(r, c) if g.parts(r).is_none() && g.parts(c).is_none() => {
            Some((vec![sized(g, r), sized(g, c)], false))
        }
        Shape::Label(_) => Some((Vec::new(), true)),
        Shape::Labels(_, t) => Some((vec![sized(g, t)], false)),
        Shape::Mat(..) => None,
    }
}

fn looped_export_fns(m: &Model) -> Result<TokenStream, String> {
    let cx = OnnxCx::new(&m.graph, &m.states);
    let outputs: Vec<(String, NodeId)> =
        m.outputs.iter().filter_map(|(name, n)| n.map(|n| (name.to_string(), n))).collect();
    if outputs.is_empty() || outputs.len() != m.outputs.len() {
        return Err("the net has no outputs".into());
    }
    // The batch's inputs (outer graph) and each example's (the body).
    let mut outer = Vec::new();
    let mut scanned = Vec::new();
    for (kind, a) in m.args.iter().filter(|(k, _)| k.is_input()) {
        let name = a.name.to_string();
        let name = name.trim_start_matches("r#").to_string();
        let (dims, _) =
            step_dims(&m.graph, a.shape.ok_or("an input without a shape")?).ok_or("an image input")?;
        let int64 = *kind == ArgKind::Index;
        outer.push(quote!(__outer.batch_input(#name, &[#(#dims),*], #int64);));
        scanned.push(name);
    }
    let targets: Vec<NodeId> = outputs.iter().map(|o| o.1).collect();
    let body = nodes(&cx, m, &targets, |i| {
        let Some((kind, a)) = m.args.get(i) else { return Err("an argument".into()) };
        let name = format!("{}_step", a.name.to_string().trim_start_matches("r#"));
        let shape = a.shape.ok_or("an input without a shape")?;
        let (dims, column) = step_dims(&m.graph, shape).ok_or("an image input")?;
        match (kind, shape) {
            // One index: `[1]`, as the batched layout's `[N]` of one example.
            (ArgKind::Index, Shape::Label(_)) => Ok(quote!({
                let __i = __g.example_input(#name, &[], true);
                __g.reshape(&__i, &[1])
            })),
            (ArgKind::Index, _) => Ok(quote!(__g.example_input(#name, &[#(#dims),*], true))),
            (ArgKind::Input, _) if column => Ok(quote!({
                let __x = __g.example_input(#name, &[#(#dims),*], false);
                __g.reshape(&__x, &[-1, 1])
            })),
            (ArgKind::Input, _) => Ok(quote!(__g.example_input(#name, &[#(#dims),*], false))),
            _ => Err("an argument that is not an input".into()),
        }
    })?;
    let mut outs = Vec::new();
    let mut stacked = Vec::new();
    for (name, n) in &outputs {
        let (dims, _) = step_dims(&m.graph, m.graph.shape(*n)).ok_or("an image output")?;
        let v = cx.v(*n);
        let step = format!("{name}_step");
        outs.push(quote!(__g.example_output(#step, &#v, &[#(#dims),*]);));
        stacked.push(quote!((#name, &[#(#dims),*] as &[usize])));
    }
    let net = m.name.to_string();
    let doc = "The forward pass (`forward_batch`) as an ONNX model (opset 13): a `Scan` over the batch whose body is the per-example net; inputs and outputs batch-first (`[N, D]`, `[N, T, D]`, `int64` `[N, T]` for a sequence of tokens), params as initializers named as in the net. See `shapegrad::onnx`.";
    Ok(export_methods(
        doc,
        quote! {
            let mut __outer = ::shapegrad::onnx::Graph::new(#net);
            ::shapegrad::onnx::params(&mut __outer, self);
            #(#outer)*
            let mut __g = ::shapegrad::onnx::Graph::body("step");
            #(#body)*
            #(#outs)*
            __outer.scan(__g, &[#(#scanned),*], &[#(#stacked),*]);
            __outer.to_bytes()
        },
    ))
}

/// `to_onnx` (documented by `doc`, its statements `body`) and `export_onnx`.
fn export_methods(doc: &str, body: TokenStream) -> TokenStream {
    quote! {
        #[doc = #doc]
        pub fn to_onnx(&self) -> ::std::vec::Vec<u8> {
            #body
        }

        /// Writes [`Self::to_onnx`] to the file `path`.
        pub fn export_onnx(&self, path: impl ::core::convert::AsRef<::std::path::Path>) -> ::std::io::Result<()> {
            ::std::fs::write(path, self.to_onnx())
        }
    }
}
