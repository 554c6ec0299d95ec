//! Recurrences: `for t in T { init h = …; let h[t] = f(h[t - 1], x[t]); }`.
//!
//! Unlike a map (`map`), which is lifted into one computation over all
//! steps, a loop with `init` runs at run time: its body is checked once,
//! in the net's own graph, as the values of one step. `x[t]` is a `step`
//! op (row `t` of `x`), `h[t - k]` a `prev` op (state `h` `k` steps back,
//! its `init` before step 0), and every value built from them is a step
//! value of the loop (`Graph::loop_of`); what does not depend on `t` is an
//! ordinary value, computed once before the loop. After the loop, `h` is
//! the `stack` of its steps, `[T, …]`. So the code does not grow with `T`.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::Ident;

use super::map::StepCx;
use super::{Builder, Entry, Kind, Model};
use crate::net::model::{Attr, LoopInfo, LoopState, NodeId, ONE, Op, Shape};
use crate::net::parse::{DimAst, Stmt};

/// Each state of a loop by name: its index in the loop (`None` when its
/// `init` failed) and where its `init` names it.
type Inits = HashMap<String, (Option<usize>, Span)>;

impl Builder<'_> {
    /// Checks a `for` with `init` and defines each of its sequences after it.
    pub(super) fn recur(&mut self, var: &Ident, dim: &DimAst, body: &[Stmt], m: &mut Model) {
        let steps: Vec<&Ident> = body
            .iter()
            .filter_map(|s| match s {
                Stmt::StepLet { name, .. } => Some(name),
                _ => None,
            })
            .collect();
        let Some(t) = self.loop_dim(var, dim) else {
            for name in &steps {
                self.scope.insert(name.to_string(), Entry { node: None, kind: Kind::Let });
            }
            return;
        };
        let k = self.g.loops.len();
        let info = LoopInfo {
            var: var.to_string(),
            dim: t,
            states: Vec::new(),
            batch: None,
            prev_adjoints: Vec::new(),
        };
        self.g.loops.push(info);
        let inits = self.inits(var, body, &steps, k);
        let states: HashMap<String, Option<usize>> =
            inits.iter().map(|(n, &(s, _))| (n.clone(), s)).collect();
        let outer_scope = self.scope.clone();
        self.step = Some(StepCx::new(var, t, body, Some((k, states.clone()))));
        let outputs = self.steps(var, body, k, &inits, m);
        // The body's temporaries end with it.
        self.step = None;
        self.scope = outer_scope;
        for (name, n) in outputs {
            let stack = self.g.mk(Op::with("stack", &[n], Attr::Loop(k)));
            if let Some(Some(s)) = states.get(&name.to_string()) {
                let state = &mut self.g.loops[k].states[*s];
                state.step = Some(n);
                state.stack = Some(stack);
            }
            if self.unique(&name) {
                self.scope.insert(name.to_string(), Entry { node: Some(stack), kind: Kind::Let });
                m.names.entry(stack).or_insert_with(|| name.to_string());
            }
        }
        for name in steps {
            self.scope.entry(name.to_string()).or_insert(Entry { node: None, kind: Kind::Let });
        }
    }

    /// The states' `init`s of loop `k`, checked outside the loop (they read
    /// no step): each state's index in the loop (`None` when its `init`
    /// failed) and where its name is written.
    fn inits(&mut self, var: &Ident, body: &[Stmt], steps: &[&Ident], k: usize) -> Inits {
        let mut inits = Inits::new();
        for stmt in body {
            let Stmt::Init { name, expr } = stmt else { continue };
            self.current = name.to_string();
            let key = name.to_string();
            if inits.contains_key(&key) {
                self.errors.at(name.span(), format!("`init {name}` is given twice in this loop"));
                continue;
            }
            let node = self.expr(expr);
            if !steps.iter().any(|s| **s == *name) {
                self.errors.at(
                    name.span(),
                    format!(
                        "`init {name}` gives a state its value before step 0, but this loop defines no `{name}`: add `let {name}[{var}] = …;`"
                    ),
                );
                inits.insert(key, (None, name.span()));
                continue;
            }
            let state = node.and_then(|n| match self.g.shape(n) {
                Shape::Mat(r, ONE) if r != ONE => Some(n),
                other => {
                    let msg = format!(
                        "a state of a loop is a vector `[N]`, but `init {name}` is {}: a scalar or a matrix state is not supported yet",
                        self.text(other)
                    );
                    self.errors.at(name.span(), msg);
                    None
                }
            });
            let index = state.map(|init| {
                let states = &mut self.g.loops[k].states;
                states.push(LoopState { name: key.clone(), init, step: None, stack: None });
                states.len() - 1
            });
            inits.insert(key, (index, name.span()));
        }
        inits
    }

    /// The body of loop `k` as one step: each `let NAME[t]`'s step value.
    fn steps(
        &mut self,
        var: &Ident,
        body: &[Stmt],
        k: usize,
        inits: &Inits,
        m: &mut Model,
    ) -> Vec<(Ident, NodeId)> {
        let mut outputs: Vec<(Ident, NodeId)> = Vec::new();
        for stmt in body {
            match stmt {
                Stmt::Init { .. } => {}
                Stmt::StepLet { name, step, expr } => {
                    self.current = name.to_string();
                    if step != var {
                        self.errors.at(
                            step.span(),
                            format!("a step of this loop is `{name}[{var}]`, not `{name}[{step}]`"),
                        );
                        continue;
                    }
                    let errors_before = self.errors.len();
                    let node = self.expr(expr);
                    if node.is_none() {
                        // Its reads are not followed by errors of their own.
                        self.failed_names.insert(name.to_string());
                        self.init_note(name, k, inits, errors_before);
                    }
                    if self.scope.contains_key(&name.to_string()) || outputs.iter().any(|(o, _)| o == name) {
                        self.errors.at(name.span(), format!("`{name}` is already declared"));
                        continue;
                    }
                    let Some(n) = node else { continue };
                    let state = inits.get(&name.to_string()).map(|&(s, _)| s);
                    if let Some(n) = self.step_value(name, n, k, state.as_ref()) {
                        m.names.entry(n).or_insert_with(|| format!("{name}[{var}]"));
                        outputs.push((name.clone(), n));
                        if let Some(s) = self.step.as_mut() {
                            s.define(&name.to_string(), n);
                        }
                    }
                }
                Stmt::Let { name, expr } => {
                    self.current = name.to_string();
                    let node = self.expr(expr);
                    if let Some(n) = node {
                        // A step value by its step, `a[t]`; what the loop does not change by its name.
                        let per_step = self.g.loop_of()[n] == Some(k);
                        let shown = if per_step { format!("{name}[{var}]") } else { name.to_string() };
                        m.names.entry(n).or_insert(shown);
                    }
                    if self.unique(name) {
                        self.scope.insert(name.to_string(), Entry { node, kind: Kind::Let });
                    }
                }
                Stmt::For { var: inner, .. } => {
                    self.errors
                        .at(inner.span(), "a `for` inside a `for` is not supported: one loop over steps");
                }
                _ => {
                    self.errors.at(
                        var.span(),
                        "a `for` body holds `init` and `let` statements only (`init h = …;` a state's value before step 0, `let h[t] = …;` a step, `let a = …;` a temporary); declarations, `output` and `loss` go outside it",
                    );
                }
            }
        }
        outputs
    }

    /// After a failed step of a state whose errors name a read of an
    /// earlier step (`h[t - 1]`, which has `init`'s shape): the `init` is
    /// the likelier slip, and is said to be so where it is written.
    fn init_note(&mut self, name: &Ident, k: usize, inits: &Inits, since: usize) {
        let Some(&(Some(s), span)) = inits.get(&name.to_string()) else { return };
        let var = self.g.loops[k].var.clone();
        let read = format!("`{name}[{var} - ");
        // (Errors about the reads themselves name them too, and are no slip of shape.)
        let of_shape = |e: String| e.contains(&read) && !e.contains(" reads ");
        if !self.errors.iter().skip(since).any(|e| of_shape(e.to_string())) {
            return;
        }
        let init = self.g.shape(self.g.loops[k].states[s].init);
        let msg = format!(
            "`init {name}` is {}, the shape of `{name}[{var} - 1]` before step 0 and so of every step of `{name}`; if `{name}[{var}]` is another shape, `init {name}` is the slip",
            self.text(init)
        );
        self.errors.at(span, msg);
    }

    /// Step `t` of sequence `name`, checked: a vector or a scalar that
    /// depends on the step, of its `init`'s shape for a state.
    fn step_value(
        &mut self,
        name: &Ident,
        n: NodeId,
        k: usize,
        state: Option<&Option<usize>>,
    ) -> Option<NodeId> {
        let var = self.g.loops[k].var.clone();
        let shape = self.g.shape(n);
        if !matches!(shape, Shape::Scalar | Shape::Mat(_, ONE)) {
            let msg = format!(
                "a step of a sequence is a vector or a scalar, but `{name}[{var}]` is {}",
                self.text(shape)
            );
            self.errors.at(name.span(), msg);
            return None;
        }
        if let Some(&Some(s)) = state {
            let init = self.g.shape(self.g.loops[k].states[s].init);
            if init != shape {
                let msg = format!(
                    "`{name}[{var}]` is {}, but `init {name}` is {}: every step of a state has its `init`'s shape",
                    self.text(shape),
                    self.text(init)
                );
                self.errors.at(name.span(), msg);
                return None;
            }
        }
        if self.g.loop_of()[n] != Some(k) {
            let msg = format!(
                "`{name}[{var}]` is the same at every step: it does not depend on `{var}`; a value of every step is `let {name} = …;` outside the loop"
            );
            self.errors.at(name.span(), msg);
            return None;
        }
        Some(n)
    }
}
