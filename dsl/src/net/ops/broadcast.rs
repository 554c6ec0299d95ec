//! Broadcasts along one axis: a bias added to every column (`[R×B] + [R]`),
//! and the column and row scalings the batched graph is built from.

use proc_macro2::TokenStream;
use quote::quote;

use super::{EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, operand, rows};
use crate::net::model::{Attr, Graph, NodeId, ONE, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[&AddBias, &ColScale, &RowScale, &BroadcastCols];

/// `A + b𝟙ᵀ`: the column `b` added to every column of `A` (made by `+`'s rule).
struct AddBias;

impl OpDef for AddBias {
    fn code(&self) -> &'static str {
        "add_bias"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    // Y = A + b𝟙ᵀ: dA = dY, db = dY 𝟙 (the sum of each row).
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let (a, b) = (g.op(n).arg(0), g.op(n).arg(1));
        vec![(a, d), (b, g.mk(Op::new("sum_rows", &[d])))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        match args {
            &[(a, Kind::Shared), (b, Kind::Shared)] => {
                let s = cx.g().shape(a);
                Ok((cx.g().intern(Op::new("add_bias", &[a, b]), s), Kind::Shared))
            }
            _ => Err(format!("{} adds a bias to a per-example matrix", cx.name(n))),
        }
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let (p, a, b) = (place.tokens, cx.val(op.arg(0)), cx.val(op.arg(1)));
        quote!(#p.set_add_bias(#a, #b);)
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        // The column broadcasts over the batch's columns.
        Some(cx.call("Add", cx.g().op(n).operands()))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        (format!("{} + {}", cx.print(op.arg(0)).0, cx.print(op.arg(1)).0), Prec::Sum)
    }
}

/// `A diag(r)`: column `j` of `A` scaled by `r[j]`, for a `[1×B]` row `r`.
struct ColScale;

impl OpDef for ColScale {
    fn code(&self) -> &'static str {
        "col_scale"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    // Every column scaled by one scalar is the matrix scaled by it.
    fn simplify(&self, g: &mut Graph, op: &Op) -> Option<NodeId> {
        let r = g.op(op.arg(1));
        r.is("fill").then(|| g.mk(Op::new("mul", &[r.arg(0), op.arg(0)])))
    }

    // Y = A diag(r): dA = dY diag(r), dr = 𝟙ᵀ(dY ⊙ A).
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let (a, r) = (g.op(n).arg(0), g.op(n).arg(1));
        let da = g.mk(Op::new("col_scale", &[d, r]));
        let prod = g.mk(Op::new("mul", &[d, a]));
        let one = g.constant(1.0);
        let ones = g.mk(Op::with("fill", &[one], Attr::Dims(ONE, rows(g, a))));
        vec![(a, da), (r, g.mk(Op::new("matmul", &[ones, prod])))]
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let (p, a, r) = (place.tokens, cx.val(op.arg(0)), cx.val(op.arg(1)));
        quote!(#p.set_scale_cols(#a, #r);)
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        // A `[1×B]` row broadcasts over the rows.
        Some(cx.call("Mul", cx.g().op(n).operands()))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let a = operand(cx, op.arg(0), &[Prec::Post, Prec::Atom]);
        (format!("{a} diag({})", cx.print(op.arg(1)).0), Prec::MatMul)
    }
}

/// `diag(s) A`: row `i` of `A` scaled by `s[i]`, for a column `s`.
struct RowScale;

impl OpDef for RowScale {
    fn code(&self) -> &'static str {
        "row_scale"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    // Y = diag(s) A: dA = diag(s) dY, ds = rowsums(dY ⊙ A).
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let (a, s) = (g.op(n).arg(0), g.op(n).arg(1));
        let prod = g.mk(Op::new("mul", &[d, a]));
        vec![(a, g.mk(Op::new("row_scale", &[d, s]))), (s, g.mk(Op::new("sum_rows", &[prod])))]
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let (p, a, s) = (place.tokens, cx.val(op.arg(0)), cx.val(op.arg(1)));
        quote!(#p.set_scale_rows(#a, #s);)
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        // A column broadcasts over the columns.
        Some(cx.call("Mul", cx.g().op(n).operands()))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let a = operand(cx, op.arg(0), &[Prec::Post, Prec::Atom]);
        (format!("diag({}) {a}", cx.print(op.arg(1)).0), Prec::MatMul)
    }
}

/// `b𝟙ᵀ`: a shared column `b` as every column of `[R×B]`, `Attr::Dims(R, B)`
/// (a learned initial state of a loop, the same for every example).
struct BroadcastCols;

impl OpDef for BroadcastCols {
    fn code(&self) -> &'static str {
        "broadcast_cols"
    }

    fn infer(&self, _: &Graph, op: &Op) -> Shape {
        let (r, b) = op.dims();
        Shape::Mat(r, b)
    }

    // Y = b𝟙ᵀ: db = dY 𝟙, each row summed.
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        vec![(g.op(n).arg(0), g.mk(Op::new("sum_rows", &[d])))]
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, b) = (place.tokens, cx.val(cx.g().op(n).arg(0)));
        quote!(#p.set_broadcast_cols(#b);)
    }

    // The column itself, `[R×1]`: ONNX broadcasts it against the batch
    // wherever it meets one, and the batch size is not the exporter's to know.
    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let b = cx.v(cx.g().op(n).arg(0));
        Some(quote!(#b.clone()))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let b = operand(cx, cx.g().op(n).arg(0), &[Prec::Post, Prec::Atom]);
        let ones = if cx.latex() { "\\mathbf{1}^\\top" } else { "𝟙ᵀ" };
        (format!("{b}{ones}"), Prec::MatMul)
    }
}
