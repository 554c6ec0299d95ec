//! The ops of a run-time loop over steps (`for t in T` with `init`): how a
//! step reads a sequence (`step`: `x[t]`, `prev`: `h[t − 1]`), how the
//! loop's results are collected (`stack`: every step of `h` as `[T, …]`),
//! and what the backward loop, which runs `t` from `T − 1` down to 0,
//! adds: `sum_steps` (`∂Wh = Σ_t …`), `carried` (what step `t + 1` sent
//! back to `h[t]`) and `init_adjoint` (what step 0 sent back to `init`).
//!
//! Their adjoints are a loop's own: `step` and `stack` are each other's
//! (row `t` read forward is row `t` written backward); the reads of
//! earlier steps are summed by the backward pass itself (`autodiff`).
//! The loop's statements around these (`for __t in …`, the writes of the
//! results) are the generator's (`codegen::steps`); a loop has no batched
//! form by lift: a net with one runs its batch example by example.

use proc_macro2::TokenStream;
use quote::quote;

use super::{EmitCx, Kind, LiftCx, Lifted, OpDef, Place, Prec, PrintCx, operand, size};
use crate::net::model::{Attr, Graph, LoopInfo, LoopState, NodeId, ONE, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[&Step, &Prev, &Stack, &SumSteps, &Carried, &InitAdjoint];

/// The state a `prev`, `carried` or `init_adjoint` op is about.
fn state<'g>(g: &'g Graph, op: &Op) -> Option<&'g LoopState> {
    match op.attr {
        Attr::State(k, s, _) => g.loops.get(k)?.states.get(s),
        _ => None,
    }
}

fn var(g: &Graph, op: &Op) -> String {
    match op.attr {
        Attr::Loop(k) | Attr::State(k, ..) => g.loops.get(k).map_or("t".into(), |l| l.var.clone()),
        _ => "t".into(),
    }
}

/// The lag of a `prev` (1 for `h[t - 1]`).
fn lag(op: &Op) -> u32 {
    match op.attr {
        Attr::State(_, _, lag) => lag,
        _ => 0,
    }
}

/// The adjoints of the reads of state `s` of loop `k` (every lag).
fn prev_adjoints(g: &Graph, op: &Op) -> Vec<NodeId> {
    match op.attr {
        Attr::State(k, s, _) => g.loops.get(k).map_or_else(Vec::new, |l| {
            l.prev_adjoints.iter().filter(|(st, ..)| *st == s).map(|&(.., d)| d).collect()
        }),
        _ => Vec::new(),
    }
}

/// The batched graph's loops, made when a loop's first step value is
/// lifted (after every state's `init`): the per-example table with each
/// `init` batched, `[H×B]` (a shared `init` broadcast to every column).
fn batched_loops(cx: &mut dyn LiftCx, op: &Op) -> Result<(), String> {
    let k = match op.attr {
        Attr::Loop(k) | Attr::State(k, ..) => k,
        _ => return Err("a step op of no loop".into()),
    };
    while cx.g().loops.len() <= k {
        let j = cx.g().loops.len();
        let src = cx.src().loops[j].clone();
        let b = cx.batch();
        let mut states = Vec::new();
        for s in &src.states {
            let Some((init, kind)) = cx.lifted(s.init) else {
                return Err(format!("the `init` of `{}` has no batched form", s.name));
            };
            let init = match (kind, cx.g().shape(init)) {
                (Kind::Column, _) => init,
                (Kind::Shared, Shape::Mat(r, ONE)) => {
                    cx.g().mk(Op::with("broadcast_cols", &[init], Attr::Dims(r, b)))
                }
                (other, _) => return Err(format!("the `init` of `{}` is {}", s.name, other.describe())),
            };
            states.push(LoopState { name: s.name.clone(), init, step: None, stack: None });
        }
        let info = LoopInfo { var: src.var, dim: src.dim, states, batch: Some(b), prev_adjoints: Vec::new() };
        cx.g().loops.push(info);
    }
    Ok(())
}

/// `x[t]`: row `t` of `x: [T, R]` as a column `[R]` (a scalar for
/// `x: [T]`, a label for `ys: [T] of V`).
struct Step;

