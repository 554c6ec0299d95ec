//! Layers in the derivation: each layer's backward pass printed once, in
//! the layer's own names (`∂h = W2ᵀ ∂y`, `∂x = …`), and in the net's lines
//! each call's part of an adjoint by the call's name (`∂r = ∂x|r₂`,
//! `∂r.W2 = ∂W2|r + ∂W2|r₂`), the values inside a call's body left to the
//! layer's lines. A call is printed so only when its body is its own: no
//! node of it shared with the net but its value (`sealed`).

use std::collections::HashMap;

use super::loops::Block;
use super::{Line, Printer, Style, printer};
use crate::net::autodiff::Adjoints;
use crate::net::check::Model;
use crate::net::model::{LayerCall, NodeId};

/// Each layer's backward pass, once: its header and its lines (text, or
/// LaTeX), as the derivation prints them before the net's lines.
pub fn layer_passes(m: &Model, adj: &Adjoints, forward_len: usize, latex: bool) -> Vec<(String, Vec<Line>)> {
    let p = printer(m, forward_len, latex);
    let strip = |lhs: &str| lhs.trim_start_matches("∂").trim_start_matches("\\partial ").to_string();
    p.layer_blocks(adj)
        .into_iter()
        .map(|(header, rows)| {
            let lines = rows
                .into_iter()
                .map(|(adjoint, expression, shape)| Line {
                    value: strip(&adjoint),
                    adjoint,
                    expression,
                    shape,
                    step: None,
                })
                .collect();
            (header, lines)
        })
        .collect()
}

/// The calls the derivation prints by name: those whose body's nodes only
/// the body reads, but for its value.
pub(super) fn sealed(g: &crate::net::model::Graph, forward_len: usize) -> Vec<usize> {
    let mut read_outside = vec![false; g.nodes.len()];
    let outside = |n: NodeId, c: &LayerCall| !c.holds(n);
    (0..g.calls.len())
        .filter(|&k| {
            let c = &g.calls[k];
            read_outside.fill(false);
            for n in (0..forward_len).filter(|&n| outside(n, c)) {
                for &a in g.op(n).operands() {
                    read_outside[a] = true;
                }
            }
            (c.first..c.out).all(|n| !read_outside[n])
        })
        .collect()
}

