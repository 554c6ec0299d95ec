//! `leaky_relu(x, a)`: an elementwise function with a slope written in the
//! net, kept as the op's attribute (so it is no `Unary` marker type).

use proc_macro2::TokenStream;
use quote::quote;

use super::{Call, Check, EmitCx, Fused, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, Signature};
use crate::net::model::{Attr, Graph, NodeId, Op, Shape};
use crate::net::source::number;

pub(super) static OPS: &[&dyn OpDef] = &[&LeakyRelu, &LeakyReluDeriv];

/// `leaky_relu(x, a)`: `x` for `x > 0`, `a·x` otherwise, for a literal slope
/// `a` (kept as the op's attribute).
struct LeakyRelu;

/// The slope of a `leaky_relu` node, as a value of the element type.
fn slope(cx: &dyn EmitCx, n: NodeId) -> TokenStream {
    let a = match cx.g().op(n).attr {
        Attr::Bits(b) => f64::from_bits(b),
        _ => 0.0,
    };
    let s = cx.scalar();
    quote!(<#s as ::shapegrad::Scalar>::from_f64(#a))
}

fn slope_text(cx: &dyn PrintCx, n: NodeId) -> String {
    match cx.g().op(n).attr {
        Attr::Bits(b) => number(f64::from_bits(b)),
        _ => "?".into(),
    }
}

impl OpDef for LeakyRelu {
    fn code(&self) -> &'static str {
        "leaky_relu"
    }

    fn guess(&self, g: &Graph, nodes: &[NodeId]) -> Option<Shape> {
        Some(g.shape(nodes[0]))
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 2, label_last: false })
    }

    // Rule: the slope is a number written in the net; the shape is kept.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let (x, a) = (call.nodes[0], call.nodes[1]);
        let Some(slope) = call.number(1).or_else(|| cx.g.op(a).constant()) else {
            let msg = format!(
                "the slope of `leaky_relu` is a number written in the net, as in `leaky_relu(x, 0.01)`, but `{}` is a value",
                call.src(1)
            );
            return cx.error(&call.expr, msg);
        };
        let s = cx.g.shape(x);
        Some(cx.g.intern(Op::with("leaky_relu", &[x], Attr::Bits(slope.to_bits())), s))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    // Y = leaky_relu(A, a): dA = dY ⊙ ([A > 0] + a [A ≤ 0]).
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let op = g.op(n);
        let df = g.mk(Op::with("leaky_relu′", &[op.arg(0)], op.attr));
        vec![(op.arg(0), g.mk(Op::new("mul", &[d, df])))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let ((a, kind), attr) = (args[0], cx.src().op(n).attr);
        let s = cx.g().shape(a);
        Ok((cx.g().intern(Op::with("leaky_relu", &[a], attr), s), kind))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, x, a) = (place.tokens, cx.val(cx.g().op(n).arg(0)), slope(cx, n));
        quote!(#p.set_leaky_relu(#x, #a);)
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let (x, a) = (cx.val(cx.g().op(n).arg(0)), slope(cx, n));
        quote!(::shapegrad::ops::leaky_relu(#x, #a))
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let op = cx.g().op(n);
        let Attr::Bits(b) = op.attr else { return None };
        let (x, slope) = (cx.v(op.arg(0)), f64::from_bits(b) as f32);
        Some(
            quote!(__g.op("LeakyRelu", &[&#x], ::std::vec![::shapegrad::onnx::Attr::Float("alpha", #slope)])),
        )
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let x = cx.print(cx.g().op(n).arg(0)).0;
        let f = if cx.latex() { "\\operatorname{leaky\\_relu}" } else { "leaky_relu" };
        (format!("{f}({x}, {})", slope_text(cx, n)), Prec::Atom)
    }
}

/// `leaky_relu′(x, a)`: 1 for `x > 0`, `a` otherwise.
struct LeakyReluDeriv;

impl OpDef for LeakyReluDeriv {
    fn code(&self) -> &'static str {
        "leaky_relu′"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, x, a) = (place.tokens, cx.val(cx.g().op(n).arg(0)), slope(cx, n));
        quote!(#p.set_leaky_relu_derivative(#x, #a);)
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let (x, a) = (cx.val(cx.g().op(n).arg(0)), slope(cx, n));
        quote!(::shapegrad::ops::leaky_relu_df(#x, #a))
    }

    /// `d ⊙ leaky_relu′(x, a)` in one pass.
    fn times(&self, cx: &dyn EmitCx, me: NodeId, d: NodeId) -> Option<Fused> {
        let g = cx.g();
        if g.shape(d) != g.shape(me) {
            return None;
        }
        let (x, a) = (g.op(me).arg(0), slope(cx, me));
        let code = move |cx: &dyn EmitCx, place: &TokenStream| {
            let (x, d) = (cx.val(x), cx.val(d));
            quote!(#place.set_leaky_relu_vjp(#x, #d, #a);)
        };
        Some(Fused { deps: vec![x, d], code: Box::new(code) })
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let (x, a) = (cx.print(cx.g().op(n).arg(0)).0, slope_text(cx, n));
        let le = if cx.latex() { "\\le" } else { "≤" };
        (format!("([{x} > 0] + {a} [{x} {le} 0])"), Prec::Factor)
    }
}
