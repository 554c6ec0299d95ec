//! A stack of layers (`param blocks: [Residual; 4];`, called `blocks(h)`,
//! or `blocks(h, mask)`: the arguments after the first go to every member)
//! as a run-time loop over its members, so that its code and compile time
//! do not grow with its length: the recurrence
//! `for m in 4 { init blocks = h; let blocks[m] = Residual_m(blocks[m − 1]); }`
//! whose step is the layer's body once, reading member `m`'s params as
//! step `m` of their stack (`members`), and whose value is its last step.
//! Its backward pass is the loop's, backpropagation through the members;
//! each member's param gradient is its block of the stacked adjoint.
//!
//! The state is the argument's shape: a vector, or a per-example matrix
//! (a transformer block's `[T, D]`, whose stack is `N` blocks of it and whose
//! batch runs example by example). A stack inside another loop is expanded
//! member by member instead.

use std::collections::HashMap;

use syn::Ident;

use super::map::StepCx;
use super::{Builder, Entry, Kind};
use crate::net::model::{Attr, LoopInfo, LoopState, NodeId, ONE, Op, Shape};
use crate::net::parse::{Expr, LayerAst, Stmt, expr_error};
use crate::net::sizes::Lin;

impl Builder<'_> {
    /// Whether a stack called on `arg` runs as a loop: a vector argument,
    /// outside any loop, two members or more, every param of a known shape,
    /// each member's params declared in turn (as `instantiate` does).
    pub(super) fn stack_loops(&self, arg: NodeId, members: &[Vec<(String, Entry)>]) -> bool {
        if members.len() < 2 || members[0].is_empty() {
            return false;
        }
        // A vector, or a per-example matrix (`[T, D]`, whose batch runs example by example).
        let vector = matches!(self.g.shape(arg), Shape::Mat(r, _) if r != ONE);
        let params_known = members
            .iter()
            .flatten()
            .all(|(_, e)| e.node.is_some_and(|p| matches!(self.g.shape(p), Shape::Mat(..))));
        let in_turn = (0..members[0].len()).all(|j| strided(members, j).is_some());
        vector && self.step.is_none() && params_known && in_turn
    }

    /// The stack `key` of layer `l` on `arg` as a loop over its `members`:
    /// the value of its last member.
    pub(super) fn stack_loop(
        &mut self,
        (e, l): (&Expr, &LayerAst),
        key: &str,
        members: &[Vec<(String, Entry)>],
        args: &[NodeId],
    ) -> Option<NodeId> {
        // The state is the first argument; the others are every member's, the same at every step.
        let arg = args[0];
        let n = members.len();
        let var = loop_var(l);
        let t = self.g.number(n as u64);
        let k = self.g.loops.len();
        let state = LoopState { name: key.to_string(), init: arg, step: None, stack: None };
        self.g.loops.push(LoopInfo {
            var: var.clone(),
            dim: t,
            states: vec![state],
            batch: None,
            prev_adjoints: Vec::new(),
        });
        // Each param of every member, stacked: read block `m` at step `m`.
        let mut reads = Vec::new();
        for (j, (p, first)) in members[0].iter().enumerate() {
            let (Some(node), Some((index, stride))) = (first.node, strided(members, j)) else { return None };
            let Shape::Mat(r, c) = self.g.shape(node) else { return None };
            let rows = self.g.shaped(&[t, r]);
            let stacked = self.g.mk(Op::with("members", &[], Attr::Members(index, stride, n, rows, c)));
            self.named.push((stacked, format!("{key}.{p}")));
            let read = self.g.mk(Op::with("step", &[stacked], Attr::Loop(k)));
            reads.push((p.clone(), Entry { node: Some(read), kind: Kind::Let }));
        }
        let span = l.name.span();
        let ident = Ident::new(&var, span);
        let states = HashMap::from([(key.to_string(), Some(0))]);
        let outer = self.step.replace(StepCx::new(&ident, t, &[], Some((k, states))));
        let prev = self.g.mk(Op::with("prev", &[], Attr::State(k, 0, 1)));
        let values: Vec<NodeId> = std::iter::once(prev).chain(args[1..].iter().copied()).collect();
        let out = self.expand_member(l, key, (key, &format!("[{var}]")), reads, &values);
        self.step = outer;
        let out = out?;
        if self.g.shape(out) != self.g.shape(arg) {
            let msg = format!(
                "a stack applies its layers in turn, each to the value of the one before, so `{}` returns its argument's shape; `{key}` maps {} to {}",
                l.name,
                self.text(self.g.shape(arg)),
                self.text(self.g.shape(out))
            );
            self.errors.push(expr_error(e, msg));
            return None;
        }
        // Every member's value, `[N, R]` (`N` blocks of `[R×C]` for a matrix); the last is the call's.
        let Shape::Mat(r, c) = self.g.shape(out) else { return None };
        let stack = Op::with("stack", &[out], Attr::Loop(k));
        let stack = if c == ONE {
            self.g.mk(stack)
        } else {
            let rows = self.g.shaped(&[t, r]);
            self.g.intern(stack, Shape::Mat(rows, c))
        };
        let state = &mut self.g.loops[k].states[0];
        state.step = Some(out);
        state.stack = Some(stack);
        self.named.push((stack, key.to_string()));
        if c == ONE {
            let last = self.g.number(n as u64 - 1);
            return Some(self.g.mk(Op::with("pick", &[stack], Attr::Dims(last, ONE))));
        }
        // The last block: rows `(N − 1)·R .. N·R`, a slice.
        let rows = self.g.lin(r);
        let lo = self.g.linear(&Lin::number(0).plus(&rows, n as i64 - 1));
        let hi = self.g.linear(&Lin::number(0).plus(&rows, n as i64));
        Some(self.g.intern(Op::with("slice", &[stack], Attr::Dims(lo, hi)), Shape::Mat(r, c)))
    }
}

/// Param `j` of every member: the index of member 0's and the stride
/// between members', when the indices are evenly spaced.
fn strided(members: &[Vec<(String, Entry)>], j: usize) -> Option<(usize, usize)> {
    let index = |m: &Vec<(String, Entry)>| match m.get(j)?.1.kind {
        Kind::Param(i) => Some(i),
        _ => None,
    };
    let first = index(&members[0])?;
    let stride = index(members.get(1)?)?.checked_sub(first)?;
    members.iter().enumerate().all(|(i, m)| index(m) == Some(first + i * stride)).then_some((first, stride))
}

/// The loop's variable: `m`, or another letter the layer does not use.
fn loop_var(l: &LayerAst) -> String {
    let mut used: Vec<String> = l.args.iter().map(|a| a.to_string()).collect();
    for s in &l.body {
        match s {
            Stmt::Param { name, .. } | Stmt::Let { name, .. } => used.push(name.to_string()),
            _ => {}
        }
    }
    ["m", "j", "k", "i", "n"]
        .iter()
        .find(|v| !used.iter().any(|u| u == *v))
        .map_or("m_".into(), |v| v.to_string())
}
