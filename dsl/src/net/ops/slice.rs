//! Rows picked by dims: slices `a[lo..hi]` with dim expressions as bounds
//! (`a[H..2 * H]` of `[4·H]`), whose adjoint `unslice` puts the gradient
//! back into those rows, and fixed steps `x[k]` (`x[0]`, `x[T - 1]`), whose
//! adjoint `unpick` puts it back into that step. A bound or a step past the
//! end is a compile error in the user's dims.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Call, Check, EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, operand};
use crate::net::model::SizeBound;
use crate::net::model::{Attr, Graph, NodeId, ONE, Op, Shape};
use crate::net::sizes::Lin;

pub(super) static OPS: &[&dyn OpDef] = &[&Slice, &Unslice, &Pick, &Unpick];

/// `a[lo..hi]`: rows `lo` to `hi` of a vector (of a batch's columns),
/// `Attr::Dims(lo, hi)`; its operands' check reads the bounds from the two
/// `count` nodes (dim sizes) that `check` passes after `a`.
struct Slice;

impl OpDef for Slice {
    fn code(&self) -> &'static str {
        "slice"
    }

    // Rule: `a: [N]`, `0 ≤ lo < hi ≤ N` → `[hi − lo]`.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let a = call.nodes[0];
        let (lo, hi) = (cx.g.op(call.nodes[1]).dims().0, cx.g.op(call.nodes[2]).dims().0);
        let (ta, lt, ht) = (call.src(0), call.src(1), call.src(2));
        let Shape::Mat(n, ONE) = cx.g.shape(a) else {
            let msg = format!("`{ta}[{lt}..{ht}]` slices a vector, but `{ta}` is {}", cx.text(cx.g.shape(a)));
            return cx.error(&call.expr, msg);
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
                Some(v) if v < 0 => return cx.error(&call.expr, msg),
                Some(_) => {}
                None if l.terms.values().all(|&c| c > 0) && l.konst >= 0 => {}
                None if l.terms.values().all(|&c| c < 0) && l.konst <= 0 => return cx.error(&call.expr, msg),
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
pub fn offset(cx: &dyn EmitCx, lo: crate::net::model::DimId) -> TokenStream {
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
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let (x, k) = (call.nodes[0], cx.g.op(call.nodes[1]).dims().0);
        let (tx, tk) = (call.src(0), call.src(1));
        let Shape::Mat(r, c) = cx.g.shape(x) else {
            return cx.error(
                &call.expr,
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
            Some(v) if v < 0 => return cx.error(&call.expr, msg),
            Some(_) => {}
            None if room.terms.values().all(|&c| c > 0) && room.konst >= 0 => {}
            None if room.terms.values().all(|&c| c < 0) && room.konst <= 0 => {
                return cx.error(&call.expr, msg);
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
            // Step `k` of a batch of sequences (`T` blocks of `[R×B]`): block `k`,
            // the rows `k·R ..` of the batch.
            Kind::Seq => {
                let Shape::Mat(tr, b) = cx.g().shape(x) else { return Err("a step of no sequence".into()) };
                let Some(&[_, r]) = cx.g().parts(tr) else { return Err("a step of no sequence".into()) };
                let g = cx.g();
                let lo = if g.value(k) == Some(0) { k } else { g.product(&[k, r]) };
                let hi = {
                    let end = g.lin(lo).plus(&g.lin(r), 1);
                    g.linear(&end)
                };
                Ok((g.intern(Op::with("slice", &[x], Attr::Dims(lo, hi)), Shape::Mat(r, b)), Kind::Column))
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
