//! The named values of a checked net, for tools that show a net: each
//! param, input, label, `let` and the loss, with its shape in the user's
//! dims, where it is written and which named values it reads directly —
//! the graph a page draws. Filled in for a net with errors too, from what
//! checked.

use std::collections::{HashMap, HashSet};

use proc_macro2::Span;

use super::analysis::Position;
use super::check::Model;
use super::model::NodeId;
use super::parse::{NetAst, Stmt};

/// What a named value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Param,
    Input,
    Label,
    Let,
    Loss,
}

/// One named value of a net.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub name: String,
    pub kind: ValueKind,
    /// Its shape in the user's dims (`[H]`, `[C×H]`, `scalar`, `a label in
    /// 0..C`); `None` when its statement had an error.
    pub shape: Option<String>,
    /// Where its name (the `loss` keyword for the loss) is written.
    pub at: Position,
    /// The named values its expression reads directly, in first-use order.
    pub reads: Vec<String>,
}

/// The named values of one net.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetValues {
    pub net: String,
    /// Where `net Name` is written.
    pub at: Position,
    pub values: Vec<Value>,
}

fn position(span: Span) -> Position {
    let lc = span.start();
    Position { line: lc.line, column: lc.column }
}

/// The named values of net `ast` as checked into `m`.
pub fn values(ast: &NetAst, m: &Model) -> NetValues {
    let g = &m.graph;
    // Each named node, by the name the user wrote first for it.
    let by_name: HashMap<&str, NodeId> = m.names.iter().map(|(&n, s)| (s.as_str(), n)).collect();
    let named: HashSet<NodeId> = m.names.keys().copied().collect();
    let reads = |n: NodeId| -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut stack: Vec<NodeId> = g.op(n).operands().iter().rev().copied().collect();
        while let Some(k) = stack.pop() {
            if !seen.insert(k) {
                continue;
            }
            if named.contains(&k) {
                let s = m.names[&k].clone();
                if !out.contains(&s) {
                    out.push(s);
                }
                continue;
            }
            stack.extend(g.op(k).operands().iter().rev());
        }
        out
    };
    let mut values = Vec::new();
    let mut push = |name: String, kind: ValueKind, span: Span, node: Option<NodeId>| {
        let shape = node.map(|n| g.shape_text(g.shape(n)));
        let r = match kind {
            ValueKind::Let | ValueKind::Loss => node.map(reads).unwrap_or_default(),
            _ => Vec::new(),
        };
        values.push(Value { name, kind, shape, at: position(span), reads: r });
    };
    let node_of = |name: &str| by_name.get(name).copied();
    let mut stmts: Vec<&Stmt> = Vec::new();
    for s in &ast.stmts {
        match s {
            Stmt::For { body, .. } => stmts.extend(body.iter()),
            s => stmts.push(s),
        }
    }
    for s in stmts {
        match s {
            Stmt::Param { name, .. } => {
                push(name.to_string(), ValueKind::Param, name.span(), node_of(&name.to_string()))
            }
            Stmt::Input { name, .. } | Stmt::Index { name, .. } => {
                push(name.to_string(), ValueKind::Input, name.span(), node_of(&name.to_string()))
            }
            Stmt::Label { name, .. } => {
                push(name.to_string(), ValueKind::Label, name.span(), node_of(&name.to_string()))
            }
            Stmt::Indices { name, label, .. } => {
                let kind = if *label { ValueKind::Label } else { ValueKind::Input };
                push(name.to_string(), kind, name.span(), node_of(&name.to_string()))
            }
            Stmt::Let { name, .. } | Stmt::StepLet { name, .. } => {
                push(name.to_string(), ValueKind::Let, name.span(), node_of(&name.to_string()))
            }
            Stmt::Loss { keyword, .. } => push("loss".into(), ValueKind::Loss, *keyword, m.loss),
            _ => {}
        }
    }
    NetValues { net: ast.name.to_string(), at: position(ast.name.span()), values }
}
