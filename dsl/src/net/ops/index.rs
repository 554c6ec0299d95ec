//! Rows picked by index: `E[w]`, an embedding lookup (`E: [V×M]`, `w` an
//! index in `0..V` declared `input w: V;` → row `w` as a column `[M]`), and
//! `scatter_row`, its adjoint, which puts a column into the row its index
//! picked (`∂E = onehot(w) ∂zᵀ`, a scatter-add over a batch); `E[ws]` for a
//! sequence of indices. An index of another dim than the rows' is a
//! compile error, so no pick is ever out of range at run time. (Slices and
//! fixed steps, indexed by dims rather than by index inputs: `slice`.)

use proc_macro2::TokenStream;
use quote::quote;

use super::{Call, Check, EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, operand};
use crate::net::model::{Attr, Graph, NodeId, ONE, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[&Gather, &ScatterRow, &GatherSeq, &ScatterSeq];

/// `E[w]`; batched, `E[ws]` with one column per example.
struct Gather;

impl OpDef for Gather {
    fn code(&self) -> &'static str {
        "gather"
    }

    // Rule: a matrix `[V×M]` indexed by an index in `0..V` gives `[M]`.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let (e, w) = (call.nodes[0], call.nodes[1]);
        let (te, tw) = (call.src(0), call.src(1));
        // `E[ws]` for a sequence `ws: [T] of V`: row `t` is `E[ws[t]]`.
        if let (Shape::Labels(v, t), Shape::Mat(rows, m)) = (cx.g.shape(w), cx.g.shape(e))
            && rows == v
            && m != ONE
        {
            return Some(cx.g.intern(Op::new("gather_seq", &[e, w]), Shape::Mat(t, m)));
        }
        let (Shape::Label(v) | Shape::Labels(v, _)) = cx.g.shape(w) else {
            let msg = format!(
                "`{te}[{tw}]` picks a row by an index (declared `input {tw}: V;`), but `{tw}` is {}",
                cx.text(cx.g.shape(w))
            );
            return cx.error(&call.expr, msg);
        };
        let Shape::Mat(rows, m) = cx.g.shape(e) else {
            let msg = format!("`{te}[{tw}]` picks a row of a matrix, but `{te}` is a scalar");
            return cx.error(&call.expr, msg);
        };
        if m == ONE || rows != v {
            let (vt, se) = (cx.dim_text(v), cx.text(cx.g.shape(e)));
            let msg = if m == ONE {
                format!("`{te}[{tw}]` picks a row of a matrix, but `{te}` is a vector {se}")
            } else {
                format!(
                    "cannot pick a row of `{te}` {se} by `{tw}`, an index in 0..{vt}: the rows of `{te}` are {}; `{tw}` picks rows of a [{vt}×…] matrix",
                    cx.dim_text(rows)
                )
            };
            return cx.error(&call.expr, msg);
        }
        Some(cx.g.intern(Op::new("gather", &[e, w]), Shape::Mat(m, ONE)))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let m = match g.shape(op.arg(0)) {
            Shape::Mat(_, m) => m,
            _ => ONE,
        };
        match g.shape(op.arg(1)) {
            Shape::Labels(_, b) => Shape::Mat(m, b),
            _ => Shape::Mat(m, ONE),
        }
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let (e, w) = (g.op(n).arg(0), g.op(n).arg(1));
        let Shape::Mat(v, m) = g.shape(e) else { return Vec::new() };
        vec![(e, g.mk(Op::with("scatter_row", &[d, w], Attr::Dims(v, m))))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        match (args[0], args[1]) {
            ((e, Kind::Shared), (ws, Kind::Label)) => {
                let Shape::Mat(_, m) = cx.g().shape(e) else { return Err("a lookup".into()) };
                let b = cx.batch();
                Ok((cx.g().intern(Op::new("gather", &[e, ws]), Shape::Mat(m, b)), Kind::Column))
            }
            ((e, Kind::Shared), (w, Kind::Shared)) => {
                let s = cx.src().shape(n);
                Ok((cx.g().intern(Op::new("gather", &[e, w]), s), Kind::Shared))
            }
            _ => Err(format!("{} picks rows of a value that is not shared by every example", cx.name(n))),
        }
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (e, w) = (cx.g().op(n).arg(0), cx.g().op(n).arg(1));
        let f = if matches!(cx.g().shape(w), Shape::Labels(..)) {
            quote!(set_rows_of)
        } else {
            quote!(set_row_of)
        };
        let (p, e, w) = (place.tokens, cx.val(e), cx.val(w));
        quote!(#p.#f(#e, #w);)
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let (e, w) = (cx.v(cx.g().op(n).arg(0)), cx.v(cx.g().op(n).arg(1)));
        Some(quote!(__g.gather_rows(&#e, &#w)))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let (e, w) = (cx.g().op(n).arg(0), cx.g().op(n).arg(1));
        let e = operand(cx, e, &[Prec::Atom]);
        let w = cx.print(w).0;
        let s = if cx.latex() { format!("{e}_{{[{w}]}}") } else { format!("{e}[{w}]") };
        (s, Prec::Atom)
    }
}

/// `onehot(w) dᵀ`: the adjoint of `E[w]` with respect to `E`, a `[V×M]`
/// zero but row `w`; over a batch, each column added into its row.
struct ScatterRow;

impl OpDef for ScatterRow {
    fn code(&self) -> &'static str {
        "scatter_row"
    }

    fn infer(&self, _: &Graph, op: &Op) -> Shape {
        let (v, m) = op.dims();
        Shape::Mat(v, m)
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (d, w) = (cx.g().op(n).arg(0), cx.g().op(n).arg(1));
        let f = if matches!(cx.g().shape(w), Shape::Labels(..)) {
            quote!(set_scatter_rows)
        } else {
            quote!(set_scatter_row)
        };
        let (p, d, w) = (place.tokens, cx.val(d), cx.val(w));
        quote!(#p.#f(#d, #w);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let (d, w) = (cx.g().op(n).arg(0), cx.g().op(n).arg(1));
        let d = operand(cx, d, &[Prec::Atom, Prec::Post]);
        let w = cx.print(w).0;
        let s = if cx.latex() {
            format!("\\operatorname{{onehot}}({w})\\,{d}^\\top")
        } else {
            format!("onehot({w}) {d}ᵀ")
        };
        (s, Prec::Scale)
    }
}

/// `E[ws]` for a sequence of indices `ws: [T] of V` (`Classes<V, T>`): the
/// `[T×M]` matrix whose row `t` is `E[ws[t]]`, one example's token
/// embeddings. Per example only, for now: a batch of them is a batch of
/// matrices.
struct GatherSeq;

impl OpDef for GatherSeq {
    fn code(&self) -> &'static str {
        "gather_seq"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        match (g.shape(op.arg(0)), g.shape(op.arg(1))) {
            (Shape::Mat(_, m), Shape::Labels(_, t)) => Shape::Mat(t, m),
            _ => Shape::Scalar,
        }
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let (e, ws) = (g.op(n).arg(0), g.op(n).arg(1));
        let Shape::Mat(v, m) = g.shape(e) else { return Vec::new() };
        vec![(e, g.mk(Op::with("scatter_seq", &[d, ws], Attr::Dims(v, m))))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, _: &[Lifted]) -> Result<Lifted, String> {
        Err(format!(
            "{} looks up a sequence of tokens, a per-example matrix, which has no batched form yet",
            cx.name(n)
        ))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (e, ws) = (cx.val(cx.g().op(n).arg(0)), cx.val(cx.g().op(n).arg(1)));
        let p = place.tokens;
        quote!(#p.set_seq_rows_of(#e, #ws);)
    }

    /// `E[ws]` of one example: rows `ws` (`int64` `[T]`) of `E`, `[T, M]` as they are.
    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let (e, w) = (cx.v(cx.g().op(n).arg(0)), cx.v(cx.g().op(n).arg(1)));
        Some(quote!(__g.op("Gather", &[&#e, &#w], vec![::shapegrad::onnx::Attr::Int("axis", 0)])))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        Gather.print(cx, n)
    }
}

/// The adjoint of `E[ws]`: `Σ_t onehot(ws[t]) ∂X[t]ᵀ`, each row of `∂X`
/// added into the row its token picked.
struct ScatterSeq;

impl OpDef for ScatterSeq {
    fn code(&self) -> &'static str {
        "scatter_seq"
    }

    fn infer(&self, _: &Graph, op: &Op) -> Shape {
        let (v, m) = op.dims();
        Shape::Mat(v, m)
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (d, ws) = (cx.val(cx.g().op(n).arg(0)), cx.val(cx.g().op(n).arg(1)));
        let p = place.tokens;
        quote!(#p.set_scatter_seq(#d, #ws);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let (d, ws) = (cx.g().op(n).arg(0), cx.g().op(n).arg(1));
        let d = operand(cx, d, &[Prec::Atom, Prec::Post]);
        let ws = cx.print(ws).0;
        let s = if cx.latex() {
            format!("\\operatorname{{onehot}}({ws})^\\top {d}")
        } else {
            format!("onehot({ws})ᵀ {d}")
        };
        (s, Prec::Scale)
    }
}
