//! `softmax`, `log_softmax` and `logsumexp`, per column, and their VJPs.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Call, Check, EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, Signature};
use super::{call, check_per_column, lift_per_column, operand, per_column, per_column_vjp};
use crate::net::model::{Graph, NodeId, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[
    &Softmax { code: "softmax", latex: "\\operatorname{softmax}" },
    &Softmax { code: "log_softmax", latex: "\\log\\operatorname{softmax}" },
    &SoftmaxVjp,
    &LogSoftmaxVjp,
    &LogSumExp,
];

struct Softmax {
    code: &'static str,
    latex: &'static str,
}

impl OpDef for Softmax {
    fn code(&self) -> &'static str {
        self.code
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 1, label_last: false })
    }

    // Rule: softmax works on each column of a vector or matrix.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let x = call.nodes[0];
        let s = cx.g.shape(x);
        if s == Shape::Scalar {
            let msg = format!(
                "`{}` needs a vector or a matrix (one distribution per column), but `{}` is a scalar",
                self.code,
                call.src(0)
            );
            return cx.error(&call.expr, msg);
        }
        Some(cx.g.intern(Op::new(self.code, &[x]), s))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    // y = softmax(z): dz = y ⊙ (dy − ⟨y, dy⟩); y = log_softmax(z): dz = dy − softmax(z) Σ dy.
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let a = g.op(n).arg(0);
        let vjp = if self.code == "softmax" {
            Op::new("softmax_vjp", &[n, d])
        } else {
            Op::new("log_softmax_vjp", &[a, d])
        };
        vec![(a, g.mk(vjp))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let (a, kind) = args[0];
        if kind == Kind::Row {
            return Err(format!("{} is the softmax of a per-example row", cx.name(n)));
        }
        let s = cx.g().shape(a);
        Ok((cx.g().intern(Op::new(self.code, &[a]), s), kind))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let f = format_ident!("set_{}", self.code);
        let (p, a) = (place.tokens, cx.val(cx.g().op(n).arg(0)));
        quote!(#p.#f(#a);)
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        // Per example: along each column.
        let x = cx.v(cx.g().op(n).arg(0));
        let op = if self.code == "softmax" { "Softmax" } else { "LogSoftmax" };
        Some(quote!(__g.op(#op, &[&#x], ::std::vec![::shapegrad::onnx::Attr::Int("axis", 0)])))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, self.code, self.latex, &[cx.g().op(n).arg(0)])
    }
}

/// `y ⊙ (dy − ⟨y, dy⟩)` per column, for `y = softmax(z)`.
struct SoftmaxVjp;

impl OpDef for SoftmaxVjp {
    fn code(&self) -> &'static str {
        "softmax_vjp"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let (p, y, d) = (place.tokens, cx.val(op.arg(0)), cx.val(op.arg(1)));
        quote!(#p.set_softmax_vjp(#y, #d);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let (ys, ds) = (operand(cx, op.arg(0), &[Prec::Post, Prec::Atom]), cx.print(op.arg(1)).0);
        if cx.latex() {
            (format!("{ys} \\odot ({ds} - \\langle {ys}, {ds} \\rangle)"), Prec::Hadamard)
        } else {
            (format!("{ys} ⊙ ({ds} − ⟨{ys}, {ds}⟩)"), Prec::Hadamard)
        }
    }
}

/// `dy − softmax(z) Σ dy` per column.
struct LogSoftmaxVjp;

impl OpDef for LogSoftmaxVjp {
    fn code(&self) -> &'static str {
        "log_softmax_vjp"
    }

    // For dy = k·onehot(y), as a cross-entropy written out by hand gives
    // (−dot(onehot(y), log_softmax(z))): dy − softmax(z) Σ dy
    // = k onehot(y) − k softmax(z), since sum(onehot(y)) = 1; that is
    // −k (softmax(z) − onehot(y)), the fused and stable gradient.
    fn simplify(&self, g: &mut Graph, op: &Op) -> Option<NodeId> {
        let (z, d) = (op.arg(0), op.arg(1));
        let dop = g.op(d);
        let (k, y) = match dop.code {
            "onehot" => (1.0, dop.arg(0)),
            "neg" if g.op(dop.arg(0)).is("onehot") => (-1.0, g.op(dop.arg(0)).arg(0)),
            "mul" if g.op(dop.arg(1)).is("onehot") => (g.op(dop.arg(0)).constant()?, g.op(dop.arg(1)).arg(0)),
            _ => return None,
        };
        if g.shape(d) != g.shape(z) {
            return None;
        }
        let grad = g.mk(Op::new("softmax_cross_entropy′", &[z, y]));
        let k = g.constant(-k);
        Some(g.mk(Op::new("mul", &[k, grad])))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let (p, z, d) = (place.tokens, cx.val(op.arg(0)), cx.val(op.arg(1)));
        quote!(#p.set_log_softmax_vjp(#z, #d);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let p = call(cx, "softmax", "\\operatorname{softmax}", &[op.arg(0)]).0;
        let s = call(cx, "sum", "\\operatorname{sum}", &[op.arg(1)]).0;
        (format!("{} {} {p} {s}", cx.print(op.arg(1)).0, if cx.latex() { "-" } else { "−" }), Prec::Sum)
    }
}

/// `logsumexp(a)`: `log Σ exp` of each column, stable; `[N]` → a scalar,
/// `[R×C]` → `[1×C]`.
struct LogSumExp;

impl OpDef for LogSumExp {
    fn code(&self) -> &'static str {
        "logsumexp"
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 1, label_last: false })
    }

    // Rule: one value per column of a vector or matrix.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        check_per_column(cx, call, "logsumexp")
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let s = g.shape(op.arg(0));
        per_column(s).unwrap_or(s)
    }

    // y = logsumexp(a) per column: da = softmax(a) dy (each column scaled by its dy).
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let a = g.op(n).arg(0);
        let s = g.mk(Op::new("softmax", &[a]));
        vec![(a, per_column_vjp(g, s, d))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        lift_per_column(cx, n, args, "logsumexp")
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, a) = (place.tokens, cx.val(cx.g().op(n).arg(0)));
        quote!(#p.set_logsumexp_cols(#a);)
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let a = cx.val(cx.g().op(n).arg(0));
        quote!((#a).logsumexp())
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let x = cx.v(cx.g().op(n).arg(0));
        Some(quote!(__g.op("ReduceLogSumExp", &[&#x], ::std::vec![
            ::shapegrad::onnx::Attr::Ints("axes", ::std::vec![0]),
            ::shapegrad::onnx::Attr::Int("keepdims", 1),
        ])))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, "logsumexp", "\\operatorname{logsumexp}", &[cx.g().op(n).arg(0)])
    }
}
