//! The leaves of the graph: params, inputs, labels and constants. Check
//! builds them from the declarations; they have no VJP (the walk stops at
//! them) and no code (methods read them where they are).

use proc_macro2::TokenStream;
use quote::quote;

use super::{EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Prec, PrintCx};
use crate::net::model::{Graph, NodeId, ONE, Op, Shape};
use crate::net::source::number;

pub(super) static OPS: &[&dyn OpDef] = &[&Leaf("param"), &Leaf("input"), &Leaf("label"), &Const, &Guess];

/// A placeholder for a value whose expression had an error, of the shape it
/// most likely meant (see `OpDef::guess`). Its operands are those of the
/// failed use. Only `check` makes one; a net with an error generates no code.
struct Guess;

impl OpDef for Guess {
    fn code(&self) -> &'static str {
        "guess"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        op.operands().first().map_or(Shape::Scalar, |&a| g.shape(a))
    }

    fn print(&self, _: &dyn PrintCx, _: NodeId) -> (String, Prec) {
        ("?".into(), Prec::Atom)
    }
}

struct Leaf(&'static str);

impl OpDef for Leaf {
    fn code(&self) -> &'static str {
        self.0
    }

    // Leaves are interned with their declared shape, never inferred.
    fn infer(&self, _: &Graph, _: &Op) -> Shape {
        Shape::Scalar
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, _: &[Lifted]) -> Result<Lifted, String> {
        let (op, shape, b) = (cx.src().op(n), cx.src().shape(n), cx.batch());
        Ok(match (self.0, shape) {
            ("param", _) => (cx.g().intern(op, shape), Kind::Shared),
            ("input", Shape::Mat(r, ONE)) => (cx.g().intern(op, Shape::Mat(r, b)), Kind::Column),
            ("label" | "input", Shape::Label(c)) => (cx.g().intern(op, Shape::Labels(c, b)), Kind::Label),
            // A sequence, read step by step by a run-time loop (`Kind::Seq`).
            ("input", Shape::Mat(t, r)) if uses_steps(cx, n) => {
                let tr = cx.g().shaped(&[t, r]);
                (cx.g().intern(op, Shape::Mat(tr, b)), Kind::Seq)
            }
            ("label" | "input", Shape::Labels(c, t)) if uses_steps(cx, n) => {
                let tb = cx.g().shaped(&[t, b]);
                (cx.g().intern(op, Shape::Labels(c, tb)), Kind::Seq)
            }
            _ => {
                return Err(format!(
                    "input {} is a matrix, and a batch of matrices is not a matrix",
                    cx.name(n)
                ));
            }
        })
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        (cx.leaf_name(n), Prec::Atom)
    }
}

struct Const;

impl OpDef for Const {
    fn code(&self) -> &'static str {
        "const"
    }

    fn infer(&self, _: &Graph, _: &Op) -> Shape {
        Shape::Scalar
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, _: &[Lifted]) -> Result<Lifted, String> {
        let op = cx.src().op(n);
        Ok((cx.g().intern(op, Shape::Scalar), Kind::Shared))
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let c = cx.g().op(n).constant().unwrap_or(0.0);
        let s = cx.scalar();
        quote!(<#s as ::shapegrad::Scalar>::from_f64(#c))
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let c = cx.g().op(n).constant()? as f32;
        Some(quote!(__g.constant(&[1, 1], [#c])))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let x = cx.g().op(n).constant().unwrap_or(0.0);
        (number(x), if x < 0.0 { Prec::Neg } else { Prec::Atom })
    }
}

/// Whether the net reads sequence leaf `n` only step by step in run-time
/// loops (`x[t]`): then its batch is a `Tensor3` (a `Sequences`), which
/// nothing else has a batched form over.
fn uses_steps(cx: &dyn LiftCx, n: NodeId) -> bool {
    let g = cx.src();
    let readers: Vec<&crate::net::model::Node> =
        g.nodes.iter().filter(|m| m.op.operands().contains(&n)).collect();
    !readers.is_empty() && readers.iter().all(|m| m.op.is("step"))
}
