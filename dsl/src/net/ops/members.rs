//! The params of a stack of layers (`param blocks: [Residual; 4];`) as the
//! run-time loop over its members reads them: `members` stacks one param of
//! every member (`blocks.0.W1` … `blocks.3.W1`) into `N` blocks, which the
//! loop reads block by block (`step`: `blocks.W1[m]`, member `m`'s); its
//! adjoint gives each member's param its block of the stacked adjoint
//! (`member`). So a stack compiles as one member's body in a loop, whatever
//! its length. The stack is `N` blocks of `[R×C]` (the rows a dim of two
//! parts, `N` and `R`), a vector param's `[R×1]`.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::{EmitCx, Kind, LiftCx, Lifted, OpDef, Place, Prec, PrintCx, operand};
use crate::net::model::{Attr, Graph, NodeId, ONE, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[&Members, &Member];

/// One param of every member, `N` blocks of its shape. It names the params
/// by index (`Attr::Members`), as a stack has more members than an op has
/// operands; `Graph::reads` gives their leaves. (Its ONNX form, the
/// members' initializers stacked, is the exporter's, which knows their names.)
struct Members;

impl OpDef for Members {
    fn code(&self) -> &'static str {
        "members"
    }

    fn infer(&self, _: &Graph, op: &Op) -> Shape {
        match op.attr {
            Attr::Members(.., rows, cols) => Shape::Mat(rows, cols),
            _ => Shape::Scalar,
        }
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let members = g.reads(n);
        members
            .into_iter()
            .enumerate()
            .map(|(i, p)| (p, g.mk(Op::with("member", &[d], Attr::Index(i)))))
            .collect()
    }

    // Params are every example's: so is their stack.
    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, _: &[Lifted]) -> Result<Lifted, String> {
        let (op, shape) = (cx.src().op(n), cx.src().shape(n));
        Ok((cx.g().intern(op, shape), Kind::Shared))
    }

    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        cx.g().reads(n)
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let p = place.tokens;
        let writes = cx.g().reads(n).into_iter().enumerate().map(|(i, a)| {
            let (a, i) = (cx.val(a), Literal::usize_unsuffixed(i));
            quote!(::shapegrad::steps::write(&mut #p, #i, #a);)
        });
        quote!(#(#writes)*)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let first = cx.g().reads(n).first().map_or("?".into(), |&p| cx.leaf_name(p));
        (format!("[{first}; …]"), Prec::Atom)
    }
}

/// Block `i` of a stack of members' params: member `i`'s.
struct Member;

impl OpDef for Member {
    fn code(&self) -> &'static str {
        "member"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        match g.shape(op.arg(0)) {
            Shape::Mat(rows, c) => {
                Shape::Mat(g.parts(rows).and_then(|p| p.get(1).copied()).unwrap_or(ONE), c)
            }
            s => s,
        }
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let (x, kind) = args[0];
        if kind != Kind::Shared {
            return Err(format!("{} is a param's adjoint of every example", cx.name(n)));
        }
        let op = cx.src().op(n);
        let shape = cx.src().shape(n);
        Ok((cx.g().intern(Op::with("member", &[x], op.attr), shape), Kind::Shared))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let (x, p) = (cx.val(op.arg(0)), place.tokens);
        let i = Literal::usize_unsuffixed(op.index().unwrap_or(0));
        quote!(::shapegrad::steps::read(&mut #p, #x, #i);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let x = operand(cx, op.arg(0), &[Prec::Atom]);
        let x = if x.starts_with('∂') || x.starts_with("\\partial") { format!("({x})") } else { x };
        (format!("{x}[{}]", op.index().unwrap_or(0)), Prec::Atom)
    }
}
