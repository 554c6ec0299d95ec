//! Division.

use proc_macro2::TokenStream;
use quote::quote;

use super::{EmitCx, OpDef, Prec, PrintCx, operand};
use crate::net::model::{Graph, NodeId, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[&Div];

/// `a / b` of two scalars (built by `mean`'s VJP).
struct Div;

impl OpDef for Div {
    fn code(&self) -> &'static str {
        "div"
    }

    fn infer(&self, _: &Graph, _: &Op) -> Shape {
        Shape::Scalar
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let op = cx.g().op(n);
        let (a, b) = (cx.val(op.arg(0)), cx.val(op.arg(1)));
        quote!(#a / #b)
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
