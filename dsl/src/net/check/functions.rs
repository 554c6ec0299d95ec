//! Functions of values: `fn hardswish(x) = x * min(max(x + 3.0, 0.0), 6.0) / 6.0;`
//! in a net (or beside the nets of an invocation), and the registry's
//! composite functions (`ops::composite`), each defined once from other
//! functions and operators. A call is expanded where it is written: its
//! arguments checked as values, the body checked with its parameters bound
//! to them, so the call has every rule of the ops in its body — shapes,
//! gradient, batched form, ONNX export — and no code of its own.

use std::rc::Rc;

use syn::Ident;

use super::{Builder, Entry, Kind};
use crate::net::model::NodeId;
use crate::net::ops;
use crate::net::parse::{Expr, expr_error};

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
        self.calling.push(key);
        let node = self.expr(&f.body);
        self.calling.pop();
        for (p, old) in f.params.iter().zip(saved) {
            match old {
                Some(entry) => self.scope.insert(p.clone(), entry),
                None => self.scope.remove(p),
            };
        }
        Some(node)
    }
}
