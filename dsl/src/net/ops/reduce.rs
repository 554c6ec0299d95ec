//! Reductions: `sum`, `mean`, `dot` (a sum of a product), `sum_rows` and
//! `sum_cols`, and the ops their VJPs and batched forms are built from:
//! `fill` (a scalar broadcast to a shape), `count` (a shape's number of
//! elements).

use proc_macro2::TokenStream;
use quote::quote;

use super::{Call, Check, EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, Signature};
use super::{call, def, fill, ones_row, operand, rows};
use crate::net::model::{Attr, Graph, NodeId, ONE, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] =
    &[&Reduce("sum"), &Reduce("mean"), &Dot, &Fill, &Count, &SumAxis("sum_rows"), &SumAxis("sum_cols")];

/// `sum(x)` and `mean(x)`: a scalar.
struct Reduce(&'static str);

impl Reduce {
    /// `sum(a ⊙ b)` where the product is read nowhere else: one inner product.
    fn fused_inner(cx: &dyn EmitCx, n: NodeId) -> Option<(NodeId, NodeId)> {
        let g = cx.g();
        let (op, x) = (g.op(n), g.op(n).arg(0));
        let &[a, b] = g.op(x).operands() else { return None };
        let mats = matches!(g.shape(a), Shape::Mat(..)) && g.shape(a) == g.shape(b);
        let fused = [(b, a), (a, b)].into_iter().any(|(f, d)| def(g.op(f).code).times(cx, f, d).is_some());
        (op.is("sum") && g.op(x).is("mul") && mats && cx.private(x) && !fused).then_some((a, b))
    }
}

impl OpDef for Reduce {
    fn code(&self) -> &'static str {
        self.0
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 1, label_last: false })
    }

    // Rule: reductions give a scalar; a scalar is its own sum and mean.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let x = call.nodes[0];
        if cx.g.shape(x) == Shape::Scalar {
            return Some(x);
        }
        Some(cx.g.intern(Op::new(self.0, &[x]), Shape::Scalar))
    }

    fn infer(&self, _: &Graph, _: &Op) -> Shape {
        Shape::Scalar
    }

    // sum(onehot(y)) = 1.
    fn simplify(&self, g: &mut Graph, op: &Op) -> Option<NodeId> {
        (self.0 == "sum" && g.op(op.arg(0)).is("onehot")).then(|| g.constant(1.0))
    }

    // y = Σ A: dA = dy 𝟙𝟙ᵀ; y = mean A: dA = dy/n 𝟙𝟙ᵀ.
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let a = g.op(n).arg(0);
        if self.0 == "sum" {
            return vec![(a, fill(g, d, a))];
        }
        let Shape::Mat(r, c) = g.shape(a) else { return vec![(a, d)] };
        let count = g.mk(Op::with("count", &[], Attr::Dims(r, c)));
        let s = g.mk(Op::new("div", &[d, count]));
        vec![(a, fill(g, s, a))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let b = cx.batch();
        let shape = cx.src().shape(n);
        let g = cx.g();
        match args[0] {
            (a, Kind::Shared) => Ok((g.intern(Op::new(self.0, &[a]), shape), Kind::Shared)),
            // The sum or mean of a per-example 1×1 is itself.
            (a, Kind::Scalar) => Ok((a, Kind::Scalar)),
            // The column sums: 𝟙ᵀ A.
            (a, Kind::Column | Kind::Row) => {
                let r = rows(g, a);
                let ones = ones_row(g, r);
                let sums = g.intern(Op::new("matmul", &[ones, a]), Shape::Mat(ONE, b));
                if self.0 == "sum" {
                    return Ok((sums, Kind::Scalar));
                }
                let one = g.constant(1.0);
                let count = g.intern(Op::with("count", &[], Attr::Dims(r, ONE)), Shape::Scalar);
                let inv = g.intern(Op::new("div", &[one, count]), Shape::Scalar);
                Ok((g.intern(Op::new("mul", &[inv, sums]), Shape::Mat(ONE, b)), Kind::Scalar))
            }
            _ => Err(format!("{} reduces a label", cx.name(n))),
        }
    }

    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        match Self::fused_inner(cx, n) {
            Some((a, b)) => vec![a, b],
            None => cx.g().op(n).operands().to_vec(),
        }
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        if let Some((a, b)) = Self::fused_inner(cx, n) {
            let (a, b) = (cx.val(a), cx.val(b));
            return quote!((#a).inner(#b));
        }
        let a = cx.val(cx.g().op(n).arg(0));
        if self.0 == "sum" { quote!((#a).sum()) } else { quote!((#a).mean()) }
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let latex = if self.0 == "sum" { "\\operatorname{sum}" } else { "\\operatorname{mean}" };
        call(cx, self.0, latex, &[cx.g().op(n).arg(0)])
    }
}

/// `dot(a, b)`: `sum(a * b)` for two vectors of one length.
struct Dot;

impl OpDef for Dot {
    fn code(&self) -> &'static str {
        "dot"
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 2, label_last: false })
    }

    // Rule: `dot` takes two vectors of one length.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let (x, y) = (call.nodes[0], call.nodes[1]);
        let (sx, sy) = (cx.g.shape(x), cx.g.shape(y));
        match (sx, sy) {
            (Shape::Mat(n, ONE), Shape::Mat(n2, ONE)) if n == n2 => {
                let p = cx.g.intern(Op::new("mul", &[x, y]), sx);
                Some(cx.g.intern(Op::new("sum", &[p]), Shape::Scalar))
            }
            _ => {
                let msg = format!(
                    "`dot` needs two vectors of one length, but `{}` is {} and `{}` is {}",
                    call.src(0),
                    cx.text(sx),
                    call.src(1),
                    cx.text(sy)
                );
                cx.error(&call.expr, msg)
            }
        }
    }

    fn guess(&self, _: &Graph, _: &[NodeId]) -> Option<Shape> {
        Some(Shape::Scalar)
    }

    // Never a node: `check` builds `sum(a * b)`.
    fn infer(&self, _: &Graph, _: &Op) -> Shape {
        Shape::Scalar
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, "dot", "\\operatorname{dot}", cx.g().op(n).operands())
    }
}

