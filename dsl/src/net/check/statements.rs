//! The statements after the `let`s: the loss, the outputs, hand-written
//! gradients to check, and the rule that every param and input is used.

use syn::Ident;

use super::expr::closest;
use super::{ArgKind, Builder, Kind, Model};
use crate::net::model::{NodeId, Shape};
use crate::net::parse::{Expr, expr_error};
use crate::net::source::source_text;

impl Builder<'_> {
    pub(super) fn loss(&mut self, e: &Expr) -> Option<NodeId> {
        let n = self.value(e)?;
        // Rule: the loss is a scalar (a 1×1 matrix counts as one).
        if !self.g.shape(n).is_scalar() {
            let t = source_text(e);
            let msg = format!(
                "the loss must be a scalar, but `{t}` is {}; reduce it, e.g. `sum({t})` or `mean({t})`",
                self.text(self.g.shape(n))
            );
            self.errors.push(expr_error(e, msg));
            return None;
        }
        Some(n)
    }

    pub(super) fn output(&mut self, name: &Ident) -> Option<NodeId> {
        let node = self.var(name)?;
        // Rule: an output is a value.
        if let Shape::Label(_) = self.g.shape(node) {
            self.errors.at(
                name.span(),
                format!("`{name}` is a label; an output is a value computed from the inputs"),
            );
            return None;
        }
        Some(node)
    }

    pub(super) fn hand_grad(&mut self, name: &Ident, e: &Expr, m: &Model) -> Option<(usize, NodeId)> {
        let key = name.to_string();
        // Rule: `grad P = …` names a param.
        let index = match self.scope.get(&key).map(|entry| entry.kind) {
            Some(Kind::Param(i)) => Some(i),
            Some(kind) => {
                let what = match kind {
                    Kind::Input => "an input",
                    Kind::Label => "a label",
                    _ => "a `let` value",
                };
                self.errors.at(
                    name.span(),
                    format!("`grad {name}`: `{name}` is {what}, not a param; `grad` lines give a param's hand-derived gradient"),
                );
                None
            }
            None => {
                let params = m.params.iter().map(|p| p.name.to_string()).collect::<Vec<_>>();
                let msg = match closest(&key, params.iter().map(String::as_str)) {
                    Some(near) => {
                        format!("`grad {name}`: there is no param `{name}`; did you mean `{near}`?")
                    }
                    None => format!("`grad {name}`: there is no param `{name}`"),
                };
                self.errors.at(name.span(), msg);
                None
            }
        };
        let node = self.value(e);
        let (index, node) = (index?, node?);
        // Rule: one `grad` line per param.
        if m.hand_grads.iter().any(|&(i, _)| i == index) {
            self.errors.at(name.span(), format!("a second `grad` line for `{name}`"));
            return None;
        }
        // Rule: a gradient has its param's shape.
        let want = m.params[index].shape?;
        let got = self.g.shape(node);
        if got != want && !(got.is_scalar() && want.is_scalar()) {
            let mut msg = format!(
                "the hand-written gradient of `{name}` is {}, but `{name}` is {}",
                self.text(got),
                self.text(want)
            );
            if let (Shape::Mat(r, c), Shape::Mat(r2, c2)) = (got, want)
                && r == c2
                && c == r2
            {
                msg += "; its transpose has the right shape";
            }
            self.errors.push(expr_error(e, msg));
            return None;
        }
        Some((index, node))
    }

    /// Rules about what the loss and outputs use.
    pub(super) fn check_uses(&mut self, m: &Model, loss: NodeId) {
        let g = &self.g;
        let used = g.closure(&[loss], |n| g.reads(n));
        // Rule: every param affects the loss (otherwise its gradient is always 0: a slip).
        for p in &m.params {
            if let Some(n) = p.node
                && !used[n]
            {
                self.errors.at(
                        p.name.span(),
                        format!("param `{}` does not affect the loss, so its gradient would always be zero; use it or remove it", p.name),
                    );
            }
        }
        // Rule: `forward` takes the inputs only, so outputs may not need a label or a target.
        for (name, node) in &m.outputs {
            let Some(node) = *node else { continue };
            let needs = g.closure(&[node], |n| g.reads(n));
            for (kind, a) in &m.args {
                if !kind.is_input() && a.node.is_some_and(|l| needs[l]) {
                    let what = if *kind == ArgKind::Label { "label" } else { "target" };
                    self.errors.at(
                        name.span(),
                        format!(
                            "output `{name}` depends on the {what} `{}`, but `forward` takes the inputs only",
                            a.name
                        ),
                    );
                }
            }
        }
    }
}
