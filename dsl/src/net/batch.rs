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
    /// The transpose of a per-example column `[R]`, held untransposed as
    /// `[R×B]`: only a product's left side, or elementwise with another row.
    Row,
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
        let (node, kind) = l.node(n)?;
        // A per-example 1×1 value is a per-example scalar: a `[1×B]` row
        // either way, and it is the scalar's rules (mean over the batch,
        // columns scaled) that hold for it.
        let kind = if kind == Kind::Column && m.graph.shape(n) == Shape::Mat(ONE, ONE) {
            Kind::Scalar
        } else {
            kind
        };
        l.map.insert(n, (node, kind));
    }
    if let Some((name, _)) = m.outputs.iter().find(|(_, n)| n.is_some_and(|n| l.map[&n].1 == Kind::Row)) {
        return Err(format!("output `{name}` is a per-example row"));
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
            Op::MatMul(x, y) => self.product(n, get(self, x), get(self, y))?,
            Op::Transpose(x) => match get(self, x) {
                (a, Shared) => (self.g.intern(Op::Transpose(a), shape), Shared),
                // A 1×1 is its own transpose.
                (a, Scalar) => (a, Scalar),
                (a, Column) => (a, Row),
                _ => return Err(format!("{} transposes a per-example value", self.name(n))),
            },
            Op::Add(x, y) | Op::Sub(x, y) | Op::Mul(x, y) => {
                self.elementwise(n, op, get(self, x), get(self, y))?
            }
            Op::Neg(x) | Op::Map(_, x) | Op::Softmax(x) | Op::LogSoftmax(x) => {
                let (a, kind) = get(self, x);
                if kind == Row && matches!(op, Op::Softmax(_) | Op::LogSoftmax(_)) {
                    return Err(format!("{} is the softmax of a per-example row", self.name(n)));
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
                // The sum or mean of a per-example 1×1 is itself.
                (a, Scalar) => (a, Scalar),
                (a, Column | Row) => {
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
                ((z, Column | Scalar), (y, Label)) => {
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

    /// A matrix product with a per-example side.
    fn product(
        &mut self,
        n: NodeId,
        (a, ka): (NodeId, Kind),
        (c, kc): (NodeId, Kind),
    ) -> Result<(NodeId, Kind), String> {
        use Kind::*;
        let b = self.batch;
        let (sa, sc) = (self.g.shape(a), self.g.shape(c));
        Ok(match (ka, kc) {
            (Shared, Shared) => (self.g.intern(Op::MatMul(a, c), self.m.graph.shape(n)), Shared),
            // A x for each column x; a column a times a per-example 1×1 is an outer product.
            (Shared, Column | Scalar) => {
                let r = self.rows(a);
                (self.g.intern(Op::MatMul(a, c), Shape::Mat(r, b)), Column)
            }
            // xᵀ a = aᵀ x for each column x.
            (Row, Shared) if matches!(sc, Shape::Mat(_, ONE)) => {
                let at = self.g.intern(Op::Transpose(c), Shape::Mat(ONE, self.rows(c)));
                (self.g.intern(Op::MatMul(at, a), Shape::Mat(ONE, b)), Scalar)
            }
            // xᵀ y = 𝟙ᵀ(x ⊙ y) for each pair of columns.
            (Row, Column) => {
                let r = self.rows(a);
                let xy = self.g.intern(Op::Mul(a, c), sa);
                let ones = self.ones_row(r);
                (self.g.intern(Op::MatMul(ones, xy), Shape::Mat(ONE, b)), Scalar)
            }
            // Products with a per-example 1×1 on the right scale each column.
            (Scalar, Scalar) => (self.g.intern(Op::Mul(a, c), sa), Scalar),
            (Column, Scalar) => (self.g.intern(Op::ColScale(a, c), sa), Column),
            // A per-example 1×1 times a shared 1×1.
            (Scalar, Shared) if sc == Shape::Mat(ONE, ONE) => (self.g.intern(Op::RowScale(a, c), sa), Scalar),
            _ => return Err(format!("{} multiplies a per-example value from the left", self.name(n))),
        })
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
        // A shared column with as many rows as the per-example side.
        let (ra, rc) = (self.rows(a), self.rows(c));
        let column = |s: Shape| s == Shape::Mat(ra, ONE) && ra == rc;
        match (op, ka, kc) {
            // A per-example column (or 1×1) and a shared column: a bias, along the batch.
            (Op::Add(..), Column | Scalar, Shared) if column(sc) => {
                Ok((self.g.intern(Op::AddBias(a, c), sa), ka))
            }
            (Op::Add(..), Shared, Column | Scalar) if column(sa) => {
                Ok((self.g.intern(Op::AddBias(c, a), sc), kc))
            }
            (Op::Sub(..), Column | Scalar, Shared) if column(sc) => {
                let neg = self.g.intern(Op::Neg(c), sc);
                Ok((self.g.intern(Op::AddBias(a, neg), sa), ka))
            }
            (Op::Sub(..), Shared, Column | Scalar) if column(sa) => {
                let neg = self.g.intern(Op::Neg(c), sc);
                Ok((self.g.intern(Op::AddBias(neg, a), sc), kc))
            }
            // A per-example column times a shared column: each row scaled.
            (Op::Mul(..), Column | Scalar, Shared) if column(sc) => {
                Ok((self.g.intern(Op::RowScale(a, c), sa), ka))
            }
            (Op::Mul(..), Shared, Column | Scalar) if column(sa) => {
                Ok((self.g.intern(Op::RowScale(c, a), sc), kc))
            }
            // A per-example scalar times a shared column: one outer product.
            (Op::Mul(..), Scalar, Shared) if matches!(sc, Shape::Mat(_, ONE)) => {
                Ok((self.g.intern(Op::MatMul(c, a), Shape::Mat(rc, self.batch)), Column))
            }
            (Op::Mul(..), Shared, Scalar) if matches!(sa, Shape::Mat(_, ONE)) => {
                Ok((self.g.intern(Op::MatMul(a, c), Shape::Mat(ra, self.batch)), Column))
            }
            // A per-example scalar times a per-example column: each column scaled.
            (Op::Mul(..), Column, Scalar) => Ok((self.g.intern(Op::ColScale(a, c), sa), Column)),
            (Op::Mul(..), Scalar, Column) => Ok((self.g.intern(Op::ColScale(c, a), sc), Column)),
            _ => Err(format!("{} combines a per-example value with a shared one elementwise", self.name(n))),
        }
    }
}
