//! Batching: the per-example net lifted to a batch of `B` examples, one per
//! column, so the batched methods are generated code over `[N×B]` matrices
//! rather than a loop of per-example calls.
//!
//! Every forward value is one of three kinds: the same for every example
//! (params, constants, and what depends on them only); a per-example column
//! `[R]`, which becomes `[R×B]`; or a per-example scalar, which becomes a
//! `[1×B]` row. Matrix·vector products become matrix products over the batch,
//! a bias is broadcast along the columns, the per-example losses are computed
//! column by column, and the batch loss is their mean. The lifted graph is
//! then differentiated like any other, so a param's gradient accumulates
//! through the batched products. A net that uses a per-example value in a way
//! with no batched form here (a transposed input, a matrix input, a
//! per-example scalar times a constant vector) gets no batched methods, and
//! its documentation says why.

use std::collections::HashMap;

use quote::quote;

use super::check::{ArgKind, Decl, Model};
use super::model::{DimId, Graph, NodeId, ONE, Op, Shape};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The same for every example.
    Shared,
    /// A per-example column `[R]`, batched as `[R×B]`.
    Column,
    /// A per-example scalar, batched as `[1×B]`.
    Scalar,
    /// A per-example label, batched as a `Classes<C, B>`.
    Label,
}

struct Lifter<'m> {
    m: &'m Model,
    g: Graph,
    batch: DimId,
    map: HashMap<NodeId, (NodeId, Kind)>,
}

/// The batched model: its graph, its params and batched arguments (named
/// `xs`, `ys` after `x`, `y`), its outputs and the mean loss over the batch.
pub fn lift(m: &Model) -> Result<Model, String> {
    let loss = m.loss.ok_or("the net has no loss")?;
    let mut g = Graph::default();
    for d in m.graph.dims.iter().skip(1) {
        g.dim(d.text.clone(), d.tokens.clone());
    }
    let batch = g.dim("⟨batch⟩".into(), quote!(__B));
    let mut l = Lifter { m, g, batch, map: HashMap::new() };
    let mut targets = vec![loss];
    targets.extend(m.outputs.iter().filter_map(|(_, n)| *n));
    let needed = m.graph.closure(&targets, |n| m.graph.op(n).operands());
    for n in (0..m.graph.nodes.len()).filter(|&n| needed[n]) {
        let lifted = l.node(n)?;
        l.map.insert(n, lifted);
    }
    let (per_example, kind) = l.map[&loss];
    let batch_loss = match kind {
        Kind::Scalar => l.g.intern(Op::Mean(per_example), Shape::Scalar),
        _ => per_example,
    };
    // `x` becomes `xs`; where that is a keyword (`a` → `as`), `a_batch`.
    let rename = |d: &Decl, node: Option<NodeId>, shape: Option<Shape>| {
        let plural = format!("{}s", d.name);
        let text =
            if syn::parse_str::<syn::Ident>(&plural).is_ok() { plural } else { format!("{}_batch", d.name) };
        Decl { name: proc_macro2::Ident::new(&text, d.name.span()), attrs: Vec::new(), shape, node }
    };
    let mut args = Vec::new();
    for (i, (kind, d)) in m.args.iter().enumerate() {
        let shape = match (kind, d.shape) {
            (ArgKind::Input, Some(Shape::Mat(r, ONE))) => Shape::Mat(r, batch),
            (ArgKind::Label, Some(Shape::Label(c))) => Shape::Labels(c, batch),
            _ => return Err(format!("input `{}` is not a column vector", d.name)),
        };
        let op = if *kind == ArgKind::Input { Op::Input(i) } else { Op::Label(i) };
        let node = l.g.find(op);
        args.push((*kind, rename(d, node, Some(shape))));
    }
    let params = m
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| Decl {
            name: p.name.clone(),
            attrs: Vec::new(),
            shape: p.shape,
            node: l.g.find(Op::Param(i)),
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
    })
}

