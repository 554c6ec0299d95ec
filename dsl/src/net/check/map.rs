//! Maps over steps: `for t in T { let l[t] = …; }` without `init`.
//!
//! The body is checked as the net of one step, in a copy of the graph where
//! `z[t]` (for `z: [T, R]`) is a value `[R]`, `ys[t]` (for `ys: [T] of V`)
//! one label, and every other name the value outside. It is then lifted
//! into the net's graph with the steps as the batch, one step per column, by
//! the same rules that batch a net (the op registry's `lift`): `z[t]`
//! becomes `zᵀ` `[R×T]`, `ys[t]` the sequence itself, what does not depend
//! on `t` stays as it is. After the loop `l` is `[T, …]` (a step's `[R]`
//! column becomes row `t`; a step's scalar, entry `t` of a `[T]` vector).
//! So a map costs no loop at run time and its code does not grow with `T`.

use std::collections::HashMap;

use syn::Ident;

use super::{Builder, Entry, Kind, Model};
use crate::net::batch::lift_node;
use crate::net::model::{Attr, DimId, Graph, NodeId, ONE, Op, Shape};
use crate::net::ops::{self, LiftCx, Lifted};
use crate::net::parse::{BinOp, DimAst, Expr, ExprKind, Stmt, expr_error};
use crate::net::source::source_text;

/// What the body of a `for` is checked in.
#[derive(Clone)]
pub(super) struct StepCx {
    /// The loop's variable (`t`) and dim (`T`).
    var: String,
    dim: DimId,
    /// Each step leaf (`z[t]`): the value it is a step of, and how.
    leaves: HashMap<NodeId, (NodeId, Form)>,
    /// The sequences defined so far in the body (`l` of `let l[t]`).
    steps: HashMap<String, NodeId>,
    /// In a run-time loop (a `for` with `init`): its index in the graph's
    /// loops and its states by name (those whose `init` failed: `None`).
    recur: Option<(usize, HashMap<String, Option<usize>>)>,
    /// Every sequence the body defines (`let NAME[t]`), before or after.
    body_names: Vec<String>,
}

impl StepCx {
    pub(super) fn new(
        var: &Ident,
        dim: DimId,
        body: &[Stmt],
        recur: Option<(usize, HashMap<String, Option<usize>>)>,
    ) -> Self {
        let body_names = body
            .iter()
            .filter_map(|s| match s {
                Stmt::StepLet { name, .. } => Some(name.to_string()),
                _ => None,
            })
            .collect();
        StepCx { var: var.to_string(), dim, leaves: HashMap::new(), steps: HashMap::new(), recur, body_names }
    }

    /// Records step `t` of sequence `name`.
    pub(super) fn define(&mut self, name: &str, n: NodeId) {
        self.steps.insert(name.to_string(), n);
    }

    /// Whether the body has defined the sequence `name` so far.
    pub(super) fn defines(&self, name: &str) -> bool {
        self.steps.contains_key(name)
    }

    /// The loop's variable.
    pub(super) fn var(&self) -> &str {
        &self.var
    }

    /// Whether the body is a run-time loop's (a `for` with `init`), checked
    /// in the net's own graph as one step, rather than a map's, which is
    /// lifted over the steps from a graph of its own.
    pub(super) fn at_run_time(&self) -> bool {
        self.recur.is_some()
    }
}

/// How a step leaf is read from its value.
#[derive(Clone, Copy)]
enum Form {
    /// Row `t` of `z: [T, R]`: `zᵀ`, one column per step.
    Row,
    /// Entry `t` of `z: [T]`: `zᵀ`, a `[1×T]` row.
    Entry,
    /// Label `t` of a sequence `ys: [T] of V`: the sequence.
    Label,
}

