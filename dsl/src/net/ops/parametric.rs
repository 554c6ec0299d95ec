//! Elementwise functions of a value and a number written in the net
//! (`leaky_relu(x, a)`), the number kept as the op's attribute. Each is one
//! entry of `FUNCTIONS`: its name, what its number is, its derivative as
//! printed, its ONNX node; the core has its value and derivative as
//! `shapegrad::ops::NAME(x, a)` and `NAME_df(x, a)`.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{Call, Check, EmitCx, Fused, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, Signature};
use crate::net::model::{Attr, Graph, NodeId, Op, Shape};
use crate::net::source::number;

/// One function: `name(x, a)`, its derivative `name′(x, a)`.
pub(super) struct Parametric {
    name: &'static str,
    deriv: &'static str,
    /// What the number is, for messages: `the slope`.
    what: &'static str,
    /// A use, for messages: `leaky_relu(x, 0.01)`.
    example: &'static str,
    /// Its ONNX node on value `x`, for number `a`.
    onnx: fn(x: &Ident, a: f32) -> TokenStream,
    /// Its derivative as printed, for operand `x` and number `a` as text.
    print_deriv: fn(x: &str, a: f64, latex: bool) -> (String, Prec),
}

static LEAKY_RELU: Parametric = Parametric {
    name: "leaky_relu",
    deriv: "leaky_relu′",
    what: "the slope",
    example: "leaky_relu(x, 0.01)",
    onnx: |x, a| quote!(__g.op("LeakyRelu", &[&#x], ::std::vec![::shapegrad::onnx::Attr::Float("alpha", #a)])),
    print_deriv: |x, a, latex| {
        let (le, a) = (if latex { "\\le" } else { "≤" }, number(a));
        (format!("([{x} > 0] + {a} [{x} {le} 0])"), Prec::Factor)
    },
};

static POW: Parametric = Parametric {
    name: "pow",
    deriv: "pow′",
    what: "the exponent",
    example: "pow(x, -0.5)",
    onnx: |x, p| {
        quote!({
            let __p = __g.constant(&[1, 1], [#p]);
            __g.op("Pow", &[&#x, &__p], ::std::vec::Vec::new())
        })
    },
    print_deriv: |x, p, latex| {
        let q = number(p - 1.0);
        let x = if x.contains(' ') { format!("({x})") } else { x.to_string() };
        let p = number(p);
        (if latex { format!("{p}\\,{x}^{{{q}}}") } else { format!("{p} {x}^({q})") }, Prec::Factor)
    },
};

pub(super) static OPS: &[&dyn OpDef] =
    &[&Value(&LEAKY_RELU), &Deriv(&LEAKY_RELU), &Value(&POW), &Deriv(&POW)];

/// The number of node `n`, as a value of the element type.
fn attr(n: NodeId, g: &Graph) -> f64 {
    match g.op(n).attr {
        Attr::Bits(b) => f64::from_bits(b),
        _ => 0.0,
    }
}

fn constant(cx: &dyn EmitCx, n: NodeId) -> TokenStream {
    let (a, s) = (attr(n, cx.g()), cx.scalar());
    quote!(<#s as ::shapegrad::Scalar>::from_f64(#a))
}

/// The core's function and its derivative: `shapegrad::ops::NAME`, `NAME_df`.
fn kernels(f: &Parametric) -> (Ident, Ident) {
    (format_ident!("{}", f.name), format_ident!("{}_df", f.name))
}

struct Value(&'static Parametric);

impl OpDef for Value {
    fn code(&self) -> &'static str {
        self.0.name
    }

    fn elementwise(&self) -> bool {
        true
    }

    fn guess(&self, g: &Graph, nodes: &[NodeId]) -> Option<Shape> {
        Some(g.shape(nodes[0]))
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 2, label_last: false })
    }

    // Rule: the number is written in the net; the shape is kept.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let f = self.0;
        let (x, a) = (call.nodes[0], call.nodes[1]);
        let Some(value) = call.number(1).or_else(|| cx.g.op(a).constant()) else {
            let msg = format!(
                "{} of `{}` is a number written in the net, as in `{}`, but `{}` is a value",
                f.what,
                f.name,
                f.example,
                call.src(1)
            );
            return cx.error(&call.expr, msg);
        };
        let s = cx.g.shape(x);
        Some(cx.g.intern(Op::with(f.name, &[x], Attr::Bits(value.to_bits())), s))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    // Y = f(A, a): dA = dY ⊙ f′(A, a).
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let op = g.op(n);
        let df = g.mk(Op::with(self.0.deriv, &[op.arg(0)], op.attr));
        vec![(op.arg(0), g.mk(Op::new("mul", &[d, df])))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let ((a, kind), attr) = (args[0], cx.src().op(n).attr);
        let s = cx.g().shape(a);
        Ok((cx.g().intern(Op::with(self.0.name, &[a], attr), s), kind))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, x, a, (f, _)) = (place.tokens, cx.val(cx.g().op(n).arg(0)), constant(cx, n), kernels(self.0));
        quote!(#p.set_map_with(#x, #a, ::shapegrad::ops::#f);)
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let (x, a, (f, _)) = (cx.val(cx.g().op(n).arg(0)), constant(cx, n), kernels(self.0));
        quote!(::shapegrad::ops::#f(#x, #a))
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let op = cx.g().op(n);
        let Attr::Bits(b) = op.attr else { return None };
        Some((self.0.onnx)(&cx.v(op.arg(0)), f64::from_bits(b) as f32))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let x = cx.print(cx.g().op(n).arg(0)).0;
        let f = if cx.latex() {
            format!("\\operatorname{{{}}}", self.0.name.replace('_', "\\_"))
        } else {
            self.0.name.to_string()
        };
        (format!("{f}({x}, {})", number(attr(n, cx.g()))), Prec::Atom)
    }
}

/// `f′(x, a)`.
struct Deriv(&'static Parametric);

impl OpDef for Deriv {
    fn code(&self) -> &'static str {
        self.0.deriv
    }

    fn elementwise(&self) -> bool {
        true
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, x, a, (_, df)) =
            (place.tokens, cx.val(cx.g().op(n).arg(0)), constant(cx, n), kernels(self.0));
        quote!(#p.set_map_with(#x, #a, ::shapegrad::ops::#df);)
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let (x, a, (_, df)) = (cx.val(cx.g().op(n).arg(0)), constant(cx, n), kernels(self.0));
        quote!(::shapegrad::ops::#df(#x, #a))
    }

    /// `d ⊙ f′(x, a)` in one pass.
    fn times(&self, cx: &dyn EmitCx, me: NodeId, d: NodeId) -> Option<Fused> {
        let g = cx.g();
        if g.shape(d) != g.shape(me) {
            return None;
        }
        let (x, a, (_, df)) = (g.op(me).arg(0), constant(cx, me), kernels(self.0));
        let code = move |cx: &dyn EmitCx, place: &TokenStream| {
            let (x, d) = (cx.val(x), cx.val(d));
            quote!(#place.set_vjp_with(#x, #d, #a, ::shapegrad::ops::#df);)
        };
        Some(Fused { deps: vec![x, d], code: Box::new(code) })
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let (x, a) = (cx.print(cx.g().op(n).arg(0)).0, attr(n, cx.g()));
        (self.0.print_deriv)(&x, a, cx.latex())
    }
}
