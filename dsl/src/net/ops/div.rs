//! Division: `a / b` elementwise on equal shapes, or with a scalar on either
//! side (broadcast), with the gradient of both sides.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Call, Check, EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx};
use super::{first_non_scalar, lift_as_written, operand, pair_rule, pair_shape, rows, scalar_side};
use crate::net::model::{Graph, NodeId, ONE, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[&Div];

/// `a / b`.
struct Div;

fn is_scalar(g: &Graph, n: NodeId) -> bool {
    g.shape(n) == Shape::Scalar
}

impl OpDef for Div {
    fn code(&self) -> &'static str {
        "div"
    }

    fn elementwise(&self) -> bool {
        true
    }

    fn operator(&self) -> Option<&'static str> {
        Some("/")
    }

    // Rule: `/` divides equal shapes elementwise; a scalar side is broadcast.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        // Rule: a vector goes along the axis its dim names (`X / s`).
        if let Some(found) = pair_rule(cx, call, ("div", "/"), true, &mut |_, _| None) {
            return found;
        }
        let (sa, sb) = (cx.g.shape(call.nodes[0]), cx.g.shape(call.nodes[1]));
        let differ = cx.differ(sa, sb);
        let msg = format!(
            "cannot divide `{}` {} by `{}` {} elementwise: {differ}; `/` takes equal shapes or a scalar side",
            call.src(0),
            cx.text(sa),
            call.src(1),
            cx.text(sb)
        );
        cx.error(&call.expr, msg)
    }

    fn guess(&self, g: &Graph, nodes: &[NodeId]) -> Option<Shape> {
        first_non_scalar(g, nodes)
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        pair_shape(g, op.arg(0), op.arg(1))
    }

    // x / c = (1/c)·x for a constant c.
    fn simplify(&self, g: &mut Graph, op: &Op) -> Option<NodeId> {
        let c = g.op(op.arg(1)).constant().filter(|&c| c != 0.0)?;
        let k = g.constant(1.0 / c);
        Some(g.mk(Op::new("mul", &[k, op.arg(0)])))
    }

    // Y = A ⊘ B: dA = dY ⊘ B, dB = −(dY ⊙ Y) ⊘ B; a broadcast scalar side gets the sum.
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let (a, b) = (g.op(n).arg(0), g.op(n).arg(1));
        let reduce = |g: &mut Graph, x: NodeId, part: NodeId| scalar_side(g, n, x, part);
        let da = g.mk(Op::new("div", &[d, b]));
        let dy = g.mk(Op::new("mul", &[d, n]));
        let q = g.mk(Op::new("div", &[dy, b]));
        let db = g.mk(Op::new("neg", &[q]));
        vec![(a, reduce(g, a, da)), (b, reduce(g, b, db))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let ((a, ka), (c, kc)) = (args[0], args[1]);
        let g = cx.g();
        if let Some(lifted) = lift_as_written(g, "div", args[0], args[1]) {
            return Ok(lifted);
        }
        let (sa, sc) = (g.shape(a), g.shape(c));
        // A per-example value over a shared column, or a column over a
        // per-example scalar: a product with the reciprocals.
        let one = g.constant(1.0);
        match (ka, kc) {
            (Kind::Column | Kind::Scalar, Kind::Shared) if sc == Shape::Mat(rows(g, a), ONE) => {
                let inv = g.intern(Op::new("div", &[one, c]), sc);
                Ok((g.intern(Op::new("row_scale", &[a, inv]), sa), ka))
            }
            (Kind::Column, Kind::Scalar) => {
                let inv = g.intern(Op::new("div", &[one, c]), sc);
                Ok((g.intern(Op::new("col_scale", &[a, inv]), sa), Kind::Column))
            }
            _ => Err(format!("{} divides a shared value by a per-example one", cx.name(n))),
        }
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let g = cx.g();
        let (a, b) = (g.op(n).arg(0), g.op(n).arg(1));
        let (x, y, p, s) = (cx.val(a), cx.val(b), place.tokens, cx.scalar());
        match (is_scalar(g, a), is_scalar(g, b)) {
            (true, _) => quote!(#p.set_scalar_div(#x, #y);),
            (_, true) => quote!(#p.set_scale(#x, <#s as ::shapegrad::Scalar>::ONE / #y);),
            _ => quote!(#p.set_div(#x, #y);),
        }
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let op = cx.g().op(n);
        let (a, b) = (cx.val(op.arg(0)), cx.val(op.arg(1)));
        quote!(#a / #b)
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        Some(cx.call("Div", cx.g().op(n).operands()))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let (a, b) = (op.arg(0), op.arg(1));
        if cx.latex() {
            (format!("\\frac{{{}}}{{{}}}", cx.print(a).0, cx.print(b).0), Prec::Atom)
        } else {
            let ok = [Prec::Post, Prec::Atom];
            (format!("{}/{}", operand(cx, a, &ok), operand(cx, b, &ok)), Prec::Ratio)
        }
    }
}
