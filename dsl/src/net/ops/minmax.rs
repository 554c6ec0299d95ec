//! `max(a, b)` and `min(a, b)`, elementwise on equal shapes or with a scalar
//! side, and the comparison masks `[a ≥ b]`, `[a > b]` their VJPs are made
//! of. At a tie the gradient goes to the first argument, as a subgradient.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Call, Check, EmitCx, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, Signature};
use super::{call, first_non_scalar, lift_as_written, pair_rule, pair_shape, scalar_side};
use crate::net::model::{Graph, NodeId, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[
    &Extremum("max"),
    &Extremum("min"),
    &Mask { code: "ge", symbol: "≥" },
    &Mask { code: "gt", symbol: ">" },
];

fn is_scalar(g: &Graph, n: NodeId) -> bool {
    g.shape(n) == Shape::Scalar
}

/// `max(a, b)` or `min(a, b)`.
struct Extremum(&'static str);

impl OpDef for Extremum {
    fn code(&self) -> &'static str {
        self.0
    }

    fn elementwise(&self) -> bool {
        true
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 2, label_last: false })
    }

    // Rule: two values of one shape, or a scalar side (`max(x, 0.0)`).
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        if let Some(found) = pair_rule(cx, call, (self.0, self.0), false, &mut |_, _| None) {
            return found;
        }
        let (sa, sb) = (cx.g.shape(call.nodes[0]), cx.g.shape(call.nodes[1]));
        let msg = format!(
            "`{}` takes two values of one shape or a scalar, but `{}` is {} and `{}` is {}",
            self.0,
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

    // max: dA = dY ⊙ [A ≥ B], dB = dY ⊙ [B > A]; min: dA = dY ⊙ [B ≥ A], dB = dY ⊙ [A > B].
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let (a, b) = (g.op(n).arg(0), g.op(n).arg(1));
        let (ma, mb) = if self.0 == "max" { ([a, b], [b, a]) } else { ([b, a], [a, b]) };
        let mut out = Vec::new();
        for (x, mask) in [(a, Op::new("ge", &ma)), (b, Op::new("gt", &mb))] {
            let m = g.mk(mask);
            let part = g.mk(Op::new("mul", &[d, m]));
            out.push((x, scalar_side(g, n, x, part)));
        }
        out
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        lift_as_written(cx.g(), self.0, args[0], args[1])
            .ok_or_else(|| format!("{} compares a per-example value with a shared one", cx.name(n)))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let g = cx.g();
        let (a, b) = (g.op(n).arg(0), g.op(n).arg(1));
        let (x, y, p) = (cx.val(a), cx.val(b), place.tokens);
        let scalar = format_ident!("set_{}_scalar", self.0);
        match (is_scalar(g, a), is_scalar(g, b)) {
            (true, _) => quote!(#p.#scalar(#y, #x);),
            (_, true) => quote!(#p.#scalar(#x, #y);),
            _ => {
                let f = format_ident!("set_{}", self.0);
                quote!(#p.#f(#x, #y);)
            }
        }
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let op = cx.g().op(n);
        let (a, b, f) = (cx.val(op.arg(0)), cx.val(op.arg(1)), format_ident!("{}", self.0));
        quote!(::shapegrad::Scalar::#f(#a, #b))
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        Some(cx.call(if self.0 == "max" { "Max" } else { "Min" }, cx.g().op(n).operands()))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let latex = if self.0 == "max" { "\\max" } else { "\\min" };
        call(cx, self.0, latex, cx.g().op(n).operands())
    }
}

/// `[a ≥ b]` or `[a > b]`: 1 where the comparison holds, else 0.
struct Mask {
    code: &'static str,
    symbol: &'static str,
}

impl OpDef for Mask {
    fn code(&self) -> &'static str {
        self.code
    }

    fn elementwise(&self) -> bool {
        true
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        pair_shape(g, op.arg(0), op.arg(1))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let g = cx.g();
        let (a, b) = (g.op(n).arg(0), g.op(n).arg(1));
        let (x, y, p) = (cx.val(a), cx.val(b), place.tokens);
        let scalar = format_ident!("set_{}_scalar", self.code);
        match (is_scalar(g, a), is_scalar(g, b)) {
            (true, _) => quote!(#p.#scalar(#y, #x, true);),
            (_, true) => quote!(#p.#scalar(#x, #y, false);),
            _ => {
                let f = format_ident!("set_{}", self.code);
                quote!(#p.#f(#x, #y);)
            }
        }
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let op = cx.g().op(n);
        let (a, b, f) = (cx.val(op.arg(0)), cx.val(op.arg(1)), format_ident!("{}", self.code));
        quote!(::shapegrad::ops::#f(#a, #b))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let symbol = match (cx.latex(), self.code) {
            (true, "ge") => "\\ge",
            _ => self.symbol,
        };
        (format!("[{} {symbol} {}]", cx.print(op.arg(0)).0, cx.print(op.arg(1)).0), Prec::Atom)
    }
}
