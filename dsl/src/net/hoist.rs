//! Loop-invariant work out of a run-time loop, in the per-example code: a
//! product of a value outside the loop and a step of a sequence,
//! `Wx @ x[t]`, becomes step `t` of one product over every step before the
//! loop, `(x Wxᵀ)[t]`, as cuDNN does with an RNN's input projections. Its
//! adjoint then follows: the backward loop writes `∂(x Wxᵀ)` row by row
//! and `∂Wx` is one product after it. So `T` matrix-vector products become
//! one matrix product each way.
//!
//! Only the per-example code is rewritten: a batch of sequences is `T`
//! blocks of `[D×B]`, whose per-step products are matrix products already,
//! and the derivation keeps the net as written.

use std::collections::HashMap;

use super::check::{Decl, Model};
use super::model::{Graph, NodeId, Op};

/// The per-example model with its loops' input products hoisted, when it
/// has one; it takes `m`'s size checks, which its code states.
pub fn hoist(m: &mut Model) -> Option<Model> {
    let g = &m.graph;
    let of = g.loop_of();
    let hoistable = |n: NodeId| {
        let op = g.op(n);
        if !op.is("matmul") || op.operands().len() != 2 {
            return false;
        }
        let (a, s) = (op.arg(0), g.op(op.arg(1)));
        let per_example = matches!(s.attr, super::model::Attr::Loop(k) if g.loops[k].batch.is_none());
        s.is("step") && per_example && of[a].is_none() && of[s.arg(0)].is_none()
    };
    if !(0..g.nodes.len()).any(hoistable) {
        return None;
    }
    let mut h = Graph::default();
    for d in g.dims.iter().skip(1) {
        h.dim_of(d.clone());
    }
    h.loops = g.loops.clone();
    let mut map: Vec<NodeId> = Vec::with_capacity(g.nodes.len());
    for n in 0..g.nodes.len() {
        let op = g.op(n);
        let new = if hoistable(n) {
            let step = g.op(op.arg(1));
            let (a, x) = (map[op.arg(0)], map[step.arg(0)]);
            let at = h.mk(Op::new("transpose", &[a]));
            let product = h.mk(Op::new("matmul", &[x, at]));
            h.mk(Op::with("step", &[product], step.attr))
        } else {
            let args: Vec<NodeId> = op.operands().iter().map(|&a| map[a]).collect();
            h.intern(Op::with(op.code, &args, op.attr), g.shape(n))
        };
        map.push(new);
    }
    for l in &mut h.loops {
        for s in &mut l.states {
            s.init = map[s.init];
            s.step = s.step.map(|n| map[n]);
            s.stack = s.stack.map(|n| map[n]);
        }
    }
    let decl = |d: &Decl| Decl {
        name: d.name.clone(),
        attrs: d.attrs.clone(),
        shape: d.shape,
        node: d.node.map(|n| map[n]),
        init: d.init,
        layer: d.layer.clone(),
    };
    let names: HashMap<NodeId, String> = m.names.iter().map(|(&n, s)| (map[n], s.clone())).collect();
    Some(Model {
        graph: h,
        attrs: m.attrs.clone(),
        vis: m.vis.clone(),
        name: m.name.clone(),
        generics: m.generics.clone(),
        params: m.params.iter().map(decl).collect(),
        args: m.args.iter().map(|(k, d)| (*k, decl(d))).collect(),
        names,
        outputs: m.outputs.iter().map(|(name, n)| (name.clone(), n.map(|n| map[n]))).collect(),
        loss: m.loss.map(|n| map[n]),
        loss_text: m.loss_text.clone(),
        hand_grads: m.hand_grads.iter().map(|&(p, n)| (p, map[n])).collect(),
        input_grads: m.input_grads.clone(),
        size_checks: std::mem::take(&mut m.size_checks),
        states: m.states.clone(),
    })
}