impl Printer<'_> {
    fn call_list(&self) -> impl DoubleEndedIterator<Item = &LayerCall> {
        self.calls.iter().map(|&k| &self.g.calls[k])
    }

    /// Whether `n` is a value inside a call's body (not its value): the
    /// layer's lines give its adjoint.
    pub(super) fn inside_call(&self, n: NodeId) -> bool {
        self.call_list().any(|c| c.holds(n) && c.out != n)
    }

    /// `∂x|r₂`: the layer's adjoint `∂x` at the call whose value is `r₂`.
    fn at_call(&self, name: &str, call: &str) -> String {
        match self.style {
            Style::Latex => format!("\\left.{}\\right|_{{{{{}}}}}", self.adjoint(name), self.name(call)),
            Style::Text => format!("{}|{call}", self.adjoint(name)),
        }
    }

    /// The right-hand side of `n`'s line when some of its parts come from
    /// calls of layers (`n` an argument or a param of the call): those by
    /// the call (`∂x|r₂`), the others as usual; `None` when no part does.
    pub(super) fn by_calls(&self, adj: &Adjoints, n: NodeId) -> Option<String> {
        let parts = adj.parts.get(&n)?;
        let call_of = |consumer: NodeId| self.call_list().find(|c| c.holds(consumer) && !c.holds(n));
        if parts.iter().all(|&(consumer, _)| call_of(consumer).is_none()) {
            return None;
        }
        let mut terms: Vec<String> = Vec::new();
        let mut seen: Vec<NodeId> = Vec::new();
        for &(consumer, part) in parts {
            let Some(c) = call_of(consumer) else {
                terms.push(self.definition(part));
                continue;
            };
            if seen.contains(&c.out) {
                continue;
            }
            seen.push(c.out);
            for (name, _) in c.args.iter().chain(&c.params).filter(|&&(_, node)| node == n) {
                terms.push(self.at_call(name, &c.name));
            }
        }
        Some(terms.join(" + "))
    }

    /// Each layer's backward pass, once, in the layer's names: from the
    /// call of it whose arguments have the most adjoints (the first of
    /// those), its shapes that call's.
    pub(super) fn layer_blocks(&self, adj: &Adjoints) -> Vec<Block> {
        let mut layers: Vec<&str> = Vec::new();
        for c in self.call_list() {
            if !layers.contains(&c.layer.as_str()) {
                layers.push(&c.layer);
            }
        }
        let from_call = |c: &LayerCall, n: NodeId| -> Vec<NodeId> {
            let parts = adj.parts.get(&n).map_or(&[][..], Vec::as_slice);
            parts.iter().filter(|&&(consumer, _)| c.holds(consumer)).map(|&(_, p)| p).collect()
        };
        let mut blocks = Vec::new();
        for layer in layers {
            let calls = self.call_list().filter(|c| c.layer == layer);
            let with_adjoints =
                |c: &LayerCall| c.args.iter().filter(|&&(_, a)| !from_call(c, a).is_empty()).count();
            let Some(c) = calls.rev().max_by_key(|&c| with_adjoints(c)) else { continue };
            blocks.push(self.layer_block(adj, c, &from_call));
        }
        blocks
    }

    fn layer_block(
        &self,
        adj: &Adjoints,
        c: &LayerCall,
        from_call: &dyn Fn(&LayerCall, NodeId) -> Vec<NodeId>,
    ) -> Block {
        // The layer's value is `y`, unless the layer names something so.
        let taken = |v: &str| c.args.iter().chain(&c.params).chain(&c.lets).any(|(name, _)| name == v);
        let value = if taken("y") { "out" } else { "y" };
        let mut names = self.names.clone();
        for (name, node) in c.args.iter().chain(&c.params).chain(&c.lets) {
            names.insert(*node, name.clone());
        }
        names.insert(c.out, value.into());
        let mut p = Printer {
            g: self.g,
            names: &names,
            forward_len: self.forward_len,
            adjoint_names: HashMap::new(),
            style: self.style,
            inline: false,
            generics: self.generics.clone(),
            calls: Vec::new(),
            via_calls: HashMap::new(),
        };
        if let Some(&d) = adj.of.get(&c.out) {
            p.adjoint_names.insert(d, value.into());
        }
        let mut rows = Vec::new();
        for &n in adj.order.iter().filter(|n| c.lets.iter().any(|(_, l)| l == *n)) {
            let d = adj.of[&n];
            let name = &names[&n];
            rows.push((p.adjoint(name), p.definition(d), p.shape(self.g.shape(n))));
            p.adjoint_names.entry(d).or_insert_with(|| name.clone());
        }
        for (name, n) in c.params.iter().chain(&c.args) {
            let parts = from_call(c, *n);
            if !parts.is_empty() {
                let rhs: Vec<String> = parts.iter().map(|&part| p.definition(part)).collect();
                rows.push((p.adjoint(name), rhs.join(" + "), p.shape(self.g.shape(*n))));
            }
        }
        let x = c.args.first().map_or("x", |(a, _)| a.as_str());
        let header = match self.style {
            Style::Latex => format!(
                "&\\text{{layer {} }}\\to {value}\\text{{, backward once, given }} \\partial {value}\\text{{ (}}\\left.\\partial {x}\\right|_{{c}}\\text{{ below: }}\\partial {x}\\text{{ at call }} c\\text{{; shapes of }} {}\\text{{):}}",
                c.layer.replace('_', "\\_").replace('<', "}\\langle ").replace('>', "\\rangle\\text{"),
                self.name(&c.name)
            ),
            Style::Text => format!(
                "layer {} → {value}, backward once, given ∂{value} (∂{x}|c below: ∂{x} at call c; shapes of {}):",
                c.layer, c.name
            ),
        };
        (header, rows)
    }
}
