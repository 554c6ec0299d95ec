//! Batching: the per-example net lifted to a batch of `B` examples, one per
//! column, so the batched methods are generated code over `[N×B]` matrices
//! rather than a loop of per-example calls.
//!
//! Every forward value is one of four kinds: the same for every example
//! (params, constants, and what depends on them only); a per-example column
//! `[R]`, which becomes `[R×B]`; a per-example scalar (a 1×1 value too),
//! which becomes a `[1×B]` row; or the transpose of a per-example column,
//! kept untransposed and used only as the left side of a product (`xᵀa`
//! becomes `aᵀX`, `xᵀy` the column sums of `X ⊙ Y`). Matrix·vector products
//! become matrix products over the batch, a bias is broadcast along the
//! columns, the per-example losses are computed column by column, and the
//! batch loss is their mean. The lifted graph is then differentiated like any
//! other, so a param's gradient accumulates through the batched products. A
//! net that uses a per-example value in a way with no batched form here (a
//! matrix input, an outer product of per-example values) gets no batched
//! methods, and its documentation says why.

use std::collections::HashMap;

use quote::quote;

use super::check::{ArgKind, Decl, Model};
use super::model::{Attr, DimId, Graph, NodeId, ONE, Op, Shape};
use super::ops::{Kind, LiftCx, Lifted, def};

struct Lifter<'m> {
    m: &'m Model,
    g: Graph,
    batch: DimId,
    map: HashMap<NodeId, Lifted>,
    training: bool,
}

/// The text of the batch dim in a batched model's graph.
pub const BATCH: &str = "⟨batch⟩";

/// A type parameter of the generated code that names none of the net's dims
/// or generics (nor `avoid`): the first of `names` that is free, else the
/// last with underscores added until it is.
pub fn fresh_type_param(m: &Model, names: &[&str], avoid: &[&str]) -> proc_macro2::Ident {
    let taken = |s: &str| {
        avoid.contains(&s) || m.generics.iter().any(|g| g == s) || m.graph.dims.iter().any(|d| d.text == s)
    };
    let mut name = names
        .iter()
        .find(|n| !taken(n))
        .map_or_else(|| format!("{}_", names[names.len() - 1]), |n| n.to_string());
    while taken(&name) {
        name.push('_');
    }
    quote::format_ident!("{name}")
}

/// The generated code's element type parameter: `T`, or `Elem` when the
/// net has a dim or generic `T` (a time dim), or …
pub fn elem_ident(m: &Model) -> proc_macro2::Ident {
    fresh_type_param(m, &["T", "Elem", "Scalar_"], &[])
}

/// The batched methods' generic batch size: `B`, or `Batch` (or `NB`)
/// when the net already has a dim or generic of that name, or …
pub fn batch_ident(m: &Model) -> proc_macro2::Ident {
    let elem = elem_ident(m).to_string();
    fresh_type_param(m, &["B", "Batch", "NB"], &[&elem, "__U"])
}

