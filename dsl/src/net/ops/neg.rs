//! Unary minus.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Call, Check, EmitCx, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, operand};
use crate::net::model::{Graph, NodeId, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[&Neg];

/// `-a`.
struct Neg;

impl OpDef for Neg {
    fn code(&self) -> &'static str {
        "neg"
    }

    fn elementwise(&self) -> bool {
        true
    }

    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let a = call.nodes[0];
        let s = cx.g.shape(a);
        Some(cx.g.intern(Op::new("neg", &[a]), s))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn simplify(&self, g: &mut Graph, op: &Op) -> Option<NodeId> {
        let inner = g.op(op.arg(0));
        if inner.is("neg") {
            return Some(inner.arg(0));
        }
        inner.constant().map(|c| g.constant(-c))
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        vec![(g.op(n).arg(0), g.mk(Op::new("neg", &[d])))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, _: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let (a, kind) = args[0];
        let s = cx.g().shape(a);
        Ok((cx.g().intern(Op::new("neg", &[a]), s), kind))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, a) = (place.tokens, cx.val(cx.g().op(n).arg(0)));
        quote!(#p.set_neg(#a);)
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let a = cx.val(cx.g().op(n).arg(0));
        quote!(-#a)
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        Some(cx.call("Neg", cx.g().op(n).operands()))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let a = operand(cx, cx.g().op(n).arg(0), &[Prec::Post, Prec::Atom]);
        (format!("{}{a}", if cx.latex() { "-" } else { "−" }), Prec::Neg)
    }
}
