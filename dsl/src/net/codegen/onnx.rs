//! `to_onnx` and `export_onnx`: the batched evaluation graph of a net as
//! calls to `shapegrad::onnx::Graph`, each node written by its op's
//! `OpDef::onnx` (values in the batched layout, one example per column).

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::net::check::{ArgKind, Model};
use crate::net::model::{DimId, Graph, NodeId, Shape};
use crate::net::ops::def;

/// What an op's `onnx` hook sees: the batched graph, each computed node's
/// ONNX value (a `String` variable), and the dims' sizes.
pub struct OnnxCx<'a> {
    m: &'a Model,
}

impl OnnxCx<'_> {
    /// The batched graph.
    pub fn g(&self) -> &Graph {
        &self.m.graph
    }

    /// The variable holding the name of node `n`'s ONNX value.
    pub fn v(&self, n: NodeId) -> Ident {
        format_ident!("__o{}", n)
    }

    /// The size of dim `d`, as a `usize` expression.
    pub fn size(&self, d: DimId) -> TokenStream {
        let t = &self.m.graph.dims[d].tokens;
        quote!(<#t as ::shapegrad::Dim>::SIZE)
    }

    /// `__g.op(op, [operands' values], [])`: one ONNX node on nodes `args`.
    pub fn call(&self, op: &str, args: &[NodeId]) -> TokenStream {
        let vs: Vec<Ident> = args.iter().map(|&a| self.v(a)).collect();
        quote!(__g.op(#op, &[#(&#vs),*], ::std::vec::Vec::new()))
    }

    /// The sizes `[C, H, W]` of rank-3 node `n` (one example).
    pub fn image(&self, n: NodeId) -> Option<[TokenStream; 3]> {
        match self.g().shape(n) {
            Shape::Mat(r, _) => match self.g().parts(r)? {
                &[c, h, w] => Some([self.size(c), self.size(h), self.size(w)]),
                _ => None,
            },
            _ => None,
        }
    }

    /// The ONNX name of state tensor `k` (`a1.running_mean`, `a1.running_var`).
    pub fn state(&self, k: usize) -> Option<(String, String)> {
        let s = self.m.states.get(k)?.plain();
        Some((format!("{s}.running_mean"), format!("{s}.running_var")))
    }
}

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

/// The export methods of a net, from its per-example model `m` and its
/// batched evaluation model `bm`; `Err` names what has no export.
fn export_fns(m: &Model, bm: &Model) -> Result<TokenStream, String> {
    let cx = OnnxCx { m: bm };
    let g = &bm.graph;
    let outputs: Vec<(String, NodeId)> =
        bm.outputs.iter().filter_map(|(name, n)| n.map(|n| (name.to_string(), n))).collect();
    if outputs.is_empty() || outputs.len() != bm.outputs.len() {
        return Err("the net has no outputs".into());
    }
    let needed = g.closure(&outputs.iter().map(|o| o.1).collect::<Vec<_>>(), |n| g.op(n).operands().to_vec());
    let mut body = Vec::new();
    for n in (0..g.nodes.len()).filter(|&n| needed[n]) {
        let op = g.op(n);
        let v = cx.v(n);
        let value = match op.code {
            "param" => {
                let Some(p) = op.index().and_then(|i| bm.params.get(i)) else { return Err("a param".into()) };
                // As `Params::visit` names it, so the initializer is found.
                let name = p.name.to_string();
                quote!(::std::string::String::from(#name))
            }
            "input" if matches!(op.index().and_then(|i| m.args.get(i)), Some((ArgKind::Index, _))) => {
                let a = &m.args[op.index().unwrap_or(0)].1;
                let name = a.name.to_string();
                let name = name.trim_start_matches("r#");
                quote!(__g.index_input(#name))
            }
            "input" => {
                let i = op.index().unwrap_or(usize::MAX);
                let (Some((ArgKind::Input, a)), Some(shape)) =
                    (m.args.get(i), m.args.get(i).and_then(|a| a.1.shape))
                else {
                    return Err("an argument that is not an input".into());
                };
                let name = a.name.to_string();
                let name = name.trim_start_matches("r#");
                let dims =
                    example_dims(&m.graph, shape).ok_or("an input that is not a vector or an image")?;
                quote!(__g.input(#name, &[#(#dims),*]))
            }
            code if def(code).alias() => {
                let a = cx.v(op.arg(0));
                quote!(#a.clone())
            }
            code => def(code).onnx(&cx, n).ok_or_else(|| format!("`{code}` has no ONNX export yet"))?,
        };
        body.push(quote!(let #v: ::std::string::String = #value;));
    }
    let mut outs = Vec::new();
    for (i, (name, n)) in outputs.iter().enumerate() {
        let example = m.outputs.get(i).and_then(|o| o.1).map(|o| m.graph.shape(o));
        let dims = example
            .and_then(|s| example_dims(&m.graph, s))
            .ok_or("an output that is not a vector or an image")?;
        let v = cx.v(*n);
        outs.push(quote!(__g.output(#name, &#v, &[#(#dims),*]);));
    }
    let net = m.name.to_string();
    let doc = "The forward pass (`forward_batch`) as an ONNX model (opset 13): inputs and outputs batch-first (`[N, D]`, `[N, C, H, W]`), params as initializers named as in the net. See `shapegrad::onnx`.";
    Ok(quote! {
        #[doc = #doc]
        pub fn to_onnx(&self) -> ::std::vec::Vec<u8> {
            let mut __g = ::shapegrad::onnx::Graph::new(#net);
            ::shapegrad::onnx::params(&mut __g, self);
            #(#body)*
            #(#outs)*
            __g.to_bytes()
        }

        /// Writes [`Self::to_onnx`] to the file `path`.
        pub fn export_onnx(&self, path: impl ::core::convert::AsRef<::std::path::Path>) -> ::std::io::Result<()> {
            ::std::fs::write(path, self.to_onnx())
        }
    })
}
