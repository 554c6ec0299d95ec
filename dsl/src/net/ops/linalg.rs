//! Norms and traces: `norm(x)` per column with `unit` (its gradient), and
//! `trace(A)` with `eye` (`s I`, its gradient).

use proc_macro2::TokenStream;
use quote::quote;

use super::{Call, Check, EmitCx, Kind, LiftCx, Lifted, OpDef, Place, Prec, PrintCx, Signature};
use super::{call, check_per_column, lift_per_column, operand, per_column, per_column_vjp, rows};
use crate::net::model::{Attr, Graph, NodeId, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[&Norm, &Unit, &Trace, &Eye];

/// `norm(x)`: the Euclidean norm of each column; `[N]` → a scalar,
/// `[R×C]` → `[1×C]`. Its gradient `x/‖x‖` is taken as 0 at `x = 0`.
struct Norm;

impl OpDef for Norm {
    fn code(&self) -> &'static str {
        "norm"
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 1, label_last: false })
    }

    // Rule: one value per column of a vector or matrix.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        check_per_column(cx, call, "norm")
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let s = g.shape(op.arg(0));
        per_column(s).unwrap_or(s)
    }

    // y = ‖x‖ per column: dx = (x/‖x‖) dy.
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let x = g.op(n).arg(0);
        let u = g.mk(Op::new("unit", &[x, n]));
        vec![(x, per_column_vjp(g, u, d))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        lift_per_column(cx, n, args, "norm")
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, a) = (place.tokens, cx.val(cx.g().op(n).arg(0)));
        quote!(#p.set_norm_cols(#a);)
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let a = cx.val(cx.g().op(n).arg(0));
        quote!((#a).norm())
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let x = cx.print(cx.g().op(n).arg(0)).0;
        (if cx.latex() { format!("\\lVert {x} \\rVert") } else { format!("‖{x}‖") }, Prec::Atom)
    }
}

/// `x/‖x‖` given `x` and its norm (per column), 0 where the norm is 0.
struct Unit;

impl OpDef for Unit {
    fn code(&self) -> &'static str {
        "unit"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let f =
            if cx.g().shape(op.arg(1)) == Shape::Scalar { quote!(set_unit) } else { quote!(set_unit_cols) };
        let (p, x, norm) = (place.tokens, cx.val(op.arg(0)), cx.val(op.arg(1)));
        quote!(#p.#f(#x, #norm);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let (x, norm) = (op.arg(0), op.arg(1));
        if cx.latex() {
            (format!("\\frac{{{}}}{{{}}}", cx.print(x).0, cx.print(norm).0), Prec::Atom)
        } else {
            let ok = [Prec::Post, Prec::Atom];
            (format!("{}/{}", operand(cx, x, &ok), operand(cx, norm, &ok)), Prec::Ratio)
        }
    }
}

/// `trace(A)`: Σᵢ Aᵢᵢ of a square `[N×N]`.
struct Trace;

impl OpDef for Trace {
    fn code(&self) -> &'static str {
        "trace"
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 1, label_last: false })
    }

    // Rule: a square matrix, `[N×N]` (the same dim twice).
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let a = call.nodes[0];
        match cx.g.shape(a) {
            Shape::Mat(r, c) if r == c => Some(cx.g.intern(Op::new("trace", &[a]), Shape::Scalar)),
            s => {
                let msg =
                    format!("`trace` needs a square matrix [N×N], but `{}` is {}", call.src(0), cx.text(s));
                cx.error(&call.expr, msg)
            }
        }
    }

    fn guess(&self, _: &Graph, _: &[NodeId]) -> Option<Shape> {
        Some(Shape::Scalar)
    }

    fn infer(&self, _: &Graph, _: &Op) -> Shape {
        Shape::Scalar
    }

    // y = trace(A): dA = dy I.
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let a = g.op(n).arg(0);
        let r = rows(g, a);
        vec![(a, g.mk(Op::with("eye", &[d], Attr::Dims(r, r))))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        match args[0] {
            (a, Kind::Shared) => Ok((cx.g().intern(Op::new("trace", &[a]), Shape::Scalar), Kind::Shared)),
            // The trace of a per-example 1×1 is itself.
            (a, Kind::Scalar) => Ok((a, Kind::Scalar)),
            _ => Err(format!("{} is the trace of a per-example matrix", cx.name(n))),
        }
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let a = cx.val(cx.g().op(n).arg(0));
        quote!((#a).trace())
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, "trace", "\\operatorname{tr}", &[cx.g().op(n).arg(0)])
    }
}

/// `s I`: the scalar `s` on the diagonal of an `[N×N]`.
struct Eye;

impl OpDef for Eye {
    fn code(&self) -> &'static str {
        "eye"
    }

    fn scaled_identity(&self, g: &Graph, n: NodeId) -> Option<NodeId> {
        Some(g.op(n).arg(0))
    }

    fn infer(&self, _: &Graph, op: &Op) -> Shape {
        let (r, c) = op.dims();
        Shape::Mat(r, c)
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, s) = (place.tokens, cx.val(cx.g().op(n).arg(0)));
        quote!(#p.set_eye(#s);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let s = cx.g().op(n).arg(0);
        let i = "I";
        if cx.g().op(s).constant() == Some(1.0) {
            return (i.to_string(), Prec::Atom);
        }
        let sep = if cx.latex() { "\\," } else { " " };
        (format!("{}{sep}{i}", operand(cx, s, &[Prec::Ratio, Prec::Post, Prec::Atom])), Prec::Scale)
    }
}