/// The batched model: its graph, its params and batched arguments (named
/// `xs`, `ys` after `x`, `y`), its outputs and the mean loss over the batch.
///
/// `training` picks the mode of the ops that have two (`dropout`,
/// `batchnorm`): the
/// training methods' graph, or the evaluation one of `forward_batch`.
pub fn lift(m: &Model, training: bool) -> Result<Model, String> {
    let loss = m.loss.ok_or("the net has no loss")?;
    let mut g = Graph::default();
    for d in m.graph.dims.iter().skip(1) {
        g.dim_of(d.clone());
    }
    let b = batch_ident(m);
    let batch = g.dim(BATCH.into(), quote!(#b));
    let mut l = Lifter { m, g, batch, map: HashMap::new(), training };
    let mut targets = vec![loss];
    targets.extend(m.outputs.iter().filter_map(|(_, n)| *n));
    let needed = m.graph.closure(&targets, |n| m.graph.reads(n));
    for n in (0..m.graph.nodes.len()).filter(|&n| needed[n]) {
        let op = m.graph.op(n);
        let args: Vec<Lifted> = op.operands().iter().map(|a| l.map[a]).collect();
        let lifted = lift_node(&mut l, n, &args)?;
        l.map.insert(n, lifted);
    }
    if let Some((name, _)) = m.outputs.iter().find(|(_, n)| n.is_some_and(|n| l.map[&n].1 == Kind::Row)) {
        return Err(format!("output `{name}` is a per-example row"));
    }
    let (per_example, kind) = l.map[&loss];
    let batch_loss = match kind {
        Kind::Scalar => l.g.intern(Op::new("mean", &[per_example]), Shape::Scalar),
        _ => per_example,
    };
    let args = batched_args(m, &mut l.g, batch)?;
    let params = m
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| Decl {
            name: p.name.clone(),
            attrs: Vec::new(),
            shape: p.shape,
            node: l.g.find(Op::with("param", &[], Attr::Index(i))),
            init: p.init,
            layer: p.layer.clone(),
        })
        .collect();
    let outputs = m.outputs.iter().map(|(name, n)| (name.clone(), n.map(|n| l.map[&n].0))).collect();
    Ok(Model {
        graph: l.g,
        attrs: Vec::new(),
        vis: m.vis.clone(),
        name: m.name.clone(),
        generics: m.generics.clone(),
        params,
        args,
        names: HashMap::new(),
        outputs,
        loss: Some(batch_loss),
        loss_text: String::new(),
        hand_grads: Vec::new(),
        input_grads: m.input_grads.clone(),
        size_checks: Vec::new(),
        states: m.states.clone(),
    })
}

/// The batched net's arguments: a batch of each input, target, label and
/// sequence, the example index last.
fn batched_args(m: &Model, g: &mut Graph, batch: DimId) -> Result<Vec<(ArgKind, Decl)>, String> {
    let rename = |d: &Decl, node: Option<NodeId>, shape: Option<Shape>| Decl {
        name: batch_name(&d.name),
        attrs: Vec::new(),
        shape,
        node,
        init: None,
        layer: None,
    };
    let mut args = Vec::new();
    for (i, (kind, d)) in m.args.iter().enumerate() {
        let shape = match (kind, d.shape) {
            (ArgKind::Input | ArgKind::Target, Some(Shape::Mat(r, ONE))) => Shape::Mat(r, batch),
            (ArgKind::Label | ArgKind::Index, Some(Shape::Label(c))) => Shape::Labels(c, batch),
            // A sequence: `T` blocks of one per example (see `Kind::Seq`).
            (ArgKind::Input, Some(Shape::Mat(t, r))) => Shape::Mat(g.shaped(&[t, r]), batch),
            (ArgKind::Label | ArgKind::Index, Some(Shape::Labels(c, t))) => {
                Shape::Labels(c, g.shaped(&[t, batch]))
            }
            _ => return Err(format!("input `{}` is not a column vector", d.name)),
        };
        let op = Op::with(if *kind == ArgKind::Label { "label" } else { "input" }, &[], Attr::Index(i));
        let node = g.find(op);
        args.push((*kind, rename(d, node, Some(shape))));
    }
    Ok(args)
}

/// The batched node for per-example node `n` (of `cx.src()`), from its
/// lifted operands: its op's `lift`.
pub fn lift_node(cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
    let op = cx.src().op(n);
    let (node, kind) = def(op.code).lift(cx, n, args)?;
    // A per-example 1×1 value is a per-example scalar: a `[1×B]` row
    // either way, and it is the scalar's rules (mean over the batch,
    // columns scaled) that hold for it.
    let kind =
        if kind == Kind::Column && cx.src().shape(n) == Shape::Mat(ONE, ONE) { Kind::Scalar } else { kind };
    Ok((node, kind))
}

/// A batched argument's name: `x` becomes `xs`; where that is a keyword
/// (`a` → `as`), `a_batch`.
pub fn batch_name(name: &proc_macro2::Ident) -> proc_macro2::Ident {
    let plural = format!("{name}s");
    let text = if syn::parse_str::<syn::Ident>(&plural).is_ok() { plural } else { format!("{name}_batch") };
    proc_macro2::Ident::new(&text, name.span())
}

impl LiftCx for Lifter<'_> {
    fn src(&self) -> &Graph {
        &self.m.graph
    }

    fn g(&mut self) -> &mut Graph {
        &mut self.g
    }

    fn batch(&self) -> DimId {
        self.batch
    }

    fn name(&self, n: NodeId) -> String {
        self.m.names.get(&n).map_or_else(|| "a value".to_string(), |s| format!("`{s}`"))
    }

    fn training(&self) -> bool {
        self.training
    }

    fn lifted(&self, n: NodeId) -> Option<Lifted> {
        self.map.get(&n).copied()
    }
}
