//! Elementwise functions `f(x)` and their derivatives `f′(x)`, each backed
//! by a marker type of `shapegrad::ops` implementing `Unary` (its `f`, its
//! `df`, and the in-place loops).
//!
//! A function is one `const` below (its name, its derivative's code, its
//! kernel type, how it and its derivative print) and two entries of `OPS`.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{
    Call, Check, EmitCx, Fused, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, Signature, call, operand,
};
use crate::net::model::{Graph, NodeId, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[
    &Map(SIGMOID),
    &Deriv(SIGMOID),
    &Map(TANH),
    &Deriv(TANH),
    &Map(RELU),
    &Deriv(RELU),
    &Map(SWISH),
    &Deriv(SWISH),
    &Map(EXP),
    &Deriv(EXP),
    &Map(LOG),
    &Deriv(LOG),
    &Map(SQRT),
    &Deriv(SQRT),
    &Map(SQUARE),
    &Deriv(SQUARE),
    &Map(ABS),
    &Deriv(ABS),
    &Map(ELU),
    &Deriv(ELU),
    &Map(SOFTPLUS),
    &Deriv(SOFTPLUS),
    &Map(LOG_SIGMOID),
    &Deriv(LOG_SIGMOID),
    &Map(GELU),
    &Deriv(GELU),
];

/// An elementwise function.
#[derive(Clone, Copy)]
struct Unary {
    /// Its DSL name, which is also the `Matrix` method's.
    name: &'static str,
    /// The code of its derivative op.
    deriv: &'static str,
    /// The marker type in `shapegrad::ops` implementing `Unary`.
    ty: &'static str,
    /// Its ONNX node(s) on the value `x`: an expression of the new value's name.
    onnx: fn(x: &Ident) -> TokenStream,
    /// `f(x)` in a derivation, for the node `x`.
    print: fn(&dyn PrintCx, NodeId) -> (String, Prec),
    /// `f′(x)`, written as on a homework sheet, as juxtaposed factors.
    print_deriv: fn(&dyn PrintCx, NodeId) -> String,
    /// `f′(x)` built from other ops, when that lets the simplifier fold it
    /// with what surrounds it (`2·x` for `square`); otherwise an `f′` node.
    deriv_in_graph: Option<fn(&mut Graph, NodeId) -> NodeId>,
}

/// The ONNX node `op` on value `x`.
fn one(op: &str, x: &Ident) -> TokenStream {
    quote!(__g.op(#op, &[&#x], ::std::vec::Vec::new()))
}

/// `(text, latex)` for the style being printed.
fn pick(cx: &dyn PrintCx, text: String, latex: String) -> String {
    if cx.latex() { latex } else { text }
}

const SIGMOID: Unary = Unary {
    name: "sigmoid",
    deriv: "sigmoid′",
    ty: "Sigmoid",
    onnx: |x| one("Sigmoid", x),
    print: |cx, x| (format!("{}({})", if cx.latex() { "\\sigma" } else { "σ" }, cx.print(x).0), Prec::Atom),
    print_deriv: |cx, x| {
        let (s, m, i) =
            if cx.latex() { ("\\sigma", "-", cx.print(x).0) } else { ("σ", "−", cx.print(x).0) };
        format!("{s}({i})(1 {m} {s}({i}))")
    },
    deriv_in_graph: None,
};

const TANH: Unary = Unary {
    name: "tanh",
    deriv: "tanh′",
    ty: "Tanh",
    onnx: |x| one("Tanh", x),
    print: |cx, x| call(cx, "tanh", "\\tanh", &[x]),
    print_deriv: |cx, x| {
        let i = cx.print(x).0;
        pick(cx, format!("(1 − tanh²({i}))"), format!("(1 - \\tanh^2({i}))"))
    },
    deriv_in_graph: None,
};

const RELU: Unary = Unary {
    name: "relu",
    deriv: "relu′",
    ty: "Relu",
    onnx: |x| one("Relu", x),
    print: |cx, x| call(cx, "relu", "\\operatorname{relu}", &[x]),
    print_deriv: |cx, x| format!("[{} > 0]", cx.print(x).0),
    deriv_in_graph: None,
};

const SWISH: Unary = Unary {
    name: "swish",
    deriv: "swish′",
    ty: "Swish",
    onnx: |x| {
        let s = one("Sigmoid", x);
        quote!({
            let __s = #s;
            __g.op("Mul", &[&#x, &__s], ::std::vec::Vec::new())
        })
    },
    print: |cx, x| call(cx, "swish", "\\operatorname{swish}", &[x]),
    print_deriv: |cx, x| {
        let (s, m) = if cx.latex() { ("\\sigma", "-") } else { ("σ", "−") };
        let (i, f) = (cx.print(x).0, operand(cx, x, &[Prec::Atom]));
        format!("{s}({i})(1 + {f}(1 {m} {s}({i})))")
    },
    deriv_in_graph: None,
};

const EXP: Unary = Unary {
    name: "exp",
    deriv: "exp′",
    ty: "Exp",
    onnx: |x| one("Exp", x),
    print: |cx, x| call(cx, "exp", "\\exp", &[x]),
    print_deriv: |cx, x| call(cx, "exp", "\\exp", &[x]).0,
    deriv_in_graph: None,
};

const LOG: Unary = Unary {
    name: "log",
    deriv: "log′",
    ty: "Log",
    onnx: |x| one("Log", x),
    print: |cx, x| call(cx, "log", "\\log", &[x]),
    print_deriv: |cx, x| {
        pick(cx, format!("1/{}", operand(cx, x, &[Prec::Atom])), format!("\\frac{{1}}{{{}}}", cx.print(x).0))
    },
    deriv_in_graph: None,
};

const SQRT: Unary = Unary {
    name: "sqrt",
    deriv: "sqrt′",
    ty: "Sqrt",
    onnx: |x| one("Sqrt", x),
    print: |cx, x| {
        if cx.latex() {
            (format!("\\sqrt{{{}}}", cx.print(x).0), Prec::Atom)
        } else {
            call(cx, "sqrt", "", &[x])
        }
    },
    print_deriv: |cx, x| {
        let i = cx.print(x).0;
        pick(cx, format!("1/(2 sqrt({i}))"), format!("\\frac{{1}}{{2\\sqrt{{{i}}}}}"))
    },
    deriv_in_graph: None,
};

const SQUARE: Unary = Unary {
    name: "square",
    deriv: "square′",
    ty: "Square",
    onnx: |x| quote!(__g.op("Mul", &[&#x, &#x], ::std::vec::Vec::new())),
    print: |cx, x| {
        let f = operand(cx, x, &[Prec::Atom]);
        (pick(cx, format!("{f}²"), format!("{{{f}}}^{{2}}")), Prec::Post)
    },
    print_deriv: |cx, x| format!("2{}", operand(cx, x, &[Prec::Atom])),
    deriv_in_graph: Some(|g, x| {
        let two = g.constant(2.0);
        g.mk(Op::new("mul", &[two, x]))
    }),
};

const ABS: Unary = Unary {
    name: "abs",
    deriv: "abs′",
    ty: "Abs",
    onnx: |x| one("Abs", x),
    print: |cx, x| {
        let i = cx.print(x).0;
        (pick(cx, format!("|{i}|"), format!("\\lvert {i} \\rvert")), Prec::Atom)
    },
    print_deriv: |cx, x| {
        let i = cx.print(x).0;
        pick(cx, format!("sign({i})"), format!("\\operatorname{{sign}}({i})"))
    },
    deriv_in_graph: None,
};

const ELU: Unary = Unary {
    name: "elu",
    deriv: "elu′",
    ty: "Elu",
    onnx: |x| one("Elu", x),
    print: |cx, x| call(cx, "elu", "\\operatorname{elu}", &[x]),
    print_deriv: |cx, x| {
        let i = cx.print(x).0;
        pick(
            cx,
            format!("([{i} > 0] + [{i} ≤ 0] exp({i}))"),
            format!("([{i} > 0] + [{i} \\le 0]\\, e^{{{i}}})"),
        )
    },
    deriv_in_graph: None,
};

const SOFTPLUS: Unary = Unary {
    name: "softplus",
    deriv: "softplus′",
    ty: "Softplus",
    onnx: |x| one("Softplus", x),
    print: |cx, x| call(cx, "softplus", "\\operatorname{softplus}", &[x]),
    print_deriv: |cx, x| format!("{}({})", if cx.latex() { "\\sigma" } else { "σ" }, cx.print(x).0),
    deriv_in_graph: None,
};

const LOG_SIGMOID: Unary = Unary {
    name: "log_sigmoid",
    deriv: "log_sigmoid′",
    ty: "LogSigmoid",
    onnx: |x| {
        // log σ(x) = −softplus(−x).
        quote!({
            let __m = __g.op("Neg", &[&#x], ::std::vec::Vec::new());
            let __s = __g.op("Softplus", &[&__m], ::std::vec::Vec::new());
            __g.op("Neg", &[&__s], ::std::vec::Vec::new())
        })
    },
    print: |cx, x| call(cx, "log_sigmoid", "\\log\\sigma", &[x]),
    print_deriv: |cx, x| {
        let i = cx.print(x).0;
        pick(cx, format!("(1 − σ({i}))"), format!("(1 - \\sigma({i}))"))
    },
    deriv_in_graph: None,
};

const GELU: Unary = Unary {
    name: "gelu",
    deriv: "gelu′",
    ty: "Gelu",
    onnx: |x| {
        // The tanh form: x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2.
        quote!(::shapegrad::onnx::gelu_tanh(&mut __g, &#x))
    },
    print: |cx, x| call(cx, "gelu", "\\operatorname{gelu}", &[x]),
    print_deriv: |cx, x| call(cx, "gelu′", "\\operatorname{gelu}'", &[x]).0,
    deriv_in_graph: None,
};

impl Unary {
    /// `<::shapegrad::ops::Sigmoid as ::shapegrad::ops::Unary>`.
    fn kernel(&self) -> TokenStream {
        let ty = format_ident!("{}", self.ty);
        quote!(<::shapegrad::ops::#ty as ::shapegrad::ops::Unary>)
    }
}

/// `f(x)`.
struct Map(Unary);

impl OpDef for Map {
    fn code(&self) -> &'static str {
        self.0.name
    }

    fn elementwise(&self) -> bool {
        true
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 1, label_last: false })
    }

    // Rule: elementwise functions keep the shape.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let x = call.nodes[0];
        let s = cx.g.shape(x);
        Some(cx.g.intern(Op::new(self.0.name, &[x]), s))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    // Y = f(A): dA = dY ⊙ f′(A).
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let a = g.op(n).arg(0);
        let df = match self.0.deriv_in_graph {
            Some(build) => build(g, a),
            None => g.mk(Op::new(self.0.deriv, &[a])),
        };
        vec![(a, g.mk(Op::new("mul", &[d, df])))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, _: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let (a, kind) = args[0];
        let s = cx.g().shape(a);
        Ok((cx.g().intern(Op::new(self.0.name, &[a]), s), kind))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (k, a, p) = (self.0.kernel(), cx.val(cx.g().op(n).arg(0)), place.tokens);
        quote!(#k::map_into(#a, &mut #p);)
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let (k, a) = (self.0.kernel(), cx.val(cx.g().op(n).arg(0)));
        quote!(#k::f(#a))
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        Some((self.0.onnx)(&cx.v(cx.g().op(n).arg(0))))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        (self.0.print)(cx, cx.g().op(n).arg(0))
    }
}

/// `f′(x)`, only in the backward pass.
struct Deriv(Unary);

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
        let (k, a, p) = (self.0.kernel(), cx.val(cx.g().op(n).arg(0)), place.tokens);
        quote!(#k::derivative_into(#a, &mut #p);)
    }

    // f′(x) of a scalar: f(x) is evaluated again (one call) rather than
    // making the forward value a dependency of the backward pass.
    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let (k, x) = (self.0.kernel(), cx.val(cx.g().op(n).arg(0)));
        quote!(#k::df(#x, #k::f(#x)))
    }

    /// `d ⊙ f′(x)` where `f(x)` exists: one pass reusing it (`vjp_into`).
    fn times(&self, cx: &dyn EmitCx, me: NodeId, d: NodeId) -> Option<Fused> {
        let g = cx.g();
        let x = g.op(me).arg(0);
        let y = g.find(Op::new(self.0.name, &[x]))?;
        if g.shape(d) != g.shape(me) {
            return None;
        }
        let k = self.0.kernel();
        let code = move |cx: &dyn EmitCx, place: &TokenStream| {
            let (x, y, d) = (cx.val(x), cx.val(y), cx.val(d));
            quote!(#k::vjp_into(#x, #y, #d, &mut #place);)
        };
        Some(Fused { deps: vec![x, y, d], code: Box::new(code) })
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        ((self.0.print_deriv)(cx, cx.g().op(n).arg(0)), Prec::Factor)
    }
}
