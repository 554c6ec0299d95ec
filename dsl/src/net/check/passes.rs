//! The passes of `build` over a net's statements: the declarations first
//! (params, instances, inputs and labels may be used anywhere), then every
//! statement in order, then the rules about the whole net.

use std::collections::HashSet;

use proc_macro2::Span;
use syn::Ident;

use super::{ArgKind, Builder, Decl, Entry, Kind, Model, dims};
use crate::net::model::{Attr, DimKind, NodeId, Op};
use crate::net::parse::{NetAst, Stmt};
use crate::net::source::source_text;

impl Builder<'_> {
    /// Rule: params, inputs and labels may be used anywhere, so they are read first.
    pub(super) fn declarations(&mut self, ast: &NetAst, m: &mut Model) {
        for stmt in &ast.stmts {
            if let Stmt::Layer(l) = stmt {
                self.define_layer(l);
            }
        }
        // Rule: params, inputs and labels may be used anywhere, so they are read first.
        for stmt in &ast.stmts {
            match stmt {
                Stmt::Instance { attrs, name, layer, dims, count } => {
                    self.instantiate(&mut m.params, attrs, name, (layer, dims, *count))
                }
                Stmt::Param { attrs, name, shape, init } => {
                    let index = m.params.len();
                    let mut decl = self.declare(
                        name,
                        attrs,
                        Some(shape),
                        None,
                        Kind::Param(index),
                        Op::with("param", &[], Attr::Index(index)),
                    );
                    decl.init = *init;
                    m.params.push(decl);
                }
                Stmt::Input { .. } | Stmt::Indices { .. } | Stmt::Index { .. } | Stmt::Label { .. } => {
                    self.declare_arg(stmt, m)
                }
                Stmt::Let { name, .. } => {
                    self.all_lets.insert(name.to_string());
                }
                Stmt::Fn { name, params, body } => self.define(name, params, body),
                Stmt::For { body, var, dim } => {
                    for s in body {
                        if let Stmt::StepLet { name, .. } = s {
                            self.all_lets.insert(name.to_string());
                        }
                    }
                    self.loop_vars.insert(var.to_string(), dim.text());
                }
                _ => {}
            }
        }
        // Rule: a net has something to train.
        let param_failed = ast.failed.iter().any(|(kw, _)| kw == "param");
        if m.params.is_empty() && !param_failed {
            self.errors.at(
                m.name.span(),
                format!("net `{}` has no `param`; declare what is trained, e.g. `param W: [H, D];`", m.name),
            );
        }
    }

    /// An input, a target, an index, a sequence of indices or a label.
    fn declare_arg(&mut self, stmt: &Stmt, m: &mut Model) {
        match stmt {
            Stmt::Input { attrs, name, shape, target } => {
                // Rule: a target is one value per output feature, a vector.
                if *target && shape.dims.len() != 1 {
                    self.errors.at(
                            name.span(),
                            format!(
                                "target `{name}` has {} dims; a target is a vector of real values, e.g. `target {name}: [O];`",
                                shape.dims.len()
                            ),
                        );
                }
                let index = m.args.len();
                let decl = self.declare(
                    name,
                    attrs,
                    Some(shape),
                    None,
                    Kind::Input,
                    Op::with("input", &[], Attr::Index(index)),
                );
                m.args.push((if *target { ArgKind::Target } else { ArgKind::Input }, decl));
            }
            // A sequence of indices (an input) or of labels: `Classes<V, T>`.
            Stmt::Indices { attrs, name, len, dim, label } => {
                let index = m.args.len();
                let (kind, arg, code) = if *label {
                    (Kind::Label, ArgKind::Label, "label")
                } else {
                    (Kind::Input, ArgKind::Index, "input")
                };
                let decl = self.declare(
                    name,
                    attrs,
                    Some(len),
                    Some(dim),
                    kind,
                    Op::with(code, &[], Attr::Index(index)),
                );
                m.args.push((arg, decl));
            }
            // An index input and a label: a class index in `0..dim`, the
            // first an input (`forward` takes it), the second an answer.
            Stmt::Index { attrs, name, dim } | Stmt::Label { attrs, name, dim } => {
                let index = m.args.len();
                let (kind, arg, code) = match stmt {
                    Stmt::Index { .. } => (Kind::Input, ArgKind::Index, "input"),
                    _ => (Kind::Label, ArgKind::Label, "label"),
                };
                let decl =
                    self.declare(name, attrs, None, Some(dim), kind, Op::with(code, &[], Attr::Index(index)));
                m.args.push((arg, decl));
            }
            _ => {}
        }
    }

    /// Every statement in order; the `loss` keyword, if there is one.
    pub(super) fn statements(&mut self, ast: &NetAst, m: &mut Model) -> Option<Span> {
        let mut loss_keyword: Option<Span> = None;
        for stmt in &ast.stmts {
            match stmt {
                Stmt::Let { name, expr } => {
                    self.all_lets.remove(&name.to_string());
                    self.current = name.to_string();
                    let node = self.expr(expr);
                    if self.unique(name) {
                        self.scope.insert(name.to_string(), Entry { node, kind: Kind::Let });
                    }
                    if let Some(n) = node {
                        m.names.entry(n).or_insert_with(|| name.to_string());
                    }
                }
                Stmt::For { var, dim, body } => {
                    for s in body {
                        if let Stmt::StepLet { name, .. } = s {
                            self.all_lets.remove(&name.to_string());
                        }
                    }
                    self.map(var, dim, body, m);
                }
                Stmt::Init { name, .. } => {
                    self.errors.at(
                        name.span(),
                        format!("`init {name} = …;` gives a state of a loop its value before step 0: it goes inside `for t in T {{ … }}`, beside `let {name}[t] = …;`"),
                    );
                }
                Stmt::StepLet { name, step, .. } => {
                    self.errors.at(
                        name.span(),
                        format!("`let {name}[{step}] = …;` defines a step of a sequence, inside `for {step} in T {{ … }}`"),
                    );
                }
                Stmt::Output { name } => {
                    let node = self.output(name);
                    m.outputs.push((name.clone(), node));
                }
                Stmt::Loss { keyword, expr } => {
                    // Rule: a net has exactly one loss.
                    if loss_keyword.is_some() {
                        self.errors.at(*keyword, "a net has one `loss`, and this is a second one");
                        continue;
                    }
                    loss_keyword = Some(*keyword);
                    self.current = "loss".into();
                    m.loss = self.loss(expr);
                    m.loss_text = source_text(expr);
                }
                Stmt::GradInput { name } => self.grad_input(name, m),
                Stmt::Grad { name, expr } => {
                    // A `grad` line is no `let`: nothing in it may name state.
                    self.current = String::new();
                    if let Some(g) = self.hand_grad(name, expr, m) {
                        m.hand_grads.push(g);
                    }
                }
                Stmt::Fn { .. }
                | Stmt::Layer(_)
                | Stmt::Instance { .. }
                | Stmt::Param { .. }
                | Stmt::Input { .. }
                | Stmt::Index { .. }
                | Stmt::Indices { .. }
                | Stmt::Label { .. } => {}
            }
        }
        loss_keyword
    }

    /// Rule: `grad x;` names an input of real values, once.
    fn grad_input(&mut self, name: &Ident, m: &mut Model) {
        // Rule: `grad x;` names an input of real values, once.
        let found = m.args.iter().position(|(_, a)| a.name == *name);
        match found.map(|i| (i, m.args[i].0)) {
                Some((i, ArgKind::Input)) if !m.input_grads.contains(&i) => m.input_grads.push(i),
                Some((_, ArgKind::Input)) => self.errors.at(name.span(), format!("`grad {name};` is given twice")),
                Some((_, kind)) => {
                    let what = match kind {
                        ArgKind::Label => "a label",
                        ArgKind::Index => "an index",
                        _ => "a target",
                    };
                    self.errors.at(
                        name.span(),
                        format!("`grad {name};` asks for the gradient of an input of real values, but `{name}` is {what}, which has none"),
                    )
                }
                None if m.params.iter().any(|p| p.name == *name) => self.errors.at(
                    name.span(),
                    format!("`{name}` is a param, whose gradient `grad` always returns; `grad {name};` is for inputs (a hand-written gradient is `grad {name} = …;`)"),
                ),
                None => self.errors.at(name.span(), format!("`grad {name};` names no input of this net")),
            }
    }

    /// The rules about the whole net, after its statements.
    pub(super) fn finish(
        &mut self,
        ast: &NetAst,
        m: &mut Model,
        loss_keyword: Option<Span>,
        first_error: usize,
    ) {
        // Rule: the loss is required (unless its statement did not parse).
        if loss_keyword.is_none() && !ast.failed.iter().any(|(kw, _)| kw == "loss") {
            self.errors.at(
                m.name.span(),
                format!(
                    "net `{}` has no `loss` statement; add one, e.g. `loss softmax_cross_entropy(z, y);`",
                    m.name
                ),
            );
        }
        for decl in m.params.iter().chain(m.args.iter().map(|(_, a)| a)) {
            if let Some(n) = decl.node {
                m.names.entry(n).or_insert_with(|| decl.key());
            }
        }
        for (n, name) in self.named.drain(..) {
            m.names.entry(n).or_insert(name);
        }
        if let Some(loss) = m.loss {
            self.check_uses(m, loss);
        }
        // A declaration every use of which failed one way is the likelier slip.
        let decls: Vec<&Decl> = m.params.iter().chain(m.args.iter().map(|(_, a)| a)).collect();
        // (A failed expression's guessed shape is no use that checked.)
        let used: HashSet<NodeId> = self
            .g
            .nodes
            .iter()
            .filter(|n| !n.op.is("guess"))
            .flat_map(|n| n.op.operands().to_vec())
            .collect();
        self.errors.redirect_slips(first_error, |n| {
            (!used.contains(&n))
                .then(|| decls.iter().find(|d| d.node == Some(n)).map(|d| d.name.span()))
                .flatten()
        });
        // A dim named in one declaration only may be no dim in scope at all.
        let lone = dims::lone_dims(ast);
        self.errors.mark_lone_dims(first_error, |t| lone.iter().any(|l| l == t));
        // Rule: derived sizes need the dims' types, not a generic net's parameters.
        let derived = self
            .g
            .dims
            .iter()
            .any(|d| !matches!(d.kind, DimKind::Named | DimKind::Number(_) | DimKind::Infer));
        if derived && !ast.generics.is_empty() {
            self.errors.at(
                m.name.span(),
                format!("net `{}` is generic over its dims, and convolution, pooling and flatten derive sizes from dims that must be concrete; declare them with `dims!` instead of as parameters", m.name),
            );
        }
    }
}