impl Builder<'_> {
    /// Checks `for var in dim { body }` and defines each `let l[t]` after it.
    pub(super) fn map(&mut self, var: &Ident, dim: &DimAst, body: &[Stmt], m: &mut Model) {
        if body.iter().any(|s| matches!(s, Stmt::Init { .. })) {
            return self.recur(var, dim, body, m);
        }
        // Every sequence the loop defines, left undefined (not unknown) when
        // the loop fails: its uses get no follow-on errors.
        let undefined = |b: &mut Self| {
            for stmt in body {
                if let Stmt::StepLet { name, .. } = stmt
                    && !b.scope.contains_key(&name.to_string())
                {
                    b.scope.insert(name.to_string(), Entry { node: None, kind: Kind::Let });
                }
            }
        };
        let Some(t) = self.loop_dim(var, dim) else {
            undefined(self);
            return;
        };
        let errors_before = self.errors.len();
        // The body's own check, in a copy of the graph (node ids of values
        // outside the loop are the same in both).
        let (outer_len, outer_dims) = (self.g.nodes.len(), self.g.dims.len());
        let step = StepCx::new(var, t, body, None);
        let (body_graph, step, outputs) = {
            let mut sub = self.sub_builder(step);
            let outputs = sub.step_body(var, body);
            let (guesses, inferred, mut sizes) =
                (sub.guesses, std::mem::take(&mut sub.inferred), std::mem::take(&mut sub.size_checks));
            let (g, step) = (sub.g, sub.step);
            self.guesses = guesses;
            self.inferred.extend(inferred);
            self.size_checks.append(&mut sizes);
            (g, step, outputs)
        };
        let Some(step) = step else { return };
        // A body with an error is not lifted: its error alone is reported.
        if outputs.is_empty() || self.errors.len() > errors_before {
            undefined(self);
            return;
        }
        // New dims of the body, in the same order, so their ids agree.
        for d in outer_dims..body_graph.dims.len() {
            let id = self.g.dim_of(body_graph.dims[d].clone());
            debug_assert_eq!(id, d);
        }
        let roots: Vec<NodeId> = outputs.iter().map(|&(_, n)| n).collect();
        let lifted = match self.lift_steps(&body_graph, &step, &roots, (outer_len, t), m) {
            Ok(lifted) => lifted,
            Err(why) => {
                self.errors.at(
                    var.span(),
                    format!("this map over `{}` has no form over all steps at once: {why}", self.dim_text(t)),
                );
                undefined(self);
                return;
            }
        };
        self.bind_steps(var, outputs, &lifted, m);
    }

    /// A builder for a loop's body: the net's names, in a copy of its graph.
    fn sub_builder(&mut self, step: StepCx) -> Builder<'_> {
        Builder {
            g: self.g.clone(),
            errors: &mut *self.errors,
            scope: self.scope.clone(),
            all_lets: self.all_lets.clone(),
            failed_names: self.failed_names.clone(),
            guesses: self.guesses,
            current: String::new(),
            size_checks: Vec::new(),
            states: Vec::new(),
            inferred: self.inferred.clone(),
            placeholders: Vec::new(),
            known_infer: self.known_infer,
            step: Some(step),
            functions: self.functions.clone(),
            calling: Vec::new(),
            loop_vars: self.loop_vars.clone(),
            layers: self.layers.clone(),
            instances: self.instances.clone(),
            named: Vec::new(),
        }
    }

    /// The body's statements, each step's value with its name.
    fn step_body(&mut self, var: &Ident, body: &[Stmt]) -> Vec<(Ident, NodeId)> {
        let mut outputs: Vec<(Ident, NodeId)> = Vec::new();
        for stmt in body {
            match stmt {
                Stmt::StepLet { name, step, expr } => {
                    self.current = name.to_string();
                    if step != var {
                        self.errors.at(
                            step.span(),
                            format!("a step of this loop is `{name}[{var}]`, not `{name}[{step}]`"),
                        );
                        continue;
                    }
                    let node = self.expr(expr);
                    if self.scope.contains_key(&name.to_string()) || outputs.iter().any(|(o, _)| o == name) {
                        self.errors.at(name.span(), format!("`{name}` is already declared"));
                        continue;
                    }
                    if let Some(n) = node {
                        outputs.push((name.clone(), n));
                        if let Some(s) = self.step.as_mut() {
                            s.steps.insert(name.to_string(), n);
                        }
                    }
                }
                Stmt::Let { name, expr } => {
                    self.current = name.to_string();
                    let node = self.expr(expr);
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
                        "a `for` body holds `let` statements only (`let l[t] = …;` a step, `let h = …;` a temporary); declarations, `output` and `loss` go outside it",
                    );
                }
            }
        }
        outputs
    }

    /// Each node the steps' values need, lifted over all steps at once
    /// (`outer_len`: the nodes outside the loop, shared by every step).
    fn lift_steps(
        &mut self,
        body_graph: &Graph,
        step: &StepCx,
        roots: &[NodeId],
        (outer_len, t): (usize, DimId),
        m: &Model,
    ) -> Result<HashMap<NodeId, Lifted>, String> {
        let mut cx = StepLift { src: body_graph, g: &mut self.g, batch: t, names: &m.names };
        let mut lifted: HashMap<NodeId, Lifted> = HashMap::new();
        let needed = body_graph.closure(roots, |n| body_graph.op(n).operands().to_vec());
        for n in (0..body_graph.nodes.len()).filter(|&n| needed[n]) {
            let l = if n < outer_len {
                Ok((n, ops::Kind::Shared))
            } else if let Some(&(of, form)) = step.leaves.get(&n) {
                let (of, _) = lifted.get(&of).copied().unwrap_or((of, ops::Kind::Shared));
                Ok(match form {
                    Form::Row | Form::Entry => {
                        let kind =
                            if matches!(form, Form::Row) { ops::Kind::Column } else { ops::Kind::Scalar };
                        (cx.g.mk(Op::new("transpose", &[of])), kind)
                    }
                    Form::Label => (of, ops::Kind::Label),
                })
            } else {
                let args: Vec<Lifted> = body_graph.op(n).operands().iter().map(|a| lifted[a]).collect();
                lift_node(&mut cx, n, &args)
            };
            lifted.insert(n, l?);
        }
        Ok(lifted)
    }

    /// Each sequence the loop defines, `[T, R]` or `[T]`, bound to its name.
    fn bind_steps(
        &mut self,
        var: &Ident,
        outputs: Vec<(Ident, NodeId)>,
        lifted: &HashMap<NodeId, Lifted>,
        m: &mut Model,
    ) {
        for (name, n) in outputs {
            let (ln, kind) = lifted[&n];
            let node = match kind {
                ops::Kind::Column | ops::Kind::Scalar => self.g.mk(Op::new("transpose", &[ln])),
                ops::Kind::Shared => {
                    self.errors.at(
                        name.span(),
                        format!(
                            "`{name}[{var}]` is the same at every step: it does not depend on `{var}`; a value of every step is `let {name} = …;` outside the loop"
                        ),
                    );
                    continue;
                }
                _ => {
                    self.errors.at(
                        name.span(),
                        format!("`{name}[{var}]` is a label or a transposed step, not a value"),
                    );
                    continue;
                }
            };
            if self.unique(&name) {
                self.scope.insert(name.to_string(), Entry { node: Some(node), kind: Kind::Let });
                m.names.entry(node).or_insert_with(|| name.to_string());
            }
        }
    }

    /// The loop's dim: a named dim of the net (`for t in T`).
    pub(super) fn loop_dim(&mut self, var: &Ident, dim: &DimAst) -> Option<DimId> {
        if self.step.is_some() {
            self.errors.at(var.span(), "a `for` inside a `for` is not supported: one loop over steps");
            return None;
        }
        if matches!(dim, DimAst::Infer(_)) {
            self.errors.at(var.span(), "a loop runs over a dim of the net, `for t in T`, not `_`");
            return None;
        }
        self.dim(dim, var)
    }

    /// Whether `e` is the loop's variable (`t` of `for t in T`).
    pub(super) fn is_step_var(&self, e: &Expr) -> bool {
        matches!((&e.kind, &self.step), (ExprKind::Var(v), Some(s)) if *v == s.var)
    }

    /// Whether `e` mentions the loop's variable at all (`t - 1`).
    pub(super) fn mentions_step_var(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Var(_) => self.is_step_var(e),
            ExprKind::Binary { lhs, rhs, .. } => self.mentions_step_var(lhs) || self.mentions_step_var(rhs),
            ExprKind::Neg(a) => self.mentions_step_var(a),
            _ => false,
        }
    }

    /// `base[t]` inside a `for`: a step of a value whose first axis is the
    /// loop's dim, or of a sequence defined earlier in the body; in a loop
    /// with `init`, `h[t - k]` reads an earlier step of state `h`.
    pub(super) fn step_of(&mut self, e: &Expr, base: &Expr, index: &Expr) -> Option<NodeId> {
        let step = self.step.clone()?;
        let name = match &base.kind {
            ExprKind::Var(v) => Some(v.to_string()),
            _ => None,
        };
        if !self.is_step_var(index) {
            return self.earlier_step(e, name.as_deref(), index, &step);
        }
        if let Some(&n) = name.as_ref().and_then(|n| step.steps.get(n)) {
            return Some(n);
        }
        let b = self.expr(base)?;
        let t = step.dim;
        let (shape, form) = match self.g.shape(b) {
            Shape::Mat(r, ONE) if r == t => (Shape::Scalar, Form::Entry),
            Shape::Mat(r, c) if r == t => (Shape::Mat(c, ONE), Form::Row),
            Shape::Labels(v, r) if r == t => (Shape::Label(v), Form::Label),
            other => {
                let msg = format!(
                    "`{}` picks step `{}` along `{}`, but `{}` is {}, whose first axis is not `{2}`",
                    source_text(e),
                    step.var,
                    self.dim_text(t),
                    source_text(base),
                    self.text(other)
                );
                self.errors.push(expr_error(e, msg));
                return None;
            }
        };
        if let Some((k, _)) = step.recur {
            // A run-time loop reads row `t` where it runs.
            return Some(self.g.mk(Op::with("step", &[b], Attr::Loop(k))));
        }
        // A leaf of its own per value and form: an index no declaration has.
        let code = if self.g.op(b).is("label") { "label" } else { "input" };
        let key = usize::MAX - b;
        let leaf = self.g.intern(Op::with(code, &[], Attr::Index(key)), shape);
        if let Some(s) = self.step.as_mut() {
            s.leaves.insert(leaf, (b, form));
        }
        Some(leaf)
    }

    /// `h[t - k]`: step `t − k` of state `h` (its `init` before step 0), or
    /// the error of any other step than `t`.
    fn earlier_step(&mut self, e: &Expr, name: Option<&str>, index: &Expr, step: &StepCx) -> Option<NodeId> {
        let var = &step.var;
        let text = source_text(e);
        let lag = match &index.kind {
            ExprKind::Binary { op: BinOp::Sub, lhs, rhs } if self.is_step_var(lhs) => match rhs.kind {
                ExprKind::Num(k) if k >= 1.0 && k.fract() == 0.0 && k < 65536.0 => Some(k as u32),
                _ => None,
            },
            ExprKind::Binary { op: BinOp::Add, lhs, .. } if self.is_step_var(lhs) => {
                let msg = format!(
                    "`{text}` reads a later step, which step `{var}` cannot see: a loop reads the earlier steps of its states, `h[{var} - 1]`"
                );
                self.errors.push(expr_error(e, msg));
                return None;
            }
            _ => None,
        };
        let Some(lag) = lag else {
            let msg = format!(
                "`{text}`: a step is read as `NAME[{var}]`, or an earlier one as `NAME[{var} - k]` with `k` a whole number ≥ 1"
            );
            self.errors.push(expr_error(e, msg));
            return None;
        };
        let Some(name) = name else {
            let msg = format!("`{text}` reads an earlier step of a value that is not a state of this loop");
            self.errors.push(expr_error(e, msg));
            return None;
        };
        match step.recur.as_ref().map(|(k, states)| (*k, states.get(name).copied())) {
            Some((k, Some(Some(s)))) => {
                let shape = self.g.shape(self.g.loops[k].states[s].init);
                Some(self.g.intern(Op::with("prev", &[], Attr::State(k, s, lag)), shape))
            }
            // Its `init` failed, and was reported.
            Some((_, Some(None))) => None,
            _ if step.body_names.iter().any(|b| b == name) => {
                let msg = format!(
                    "`{text}` reads an earlier step of `{name}`, which has no `init`: add `init {name} = …;` to the loop, the value `{text}` reads before step 0"
                );
                self.errors.push(expr_error(e, msg));
                None
            }
            _ => {
                let msg = format!(
                    "`{text}` reads an earlier step of `{name}`, which this loop does not define: a loop reads the earlier steps of its own states (`init h = …; let h[{var}] = …;`)"
                );
                self.errors.push(expr_error(e, msg));
                None
            }
        }
    }
}

/// The lift of a `for` body into the net's graph, the steps as the batch.
struct StepLift<'a> {
    src: &'a Graph,
    g: &'a mut Graph,
    batch: DimId,
    names: &'a HashMap<NodeId, String>,
}

impl LiftCx for StepLift<'_> {
    fn src(&self) -> &Graph {
        self.src
    }

    fn g(&mut self) -> &mut Graph {
        self.g
    }

    fn batch(&self) -> DimId {
        self.batch
    }

    fn name(&self, n: NodeId) -> String {
        self.names.get(&n).map_or_else(|| "a value".to_string(), |s| format!("`{s}`"))
    }

    fn training(&self) -> bool {
        false
    }
}
