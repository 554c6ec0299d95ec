//! Functions of values: `fn hardswish(x) = x * min(max(x + 3.0, 0.0), 6.0) / 6.0;`
//! in a net (or beside the nets of an invocation), and the registry's
//! composite functions (`ops::composite`), each defined once from other
//! functions and operators. A call is expanded where it is written: its
//! arguments checked as values, the body checked with its parameters bound
//! to them, so the call has every rule of the ops in its body — shapes,
//! gradient, batched form, ONNX export — and no code of its own.

use std::rc::Rc;

use syn::Ident;

use std::collections::HashMap;

use super::{Builder, Entry, Kind};
use crate::net::model::{Applied, NodeId, Op};
use crate::net::ops;
use crate::net::parse::{Expr, expr_error};
use crate::net::source::source_text;

/// A function's parameters and body.
pub struct Function {
    pub params: Vec<String>,
    pub body: Expr,
}

/// How deep calls of functions may nest (a function calling itself never ends).
const DEPTH: usize = 16;

impl Builder<'_> {
    /// Rule: a function has a name no other function has, and distinct parameters.
    pub(super) fn define(&mut self, name: &Ident, params: &[Ident], body: &Expr) {
        let key = name.to_string();
        if ops::function(&key).is_some() || ops::composite(&key).is_some() {
            self.errors
                .at(name.span(), format!("`{key}` is a function of `net!` already; name yours otherwise"));
            return;
        }
        if self.functions.contains_key(&key) {
            self.errors.at(name.span(), format!("function `{key}` is defined twice"));
            return;
        }
        for (i, p) in params.iter().enumerate() {
            if params[..i].contains(p) {
                self.errors.at(p.span(), format!("`{p}` names two parameters of `{key}`"));
                return;
            }
        }
        let f = Function { params: params.iter().map(|p| p.to_string()).collect(), body: body.clone() };
        self.functions.insert(key, Rc::new(f));
    }

    /// The call `e` of a function of the net or a composite of the
    /// registry, expanded; `None` when `name` is neither (or it failed).
    pub(super) fn expand_call(&mut self, e: &Expr, name: &Ident, args: &[Expr]) -> Option<Option<NodeId>> {
        let key = name.to_string();
        let f = match self.functions.get(&key) {
            Some(f) => f.clone(),
            None => {
                let (params, body) = ops::composite(&key)?;
                let body = crate::net::parse::parse_expr_str(body).ok()?;
                Rc::new(Function { params: params.iter().map(|p| p.to_string()).collect(), body })
            }
        };
        if args.len() != f.params.len() {
            let plural = if f.params.len() == 1 { "" } else { "s" };
            let msg = format!("`{key}` takes {} argument{plural}, found {}", f.params.len(), args.len());
            self.errors.push(expr_error(e, msg));
            return Some(None);
        }
        if self.calling.len() >= DEPTH || self.calling.contains(&key) {
            self.errors.push(expr_error(
                e,
                format!(
                    "`{key}` calls itself: a function's body is expanded where it is called, so it cannot"
                ),
            ));
            return Some(None);
        }
        let values: Vec<Option<NodeId>> = args.iter().map(|a| self.value(a)).collect();
        let Some(values) = values.into_iter().collect::<Option<Vec<_>>>() else { return Some(None) };
        // The body sees its parameters, and the net's names it does not shadow.
        let saved: Vec<Option<Entry>> = f
            .params
            .iter()
            .zip(&values)
            .map(|(p, &n)| self.scope.insert(p.clone(), Entry { node: Some(n), kind: Kind::Let }))
            .collect();
        self.calling.push(key.clone());
        let node = self.expr(&f.body);
        self.calling.pop();
        for (p, old) in f.params.iter().zip(saved) {
            match old {
                Some(entry) => self.scope.insert(p.clone(), entry),
                None => self.scope.remove(p),
            };
        }
        // A function of one value, elementwise in it, outside a loop or in a
        // run-time loop's step (not in a map's, lifted from a graph of its
        // own): its derivative built once, so the derivation prints it by name.
        let in_graph = self.step.as_ref().is_none_or(|s| s.at_run_time());
        if let (Some(r), [x], true) = (node, values.as_slice(), in_graph)
            && let Some(deriv) = self.derivative(r, *x)
        {
            let definition = source_text(&f.body);
            let param = f.params[0].clone();
            // A call whose expansion another call's is (`hs(z)` and `hardswish(z)`) keeps the first name.
            if !self.g.applied.iter().any(|a| a.node == r) {
                self.g.applied.push(Applied { name: key, definition, param, node: r, arg: *x, deriv });
            }
        }
        Some(node)
    }

    /// `∂r/∂x`, one value per element, when `r` is made of elementwise ops
    /// on `x` and constants alone (no other value of the net): the reverse
    /// pass over those ops from a seed of ones; `None` otherwise.
    fn derivative(&mut self, r: NodeId, x: NodeId) -> Option<NodeId> {
        let g = &self.g;
        let below = g.closure(&[r], |n| if n == x { Vec::new() } else { g.op(n).operands().to_vec() });
        let mut depends = vec![false; g.nodes.len()];
        let mut path = Vec::new();
        for n in (0..g.nodes.len()).filter(|&n| below[n]) {
            depends[n] = n == x || g.op(n).operands().iter().any(|&a| depends[a]);
            // Rule: nothing but `x` and constants below `r`, elementwise ops above `x`.
            if g.is_leaf(n) && n != x {
                return None;
            }
            if depends[n] && n != x {
                if !ops::def(g.op(n).code).elementwise() || g.shape(n) != g.shape(x) {
                    return None;
                }
                path.push(n);
            }
        }
        if r == x || !depends[r] {
            return None;
        }
        // A scalar seed: each op's adjoint is then its derivative alone,
        // broadcast like a scalar side (`1/6 min(…)`, not `(1/6 𝟙) ⊙ min(…)`).
        let seed = self.g.constant(1.0);
        let mut adjoint: HashMap<NodeId, NodeId> = HashMap::from([(r, seed)]);
        for &n in path.iter().rev() {
            let Some(d) = adjoint.remove(&n) else { continue };
            for (a, part) in ops::def(self.g.op(n).code).vjp(&mut self.g, n, d) {
                if depends[a] {
                    let sum = match adjoint.get(&a) {
                        Some(&prev) => self.g.mk(Op::new("add", &[prev, part])),
                        None => part,
                    };
                    adjoint.insert(a, sum);
                }
            }
        }
        adjoint.remove(&x)
    }
}
