//! `flatten(x)`: a rank-3 value `[C×H×W]` as the vector `[C·H·W]`, in
//! row-major order; and `unflatten`, its adjoint. Both hold the same
//! elements in the same order as their operand, so the generated code reads
//! the operand's buffer: no copy.

use proc_macro2::TokenStream;

use super::{Call, Check, EmitCx, Kind, LiftCx, Lifted, OpDef, Place, Prec, PrintCx, Signature, call, cols};
use crate::net::model::{Attr, Graph, NodeId, ONE, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[&Flatten, &Unflatten];

struct Flatten;

impl OpDef for Flatten {
    fn code(&self) -> &'static str {
        "flatten"
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 1, label_last: false })
    }

    // Rule: a rank-3 value `[C×H×W]` becomes `[C·H·W]`.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let x = call.nodes[0];
        let parts = match cx.g.shape(x) {
            Shape::Mat(s, ONE) => cx.g.parts(s).map(<[_]>::to_vec),
            _ => None,
        };
        let Some(parts) = parts else {
            let msg = format!(
                "`flatten` takes a rank-3 value [C×H×W], but `{}` is {}",
                call.src(0),
                cx.text(cx.g.shape(x))
            );
            return cx.error(&call.expr, msg);
        };
        let flat = cx.g.product(&parts);
        Some(cx.g.intern(Op::with("flatten", &[x], Attr::Dims(flat, ONE)), Shape::Mat(flat, ONE)))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let cols = cols(g, op.arg(0));
        Shape::Mat(op.dims().0, cols)
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let x = g.op(n).arg(0);
        let shape = match g.shape(x) {
            Shape::Mat(s, _) => s,
            _ => ONE,
        };
        vec![(x, g.mk(Op::with("unflatten", &[d], Attr::Dims(shape, ONE))))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let (op, b) = (cx.src().op(n), cx.batch());
        match args[0] {
            (x, Kind::Column) => Ok((
                cx.g().intern(Op::with("flatten", &[x], op.attr), Shape::Mat(op.dims().0, b)),
                Kind::Column,
            )),
            _ => Err(format!("{} flattens a value that is not one per example", cx.name(n))),
        }
    }

    fn alias(&self) -> bool {
        true
    }

    fn emit(&self, _: &dyn EmitCx, _: NodeId, _: Place<'_>) -> TokenStream {
        TokenStream::new()
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, "flatten", "\\operatorname{flatten}", &[cx.g().op(n).arg(0)])
    }
}

/// A vector `[C·H·W]` as the rank-3 value `[C×H×W]` it flattens.
struct Unflatten;

impl OpDef for Unflatten {
    fn code(&self) -> &'static str {
        "unflatten"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let cols = cols(g, op.arg(0));
        Shape::Mat(op.dims().0, cols)
    }

    fn alias(&self) -> bool {
        true
    }

    fn emit(&self, _: &dyn EmitCx, _: NodeId, _: Place<'_>) -> TokenStream {
        TokenStream::new()
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, "unflatten", "\\operatorname{unflatten}", &[cx.g().op(n).arg(0)])
    }
}