impl OpDef for Step {
    fn code(&self) -> &'static str {
        "step"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let batch = match op.attr {
            Attr::Loop(k) => g.loops.get(k).and_then(|l| l.batch),
            _ => None,
        };
        match g.shape(op.arg(0)) {
            // A batch of sequences: block `t`, `[R×B]` (`Kind::Seq`).
            Shape::Mat(tr, b) if g.parts(tr).is_some_and(|p| p.len() == 2) => {
                Shape::Mat(g.parts(tr).map_or(ONE, |p| p[1]), b)
            }
            // A batch of `[T]` vectors, one per column: row `t`.
            Shape::Mat(_, b) if Some(b) == batch => Shape::Mat(ONE, b),
            Shape::Mat(_, ONE) => Shape::Scalar,
            Shape::Mat(_, r) => Shape::Mat(r, ONE),
            Shape::Labels(v, tb) => match g.parts(tb) {
                Some(&[_, b]) => Shape::Labels(v, b),
                _ => Shape::Label(v),
            },
            s => s,
        }
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let op = cx.src().op(n);
        batched_loops(cx, &op)?;
        let (x, kind) = args[0];
        let kind = match (kind, cx.g().shape(x)) {
            (Kind::Seq, Shape::Labels(..)) => Kind::Label,
            (Kind::Seq, _) => Kind::Column,
            (Kind::Column, _) => Kind::Scalar,
            (Kind::Shared, _) => Kind::Shared,
            (other, _) => {
                return Err(format!("a step of {} ({}) has no batched form", cx.name(n), other.describe()));
            }
        };
        Ok((cx.g().mk(Op::with("step", &[x], op.attr)), kind))
    }

    // The adjoint of a read of row `t` is a write of row `t`: the backward
    // pass collects it into `stack` of the backward loop.
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        vec![(g.op(n).arg(0), d)]
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (x, p) = (cx.val(cx.g().op(n).arg(0)), place.tokens);
        if matches!(cx.g().shape(n), Shape::Labels(..)) {
            return quote!(::shapegrad::steps::read_labels(&mut #p, #x, __t););
        }
        quote!(::shapegrad::steps::read(&mut #p, #x, __t);)
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let x = cx.val(cx.g().op(n).arg(0));
        quote!((#x)[(__t, 0)])
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let x = operand(cx, op.arg(0), &[Prec::Atom]);
        // Step `t` of an adjoint sequence, `(∂h)[t]`, is not the adjoint `∂h[t]` of step `t`.
        let adjoint = x.starts_with('∂') || x.starts_with("\\partial");
        let x = if adjoint { format!("({x})") } else { x };
        (format!("{x}[{}]", var(cx.g(), &op)), Prec::Atom)
    }
}

/// `h[t − k]`: step `t − k` of a state, its `init` before step 0.
struct Prev;

impl OpDef for Prev {
    fn code(&self) -> &'static str {
        "prev"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        state(g, op).map_or(Shape::Scalar, |s| g.shape(s.init))
    }

    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        let op = cx.g().op(n);
        state(cx.g(), &op).map_or_else(Vec::new, |s| [Some(s.init), s.stack].into_iter().flatten().collect())
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, _: &[Lifted]) -> Result<Lifted, String> {
        let op = cx.src().op(n);
        batched_loops(cx, &op)?;
        let shape = state(cx.g(), &op).map(|s| s.init).map_or(Shape::Scalar, |i| cx.g().shape(i));
        Ok((cx.g().intern(op, shape), Kind::Column))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let Some(s) = state(cx.g(), &op) else { return super::internal("a read of no state") };
        let Some(stack) = s.stack else { return super::internal("a state without steps") };
        let (init, seq, p) = (cx.val(s.init), cx.val(stack), place.tokens);
        let k = proc_macro2::Literal::usize_unsuffixed(lag(&op) as usize);
        quote! {
            if __t < #k {
                #p.copy_from(#init);
            } else {
                ::shapegrad::steps::read(&mut #p, #seq, __t - #k);
            }
        }
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let name = state(cx.g(), &op).map_or("?".into(), |s| s.name.clone());
        let minus = if cx.latex() { "-" } else { "−" };
        (format!("{name}[{} {minus} {}]", var(cx.g(), &op), lag(&op)), Prec::Atom)
    }
}

/// Every step of a step value, `[T, R]` (`[T]` for scalar steps).
struct Stack;

impl OpDef for Stack {
    fn code(&self) -> &'static str {
        "stack"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let t = match op.attr {
            Attr::Loop(k) => g.loops.get(k).map_or(ONE, |l| l.dim),
            _ => ONE,
        };
        match g.shape(op.arg(0)) {
            Shape::Mat(r, ONE) => Shape::Mat(t, r),
            _ => Shape::Mat(t, ONE),
        }
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let op = g.op(n);
        vec![(op.arg(0), g.mk(Op::with("step", &[d], op.attr)))]
    }

    // Steps `[R×B]` stack into `T` blocks (`Kind::Seq`), steps `[1×B]` into
    // the rows of `[T×B]`, one sequence per column.
    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let op = cx.src().op(n);
        let Attr::Loop(k) = op.attr else { return Err("a stack of no loop".into()) };
        let t = cx.src().loops[k].dim;
        let (x, kind) = args[0];
        let (shape, kind) = match (kind, cx.g().shape(x)) {
            (Kind::Scalar, Shape::Mat(_, b)) => (Shape::Mat(t, b), Kind::Column),
            (Kind::Column, Shape::Mat(r, b)) => (Shape::Mat(cx.g().shaped(&[t, r]), b), Kind::Seq),
            (Kind::Shared, _) => (cx.src().shape(n), Kind::Shared),
            (other, _) => return Err(format!("{} is {} at each step", cx.name(n), other.describe())),
        };
        let stack = cx.g().intern(Op::with("stack", &[x], op.attr), shape);
        // A state's steps and stack, in the batched loop's table.
        let src_states = &cx.src().loops[k].states;
        if let Some(s) = src_states.iter().position(|st| st.stack == Some(n)) {
            if kind != Kind::Seq {
                return Err(format!("state `{}` is the same for every example", src_states[s].name));
            }
            let state = &mut cx.g().loops[k].states[s];
            state.step = Some(x);
            state.stack = Some(stack);
        }
        Ok((stack, kind))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let x = operand(cx, op.arg(0), &[Prec::Atom]);
        (format!("[{x}]_{}", var(cx.g(), &op)), Prec::Atom)
    }
}