impl Lifter<'_> {
    fn name(&self, n: NodeId) -> String {
        self.m.names.get(&n).map_or_else(|| "a value".to_string(), |s| format!("`{s}`"))
    }

    fn rows(&self, n: NodeId) -> DimId {
        match self.g.shape(n) {
            Shape::Mat(r, _) => r,
            _ => ONE,
        }
    }

    /// A constant row of ones, `[1×R]`: `𝟙ᵀ A` sums the columns of `A`.
    fn ones_row(&mut self, r: DimId) -> NodeId {
        let one = self.g.constant(1.0);
        self.g.intern(Op::Fill(one, ONE, r), Shape::Mat(ONE, r))
    }

    fn node(&mut self, n: NodeId) -> Result<(NodeId, Kind), String> {
        use Kind::*;
        let src = &self.m.graph;
        let op = src.op(n);
        let shape = src.shape(n);
        let get = |l: &Self, x: NodeId| l.map[&x];
        let b = self.batch;
        let out = match op {
            Op::Param(_) | Op::Const(_) => (self.g.intern(op, shape), Shared),
            Op::Input(_) => match shape {
                Shape::Mat(r, ONE) => (self.g.intern(op, Shape::Mat(r, b)), Column),
                _ => {
                    return Err(format!(
                        "input {} is a matrix, and a batch of matrices is not a matrix",
                        self.name(n)
                    ));
                }
            },
            Op::Label(_) => match shape {
                Shape::Label(c) => (self.g.intern(op, Shape::Labels(c, b)), Label),
                _ => return Err("a label is not a label".into()),
            },
            Op::MatMul(x, y) => match (get(self, x), get(self, y)) {
                ((a, Shared), (c, Shared)) => (self.g.intern(Op::MatMul(a, c), shape), Shared),
                ((a, Shared), (c, Column)) => {
                    let r = self.rows(a);
                    (self.g.intern(Op::MatMul(a, c), Shape::Mat(r, b)), Column)
                }
                _ => return Err(format!("{} multiplies a per-example value from the left", self.name(n))),
            },
            Op::Transpose(x) => match get(self, x) {
                (a, Shared) => (self.g.intern(Op::Transpose(a), shape), Shared),
                _ => return Err(format!("{} transposes a per-example value", self.name(n))),
            },
            Op::Add(x, y) | Op::Sub(x, y) | Op::Mul(x, y) => {
                self.elementwise(n, op, get(self, x), get(self, y))?
            }
            Op::Neg(x) | Op::Map(_, x) | Op::Softmax(x) | Op::LogSoftmax(x) => {
                let (a, kind) = get(self, x);
                if kind == Scalar && matches!(op, Op::Softmax(_) | Op::LogSoftmax(_)) {
                    return Err("softmax of a scalar".into());
                }
                let op = match op {
                    Op::Neg(_) => Op::Neg(a),
                    Op::Map(f, _) => Op::Map(f, a),
                    Op::Softmax(_) => Op::Softmax(a),
                    _ => Op::LogSoftmax(a),
                };
                let s = self.g.shape(a);
                (self.g.intern(op, s), kind)
            }
            Op::Sum(x) | Op::Mean(x) => match get(self, x) {
                (a, Shared) => (
                    self.g.intern(if matches!(op, Op::Sum(_)) { Op::Sum(a) } else { Op::Mean(a) }, shape),
                    Shared,
                ),
                (a, Column) => {
                    let r = self.rows(a);
                    let ones = self.ones_row(r);
                    let sums = self.g.intern(Op::MatMul(ones, a), Shape::Mat(ONE, b));
                    if matches!(op, Op::Sum(_)) {
                        (sums, Scalar)
                    } else {
                        let one = self.g.constant(1.0);
                        let count = self.g.intern(Op::Count(r, ONE), Shape::Scalar);
                        let inv = self.g.intern(Op::Div(one, count), Shape::Scalar);
                        (self.g.intern(Op::Mul(inv, sums), Shape::Mat(ONE, b)), Scalar)
                    }
                }
                _ => return Err(format!("{} reduces a per-example scalar", self.name(n))),
            },
            Op::OneHot(y) => {
                let (l, _) = get(self, y);
                let Shape::Mat(c, _) = shape else { return Err("onehot".into()) };
                (self.g.intern(Op::OneHot(l), Shape::Mat(c, b)), Column)
            }
            Op::SoftmaxCe(z, y) | Op::Svm(z, y) => match (get(self, z), get(self, y)) {
                ((z, Column), (y, Label)) => {
                    let op =
                        if matches!(op, Op::Svm(..)) { Op::SvmCols(z, y) } else { Op::SoftmaxCeCols(z, y) };
                    (self.g.intern(op, Shape::Mat(ONE, b)), Scalar)
                }
                _ => return Err("a loss whose scores do not depend on the input".into()),
            },
            other => return Err(format!("{other:?} in a forward pass")),
        };
        Ok(out)
    }

    fn elementwise(
        &mut self,
        n: NodeId,
        op: Op,
        (a, ka): (NodeId, Kind),
        (c, kc): (NodeId, Kind),
    ) -> Result<(NodeId, Kind), String> {
        use Kind::*;
        let (sa, sc) = (self.g.shape(a), self.g.shape(c));
        let shared_scalar = |k: Kind, s: Shape| k == Shared && s == Shape::Scalar;
        let make = |op: Op, x: NodeId, y: NodeId| match op {
            Op::Add(..) => Op::Add(x, y),
            Op::Sub(..) => Op::Sub(x, y),
            _ => Op::Mul(x, y),
        };
        // Same kind, or a shared scalar broadcast over anything: as written.
        if ka == kc || shared_scalar(ka, sa) || shared_scalar(kc, sc) {
            let shape = if sa == Shape::Scalar { sc } else { sa };
            let kind = if ka == Shared { kc } else { ka };
            return Ok((self.g.intern(make(op, a, c), shape), kind));
        }
        match (op, ka, kc) {
            // A per-example column and a shared column: a bias, along the batch.
            (Op::Add(..), Column, Shared) => Ok((self.g.intern(Op::AddBias(a, c), sa), Column)),
            (Op::Add(..), Shared, Column) => Ok((self.g.intern(Op::AddBias(c, a), sc), Column)),
            (Op::Sub(..), Column, Shared) => {
                let neg = self.g.intern(Op::Neg(c), sc);
                Ok((self.g.intern(Op::AddBias(a, neg), sa), Column))
            }
            (Op::Sub(..), Shared, Column) => {
                let neg = self.g.intern(Op::Neg(c), sc);
                Ok((self.g.intern(Op::AddBias(neg, a), sc), Column))
            }
            // A per-example column times a shared column: each row scaled.
            (Op::Mul(..), Column, Shared) if sc == Shape::Mat(self.rows(c), ONE) => {
                Ok((self.g.intern(Op::RowScale(a, c), sa), Column))
            }
            (Op::Mul(..), Shared, Column) if sa == Shape::Mat(self.rows(a), ONE) => {
                Ok((self.g.intern(Op::RowScale(c, a), sc), Column))
            }
            // A per-example scalar times a per-example column: each column scaled.
            (Op::Mul(..), Column, Scalar) => Ok((self.g.intern(Op::ColScale(a, c), sa), Column)),
            (Op::Mul(..), Scalar, Column) => Ok((self.g.intern(Op::ColScale(c, a), sc), Column)),
            _ => Err(format!("{} combines a per-example value with a shared one elementwise", self.name(n))),
        }
    }
}
