//! Rows picked by index: `E[w]`, an embedding lookup (`E: [V×M]`, `w` an
//! index in `0..V` declared `input w: V;` → row `w` as a column `[M]`), and
//! `scatter_row`, its adjoint, which puts a column into the row its index
//! picked (`∂E = onehot(w) ∂zᵀ`, a scatter-add over a batch); and slices,
//! `a[lo..hi]` with dim expressions as bounds (`a[H..2 * H]` of `[4·H]`),
//! whose adjoint `unslice` puts the gradient back into those rows. An
//! index of another dim than the rows', or a bound past the end, is a
//! compile error, so no pick is ever out of range at run time.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Call, Check, EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, operand};
use crate::net::check::SizeBound;
use crate::net::model::{Attr, Graph, NodeId, ONE, Op, Shape};
use crate::net::sizes::Lin;

pub(super) static OPS: &[&dyn OpDef] =
    &[&Gather, &ScatterRow, &GatherSeq, &ScatterSeq, &Slice, &Unslice, &Pick, &Unpick];

/// `E[w]`; batched, `E[ws]` with one column per example.
struct Gather;

impl OpDef for Gather {
    fn code(&self) -> &'static str {
        "gather"
    }

    // Rule: a matrix `[V×M]` indexed by an index in `0..V` gives `[M]`.
    fn check(&self, cx: &mut Check<'_>, call: &Call<'_>) -> Option<NodeId> {
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
            return cx.error(call.expr, msg);
        };
        let Shape::Mat(rows, m) = cx.g.shape(e) else {
            let msg = format!("`{te}[{tw}]` picks a row of a matrix, but `{te}` is a scalar");
            return cx.error(call.expr, msg);
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
            return cx.error(call.expr, msg);
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

/// `a[lo..hi]`: rows `lo` to `hi` of a vector (of a batch's columns),
/// `Attr::Dims(lo, hi)`; its operands' check reads the bounds from the two
/// `count` nodes (dim sizes) that `check` passes after `a`.
struct Slice;

impl OpDef for Slice {
    fn code(&self) -> &'static str {
        "slice"
    }

    // Rule: `a: [N]`, `0 ≤ lo < hi ≤ N` → `[hi − lo]`.
    fn check(&self, cx: &mut Check<'_>, call: &Call<'_>) -> Option<NodeId> {
        let a = call.nodes[0];
        let (lo, hi) = (cx.g.op(call.nodes[1]).dims().0, cx.g.op(call.nodes[2]).dims().0);
        let (ta, lt, ht) = (call.src(0), call.src(1), call.src(2));
        let Shape::Mat(n, ONE) = cx.g.shape(a) else {
            let msg = format!("`{ta}[{lt}..{ht}]` slices a vector, but `{ta}` is {}", cx.text(cx.g.shape(a)));
            return cx.error(call.expr, msg);
        };
        let (lo_l, hi_l, n_l) = (cx.g.lin(lo), cx.g.lin(hi), cx.g.lin(n));
        let len_l = hi_l.clone().plus(&lo_l, -1);
        let rest_l = n_l.plus(&hi_l, -1);
        let (hi_text, n_text) = (cx.dim_text(hi), cx.dim_text(n));
        let past_end = format!(
            "`{ta}[{lt}..{ht}]` ends at {hi_text}, past the end of `{ta}` [{n_text}]: a slice's end is at most the vector's size"
        );
        let empty = format!(
            "`{ta}[{lt}..{ht}]` is empty or reversed: its end {hi_text} must be past its start {}",
            cx.dim_text(lo)
        );
        // Each of `hi − lo − 1` and `n − hi` is at least 0: by the numbers,
        // by terms of one sign, or else through the compiler.
        let lo_plus_one = cx.g.linear(&lo_l.clone().plus(&Lin::number(1), 1));
        for (what, l, msg, (big, small)) in [
            ("slice_start", len_l.clone().plus(&Lin::number(1), -1), empty, (hi, lo_plus_one)),
            ("slice_end", rest_l, past_end, (n, hi)),
        ] {
            match l.value() {
                Some(v) if v < 0 => return cx.error(call.expr, msg),
                Some(_) => {}
                None if l.terms.values().all(|&c| c > 0) && l.konst >= 0 => {}
                None if l.terms.values().all(|&c| c < 0) && l.konst <= 0 => return cx.error(call.expr, msg),
                None => {
                    let (big, small) = (cx.g.dims[big].tokens.clone(), cx.g.dims[small].tokens.clone());
                    cx.require(call, what, msg, SizeBound::AtLeast(big, small));
                }
            }
        }
        let len = cx.g.linear(&len_l);
        Some(cx.g.intern(Op::with("slice", &[a], Attr::Dims(lo, hi)), Shape::Mat(len, ONE)))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let (lo, hi) = op.dims();
        let len = g.lin(hi).plus(&g.lin(lo), -1);
        let cols = match g.shape(op.arg(0)) {
            Shape::Mat(_, c) => c,
            _ => ONE,
        };
        // The length's dim exists: `check` made it.
        let len = (0..g.dims.len())
            .find(|&d| {
                let l = g.lin(d);
                l.terms == len.terms && l.konst == len.konst
            })
            .unwrap_or(ONE);
        Shape::Mat(len, cols)
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let a = g.op(n).arg(0);
        let (lo, _) = g.op(n).dims();
        let Shape::Mat(rows, _) = g.shape(a) else { return Vec::new() };
        vec![(a, g.mk(Op::with("unslice", &[d], Attr::Dims(lo, rows))))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let (a, kind) = args[0];
        let op = cx.src().op(n);
        let (Shape::Mat(len, _), b) = (cx.src().shape(n), cx.batch()) else { return Err("a slice".into()) };
        let cols = if kind == Kind::Shared { ONE } else { b };
        Ok((cx.g().intern(Op::with("slice", &[a], op.attr), Shape::Mat(len, cols)), kind))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, a, lo) = (place.tokens, cx.val(cx.g().op(n).arg(0)), offset(cx, cx.g().op(n).dims().0));
        quote!(#p.set_rows_from(#a, #lo);)
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let (lo, hi) = cx.g().op(n).dims();
        let a = cx.v(cx.g().op(n).arg(0));
        let bound = |d| if cx.g().value(d) == Some(0) { quote!(0usize) } else { cx.size(d) };
        let (lo, hi) = (bound(lo), bound(hi));
        Some(quote!(__g.slice_rows(&#a, #lo, #hi)))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let (lo, hi) = cx.g().op(n).dims();
        let a = operand(cx, cx.g().op(n).arg(0), &[Prec::Atom]);
        let (lo, hi) = (cx.dim_text(lo), cx.dim_text(hi));
        let s = if cx.latex() { format!("{a}_{{[{lo}:{hi}]}}") } else { format!("{a}[{lo}..{hi}]") };
        (s, Prec::Atom)
    }
}

/// The adjoint of a slice: `[N]` (or `[N×B]`), zero but the sliced rows,
/// `Attr::Dims(lo, N)`.
struct Unslice;

impl OpDef for Unslice {
    fn code(&self) -> &'static str {
        "unslice"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let cols = match g.shape(op.arg(0)) {
            Shape::Mat(_, c) => c,
            _ => ONE,
        };
        Shape::Mat(op.dims().1, cols)
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, d, lo) = (place.tokens, cx.val(cx.g().op(n).arg(0)), offset(cx, cx.g().op(n).dims().0));
        quote!(#p.set_rows_into(#d, #lo);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let (lo, rows) = cx.g().op(n).dims();
        let d = operand(cx, cx.g().op(n).arg(0), &[Prec::Atom, Prec::Post]);
        let (lo, rows) = (cx.dim_text(lo), cx.dim_text(rows));
        let s = if cx.latex() {
            format!("\\operatorname{{pad}}_{{{lo}}}^{{{rows}}}({d})")
        } else {
            format!("pad[{lo}; {rows}]({d})")
        };
        (s, Prec::Atom)
    }
}

/// A slice's first row as a `usize`: dim `lo`'s size (0 has no dim type).
fn offset(cx: &dyn EmitCx, lo: crate::net::model::DimId) -> TokenStream {
    if cx.g().value(lo) == Some(0) {
        return quote!(0usize);
    }
    let lo = cx.dim(lo);
    quote!(<#lo as ::shapegrad::Dim>::SIZE)
}

/// `x[k]` for a fixed step `k` (a dim expression: `x[0]`, `x[T - 1]`):
/// element `k` of a vector (a scalar), or row `k` of a matrix (`[C]`).
/// `Attr::Dims(k, ONE)`; `check` passes `k` as a `count` node.
struct Pick;

impl OpDef for Pick {
    fn code(&self) -> &'static str {
        "pick"
    }

    // Rule: `0 ≤ k < R` for `x: [R]` or `[R, C]`.
    fn check(&self, cx: &mut Check<'_>, call: &Call<'_>) -> Option<NodeId> {
        let (x, k) = (call.nodes[0], cx.g.op(call.nodes[1]).dims().0);
        let (tx, tk) = (call.src(0), call.src(1));
        let Shape::Mat(r, c) = cx.g.shape(x) else {
            return cx.error(
                call.expr,
                format!("`{tx}[{tk}]` picks a step of a vector or a matrix, but `{tx}` is a scalar"),
            );
        };
        // `r − k − 1 ≥ 0`: by the numbers, by terms of one sign, or else through the compiler.
        let room = cx.g.lin(r).plus(&cx.g.lin(k), -1).plus(&Lin::number(1), -1);
        let (rt, kt) = (cx.dim_text(r), cx.dim_text(k));
        let msg = format!(
            "`{tx}[{tk}]` picks step {kt} of `{tx}` {}, past its last step {rt} − 1",
            cx.text(cx.g.shape(x))
        );
        match room.value() {
            Some(v) if v < 0 => return cx.error(call.expr, msg),
            Some(_) => {}
            None if room.terms.values().all(|&c| c > 0) && room.konst >= 0 => {}
            None if room.terms.values().all(|&c| c < 0) && room.konst <= 0 => {
                return cx.error(call.expr, msg);
            }
            None => {
                let next = cx.g.linear(&cx.g.lin(k).plus(&Lin::number(1), 1));
                let (big, small) = (cx.g.dims[r].tokens.clone(), cx.g.dims[next].tokens.clone());
                cx.require(call, "pick", msg, SizeBound::AtLeast(big, small));
            }
        }
        let shape = if c == ONE { Shape::Scalar } else { Shape::Mat(c, ONE) };
        Some(cx.g.intern(Op::with("pick", &[x], Attr::Dims(k, ONE)), shape))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        match g.shape(op.arg(0)) {
            Shape::Mat(_, c) if c != ONE => Shape::Mat(c, ONE),
            _ => Shape::Scalar,
        }
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let x = g.op(n).arg(0);
        let (k, _) = g.op(n).dims();
        vec![(x, g.mk(Op::with("unpick", &[d, x], Attr::Dims(k, ONE))))]
    }

    // A step of a per-example vector is a per-example scalar: row `k` of the
    // batch, a slice; a step of a shared value is shared.
    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let (x, kind) = args[0];
        let op = cx.src().op(n);
        let (k, _) = op.dims();
        match kind {
            Kind::Shared => {
                let shape = cx.src().shape(n);
                Ok((cx.g().intern(Op::with("pick", &[x], op.attr), shape), Kind::Shared))
            }
            // Step 0 of a per-example 1×1 (a `[1×B]` row already) is itself.
            Kind::Scalar => Ok((x, Kind::Scalar)),
            Kind::Column if cx.src().shape(n) == Shape::Scalar => {
                let b = cx.batch();
                let hi = {
                    let g = cx.g();
                    let next = g.lin(k).plus(&Lin::number(1), 1);
                    g.linear(&next)
                };
                Ok((
                    cx.g().intern(Op::with("slice", &[x], Attr::Dims(k, hi)), Shape::Mat(ONE, b)),
                    Kind::Scalar,
                ))
            }
            _ => Err(format!(
                "{} picks a step of a per-example matrix, which has no batched form yet",
                cx.name(n)
            )),
        }
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, x, k) = (place.tokens, cx.val(cx.g().op(n).arg(0)), offset(cx, cx.g().op(n).dims().0));
        quote!(#p.set_row_at(#x, #k);)
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let (x, k) = (cx.val(cx.g().op(n).arg(0)), offset(cx, cx.g().op(n).dims().0));
        quote!((#x)[(#k, 0)])
    }

    // A step of a shared value: its row, as a column.
    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let (k, _) = cx.g().op(n).dims();
        let k = if cx.g().value(k) == Some(0) { quote!(0usize) } else { cx.size(k) };
        let x = cx.v(cx.g().op(n).arg(0));
        Some(quote!({
            let __row = __g.slice_rows(&#x, #k, #k + 1);
            __g.transpose(&__row)
        }))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let x = operand(cx, cx.g().op(n).arg(0), &[Prec::Atom]);
        let k = cx.dim_text(cx.g().op(n).dims().0);
        let s = if cx.latex() { format!("{x}_{{[{k}]}}") } else { format!("{x}[{k}]") };
        (s, Prec::Atom)
    }
}

/// The adjoint of `x[k]`: zero of `x`'s shape but step `k`, which is `d`.
/// Operands `[d, x]` (`x` for its shape only).
struct Unpick;

impl OpDef for Unpick {
    fn code(&self) -> &'static str {
        "unpick"
    }

    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        vec![cx.g().op(n).arg(0)]
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(1))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let d = cx.g().op(n).arg(0);
        let (p, k) = (place.tokens, offset(cx, cx.g().op(n).dims().0));
        if cx.g().shape(d) == Shape::Scalar {
            let d = cx.val(d);
            return quote!(#p.set_unpick_element(#d, #k););
        }
        let d = cx.val(d);
        quote!(#p.set_unpick_row(#d, #k);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let d = operand(cx, cx.g().op(n).arg(0), &[Prec::Atom, Prec::Post]);
        let k = cx.dim_text(cx.g().op(n).dims().0);
        let s = if cx.latex() { format!("e_{{{k}}}\\,{d}") } else { format!("e_{k} {d}") };
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