/// `Σ_t p[t]`: a step's part of the adjoint of a value outside the loop.
struct SumSteps;

impl OpDef for SumSteps {
    fn code(&self) -> &'static str {
        "sum_steps"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let p = operand(cx, op.arg(0), &[Prec::Atom, Prec::Post, Prec::MatMul, Prec::Hadamard, Prec::Factor]);
        let t = var(cx.g(), &op);
        let sigma = if cx.latex() { format!("\\sum_{{{t}}}") } else { format!("Σ_{t}") };
        (format!("{sigma} {p}"), Prec::Scale)
    }
}

/// What the steps after `t` sent back to state `h[t]` (the adjoints of
/// their reads `h[t + k − k]`), kept in a buffer of every step's.
struct Carried;

impl OpDef for Carried {
    fn code(&self) -> &'static str {
        "carried"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        state(g, op).map_or(Shape::Scalar, |s| g.shape(s.init))
    }

    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        prev_adjoints(cx.g(), &cx.g().op(n))
    }

    fn scratch(&self, cx: &dyn EmitCx, n: NodeId) -> Option<TokenStream> {
        let g = cx.g();
        let op = g.op(n);
        let (Attr::State(k, ..), Shape::Mat(r, c)) = (op.attr, g.shape(n)) else { return None };
        let (t, r, c) = (size(cx, g.loops[k].dim), size(cx, r), size(cx, c));
        Some(quote!(#t * #r * #c))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (rows, p) = (cx.scratch(n), place.tokens);
        quote!(::shapegrad::steps::read_carry(&mut #p, &#rows, __t);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let name = state(cx.g(), &op).map_or("?".into(), |s| s.name.clone());
        let t = var(cx.g(), &op);
        let (d, plus) = if cx.latex() { ("\\partial ", "^{+}") } else { ("∂", "⁺") };
        (format!("{d}{name}[{t}]{plus}"), Prec::Atom)
    }
}

/// What the reads before step 0 sent back to a state's `init`.
struct InitAdjoint;

impl OpDef for InitAdjoint {
    fn code(&self) -> &'static str {
        "init_adjoint"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        state(g, op).map_or(Shape::Scalar, |s| g.shape(s.init))
    }

    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        prev_adjoints(cx.g(), &cx.g().op(n))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let name = state(cx.g(), &op).map_or("?".into(), |s| s.name.clone());
        let d = if cx.latex() { "\\partial " } else { "∂" };
        let minus = if cx.latex() { "-" } else { "−" };
        (format!("{d}{name}[{minus}1]"), Prec::Atom)
    }
}