/// The scalar `s` broadcast to `[R×C]`.
struct Fill;

impl OpDef for Fill {
    fn code(&self) -> &'static str {
        "fill"
    }

    // A 1×1 fill is s times the 1×1 identity.
    fn scaled_identity(&self, g: &Graph, n: NodeId) -> Option<NodeId> {
        let op = g.op(n);
        (op.dims() == (ONE, ONE)).then(|| op.arg(0))
    }

    fn infer(&self, _: &Graph, op: &Op) -> Shape {
        let (r, c) = op.dims();
        Shape::Mat(r, c)
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, s) = (place.tokens, cx.val(cx.g().op(n).arg(0)));
        quote!(#p.set_fill(#s);)
    }

    // A fill of fixed dims (never the batch's, which ONNX leaves open): the
    // scalar times a constant of ones.
    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let (r, c) = cx.g().op(n).dims();
        let (r, c, s) = (cx.size(r), cx.size(c), cx.v(cx.g().op(n).arg(0)));
        Some(quote!({
            let __ones = __g.constant(&[#r, #c], ::std::iter::repeat_n(1.0f32, #r * #c));
            __g.op("Mul", &[&__ones, &#s], ::std::vec::Vec::new())
        }))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        // A row of ones is the transpose of the column 𝟙.
        let row = matches!(cx.g().op(n).dims(), (ONE, c) if c != ONE);
        let one = match (cx.latex(), row) {
            (false, false) => "𝟙",
            (false, true) => "𝟙ᵀ",
            (true, false) => "\\mathbf{1}",
            (true, true) => "\\mathbf{1}^\\top",
        };
        let s = cx.g().op(n).arg(0);
        if cx.g().op(s).constant() == Some(1.0) {
            return (one.to_string(), Prec::Atom);
        }
        (format!("{} {one}", operand(cx, s, &[Prec::Ratio, Prec::Post, Prec::Atom])), Prec::Scale)
    }
}

/// The number of elements of an `[R×C]` value, as a scalar.
struct Count;

impl OpDef for Count {
    fn code(&self) -> &'static str {
        "count"
    }

    fn infer(&self, _: &Graph, _: &Op) -> Shape {
        Shape::Scalar
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let (r, c) = cx.g().op(n).dims();
        let (r, c, s) = (cx.dim(r), cx.dim(c), cx.scalar());
        quote!(<#s as ::shapegrad::Scalar>::from_usize(<#r as ::shapegrad::Dim>::SIZE * <#c as ::shapegrad::Dim>::SIZE))
    }

    // A dim's size written in an expression (`sum(x) / D`) is the same for
    // every example.
    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, _: &[Lifted]) -> Result<Lifted, String> {
        let op = cx.src().op(n);
        Ok((cx.g().intern(op, Shape::Scalar), Kind::Shared))
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let (r, c) = cx.g().op(n).dims();
        let (r, c) = (cx.size(r), cx.size(c));
        Some(quote!(__g.constant(&[1, 1], [(#r * #c) as f32])))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let (r, c) = cx.g().op(n).dims();
        let dims: Vec<String> = [r, c].into_iter().filter(|&d| d != ONE).map(|d| cx.dim_text(d)).collect();
        let s =
            if dims.is_empty() { "1".to_string() } else { dims.join(if cx.latex() { " " } else { "·" }) };
        (s, if dims.len() > 1 { Prec::Scale } else { Prec::Atom })
    }
}

/// `sum_rows(A)`: the sum of each row, `[R×C] → [R]` (`A 𝟙`); and
/// `sum_cols(A)`: the sum of each column, `[R×C] → [C]` (`Aᵀ𝟙`).
struct SumAxis(&'static str);

impl SumAxis {
    fn rows(&self) -> bool {
        self.0 == "sum_rows"
    }
}

impl OpDef for SumAxis {
    fn code(&self) -> &'static str {
        self.0
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 1, label_last: false })
    }

    // Rule: a vector or a matrix; the result is a column.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let a = call.nodes[0];
        let Shape::Mat(r, c) = cx.g.shape(a) else {
            let msg = format!("`{}` needs a vector or a matrix, but `{}` is a scalar", self.0, call.src(0));
            return cx.error(&call.expr, msg);
        };
        let n = if self.rows() { r } else { c };
        Some(cx.g.intern(Op::new(self.0, &[a]), Shape::Mat(n, ONE)))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        match g.shape(op.arg(0)) {
            Shape::Mat(r, c) => Shape::Mat(if self.rows() { r } else { c }, ONE),
            other => other,
        }
    }

    // y = A 𝟙: dA = dy 𝟙ᵀ; y = Aᵀ𝟙: dA = 𝟙 dyᵀ.
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let a = g.op(n).arg(0);
        let Shape::Mat(r, c) = g.shape(a) else { return Vec::new() };
        let one = g.constant(1.0);
        let da = if self.rows() {
            let ones = g.mk(Op::with("fill", &[one], Attr::Dims(ONE, c)));
            Op::new("matmul", &[d, ones])
        } else {
            let ones = g.mk(Op::with("fill", &[one], Attr::Dims(r, ONE)));
            let dt = g.mk(Op::new("transpose", &[d]));
            Op::new("matmul", &[ones, dt])
        };
        vec![(a, g.mk(da))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let (b, shape) = (cx.batch(), cx.src().shape(n));
        let g = cx.g();
        match args[0] {
            (a, Kind::Shared) => Ok((g.intern(Op::new(self.0, &[a]), shape), Kind::Shared)),
            // A per-example column is its own row sums, a 1×1 its own sums.
            (a, kind @ Kind::Scalar) => Ok((a, kind)),
            (a, Kind::Column) if self.rows() => Ok((a, Kind::Column)),
            // The column sums of a column: one sum per example.
            (a, Kind::Column) => {
                let ones = ones_row(g, rows(g, a));
                Ok((g.intern(Op::new("matmul", &[ones, a]), Shape::Mat(ONE, b)), Kind::Scalar))
            }
            _ => Err(format!("{} sums a per-example row", cx.name(n))),
        }
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, a) = (place.tokens, cx.val(cx.g().op(n).arg(0)));
        if self.rows() { quote!(#p.set_row_sums(#a);) } else { quote!(#p.set_sum_cols(#a);) }
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let latex = if self.rows() { "\\operatorname{sum\\_rows}" } else { "\\operatorname{sum\\_cols}" };
        call(cx, self.0, latex, &[cx.g().op(n).arg(0)])
    }
}
