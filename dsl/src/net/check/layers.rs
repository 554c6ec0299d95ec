//! Layers: `layer Dense<I, O>(x) { param W: [O, I]; param b: [O]; W @ x + b }`
//! defined once, instances `param l1: Dense<D, H>;` each with params of its
//! own (`l1.W`, `l1.b`: fields `net.l1.W`, safetensors names `l1.W`), and a
//! call `l1(h)` expanded where it is written, as a function's: its body
//! checked with the layer's dims replaced by the instance's, its names those
//! of the instance alone (arguments, params, `let`s), so every rule of the
//! ops in it applies and it has no code of its own. A stack, `param blocks:
//! [Block; 4];`, is four members with params of their own (`blocks.0.W`),
//! a call applying them in turn.

use std::collections::HashMap;
use std::rc::Rc;

use syn::{Attribute, Ident};

use super::{Builder, Decl, Entry, Kind, LayerRef};
use crate::net::model::{Attr, LayerCall, NodeId, Op};
use crate::net::parse::{DimAst, Expr, LayerAst, ShapeAst, Stmt, expr_error};

/// A declared instance: its layer, and the entry of each of its params.
#[derive(Clone)]
pub struct Instance {
    layer: Rc<LayerAst>,
    /// The entries of each member's params: one member, or a stack's in order.
    params: Vec<Vec<(String, Entry)>>,
    stack: bool,
    /// How many calls were expanded: the second call's `let h` is `r.h₂`.
    calls: usize,
}

impl Builder<'_> {
    /// Rule: a layer has a name no other layer has, and distinct arguments.
    pub(super) fn define_layer(&mut self, l: &Rc<LayerAst>) {
        let key = l.name.to_string();
        if self.layers.contains_key(&key) {
            self.errors.at(l.name.span(), format!("layer `{key}` is defined twice"));
            return;
        }
        for (i, a) in l.args.iter().enumerate() {
            if l.args[..i].contains(a) {
                self.errors.at(a.span(), format!("`{a}` names two arguments of layer `{key}`"));
                return;
            }
        }
        self.layers.insert(key, l.clone());
    }

    /// `param NAME: LAYER<dims>;`: the instance's params, declared as the
    /// net's (after those before it), each named `NAME.P`.
    pub(super) fn instantiate(
        &mut self,
        params: &mut Vec<Decl>,
        attrs: &[Attribute],
        name: &Ident,
        (layer, dims, count): (&Ident, &[DimAst], Option<usize>),
    ) {
        let Some(l) = self.layers.get(&layer.to_string()).cloned() else {
            let mut known: Vec<&str> = self.layers.keys().map(String::as_str).collect();
            known.sort();
            let msg = if known.is_empty() {
                format!(
                    "`{layer}` is no layer; define it with `layer {layer}(x) {{ param …; VALUE }}`, or give a shape, `param {name}: [H, D];`"
                )
            } else {
                format!("`{layer}` is no layer; the layers are {}", known.join(", "))
            };
            self.errors.at(layer.span(), msg);
            return;
        };
        // Rule: an instance gives each of the layer's dims.
        if dims.len() != l.generics.len() {
            let want: Vec<String> = l.generics.iter().map(|g| g.to_string()).collect();
            let msg = format!(
                "layer `{layer}<{}>` takes {} dim{}, found {}",
                want.join(", "),
                want.len(),
                if want.len() == 1 { "" } else { "s" },
                dims.len()
            );
            self.errors.at(layer.span(), msg);
            return;
        }
        // Rule: a stack applies its layers in turn, each to the last one's
        // value (its first argument; the others go to every member alike).
        if count.is_some() && l.args.is_empty() {
            let msg = format!(
                "a stack applies its layers in turn, each to the value of the one before, so its layer takes an argument; `{layer}` takes none"
            );
            self.errors.at(layer.span(), msg);
            return;
        }
        if !self.unique(name) || self.instances.contains_key(&name.to_string()) {
            return;
        }
        let map: HashMap<String, &DimAst> = l.generics.iter().map(|g| g.to_string()).zip(dims).collect();
        let dims_text: String = dims
            .iter()
            .flat_map(|d| d.text().chars().collect::<Vec<_>>())
            .filter(|c| c.is_alphanumeric())
            .collect();
        let mut members = Vec::new();
        for member in 0..count.unwrap_or(1) {
            let at = count.map(|_| member);
            let mut entries = Vec::new();
            for s in &l.body {
                let Stmt::Param { attrs: own, name: p, shape, init } = s else { continue };
                let shape = ShapeAst { dims: shape.dims.iter().map(|d| substitute(d, &map)).collect() };
                let index = params.len();
                let key = match at {
                    Some(i) => format!("{name}.{i}.{p}"),
                    None => format!("{name}.{p}"),
                };
                let all_attrs: Vec<Attribute> = attrs.iter().chain(own).cloned().collect();
                let mut decl = self.declare_as(
                    p,
                    &key,
                    &all_attrs,
                    Some(&shape),
                    None,
                    Kind::Param(index),
                    Op::with("param", &[], Attr::Index(index)),
                );
                decl.init = *init;
                decl.layer = Some(LayerRef {
                    instance: name.clone(),
                    dims: dims_text.clone(),
                    layer: l.clone(),
                    at,
                    count,
                });
                entries.push((p.to_string(), Entry { node: decl.node, kind: Kind::Param(index) }));
                params.push(decl);
            }
            members.push(entries);
        }
        let stack = count.is_some();
        self.instances.insert(name.to_string(), Instance { layer: l, params: members, stack, calls: 0 });
    }

    /// The call `e` of instance `name`, expanded; `None` when `name` is no
    /// instance.
    pub(super) fn expand_layer(&mut self, e: &Expr, name: &Ident, args: &[Expr]) -> Option<Option<NodeId>> {
        let key = name.to_string();
        let l = self.instances.get(&key)?.layer.clone();
        if args.len() != l.args.len() {
            let plural = if l.args.len() == 1 { "" } else { "s" };
            let msg = format!(
                "`{key}`, a `{}`, takes {} argument{plural}, found {}",
                l.name,
                l.args.len(),
                args.len()
            );
            self.errors.push(expr_error(e, msg));
            return Some(None);
        }
        if self.calling.contains(&key) {
            self.errors.push(expr_error(e, format!("`{key}` is called inside its own layer's body")));
            return Some(None);
        }
        let values: Vec<Option<NodeId>> = args.iter().map(|a| self.value(a)).collect();
        let Some(mut values) = values.into_iter().collect::<Option<Vec<_>>>() else { return Some(None) };
        let Some(inst) = self.instances.get_mut(&key) else { return Some(None) };
        inst.calls += 1;
        let (members, stack, call) = (inst.params.clone(), inst.stack, inst.calls);
        // The second call's values are `r.h₂`, the third's `r.h₃`.
        let suffix: String = if call == 1 {
            String::new()
        } else {
            call.to_string()
                .chars()
                .filter_map(|c| c.to_digit(10))
                .map(|d| ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'][d as usize])
                .collect()
        };
        // A stack as a run-time loop over its members, where it can be one.
        if stack && self.stack_loops(values[0], &members) {
            return Some(self.stack_loop((e, &l), &key, &members, &values));
        }
        // Else its members in turn, each on the value of the one before.
        let mut node = None;
        for (i, params) in members.into_iter().enumerate() {
            let prefix = if stack { format!("{key}.{i}") } else { key.clone() };
            node = self.expand_member(&l, &key, (&prefix, &suffix), params, &values);
            let Some(n) = node else { return Some(None) };
            // The next member's first argument; the others are every member's.
            if let Some(first) = values.first_mut() {
                *first = n;
            }
        }
        Some(node)
    }

    /// One member's body on `values`: its value, named `prefix` + `suffix`.
    pub(super) fn expand_member(
        &mut self,
        l: &LayerAst,
        key: &str,
        (prefix, suffix): (&str, &str),
        params: Vec<(String, Entry)>,
        values: &[NodeId],
    ) -> Option<NodeId> {
        // The body sees its arguments, its params and its lets, nothing of the net's.
        let outer = std::mem::take(&mut self.scope);
        let outer_current = std::mem::take(&mut self.current);
        for (a, &n) in l.args.iter().zip(values) {
            self.scope.insert(a.to_string(), Entry { node: Some(n), kind: Kind::Let });
        }
        let own: Vec<(String, NodeId)> =
            params.iter().filter_map(|(p, e)| Some((p.clone(), e.node?))).collect();
        self.scope.extend(params);
        self.calling.push(key.to_string());
        let first = self.g.nodes.len();
        let mut lets = Vec::new();
        for s in &l.body {
            let Stmt::Let { name: v, expr } = s else { continue };
            self.current = format!("{prefix}.{v}{suffix}");
            let node = self.expr(expr);
            if let Some(n) = node {
                self.named.push((n, self.current.clone()));
                lets.push((v.to_string(), n));
            }
            if self.unique(v) {
                self.scope.insert(v.to_string(), Entry { node, kind: Kind::Let });
            }
        }
        self.current = outer_current;
        let node = self.expr(&l.value);
        // The call's value is named by its instance (`r1`, `r₂` the second call's, `blocks.0`).
        let name = format!("{prefix}{suffix}");
        if let Some(n) = node {
            self.named.push((n, name.clone()));
            // A call the derivation can print by name: a body of its own
            // nodes (not a value of the net's, as `x` alone is), outside a loop.
            if n >= first && self.step.is_none() && self.own_body(n, first, values) {
                let args = l.args.iter().map(|a| a.to_string()).zip(values.iter().copied()).collect();
                self.g.calls.push(LayerCall {
                    layer: signature(l),
                    name,
                    args,
                    params: own,
                    lets,
                    first,
                    out: n,
                });
            }
        }
        self.calling.pop();
        self.scope = outer;
        node
    }

    /// Whether the body of value `out`, from node `first`, reads nothing
    /// built before it but its arguments, leaves and constants (a node the
    /// net built already is shared, not the body's own).
    fn own_body(&self, out: NodeId, first: NodeId, args: &[NodeId]) -> bool {
        let g = &self.g;
        let below = g.closure(&[out], |n| if n < first { Vec::new() } else { g.op(n).operands().to_vec() });
        (0..first).filter(|&n| below[n]).all(|n| args.contains(&n) || g.op(n).operands().is_empty())
    }

    /// Whether `name` is an instance (used as a value, it is an error).
    pub(super) fn is_instance(&self, name: &str) -> Option<&Ident> {
        self.instances.get(name).map(|i| &i.layer.name)
    }
}

/// The layer as declared: `Residual(x)`, `Dense<I, O>(x)`.
fn signature(l: &LayerAst) -> String {
    let join = |v: &[Ident]| v.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
    let dims = if l.generics.is_empty() { String::new() } else { format!("<{}>", join(&l.generics)) };
    format!("{}{dims}({})", l.name, join(&l.args))
}

/// `d` with the layer's dims replaced by the instance's.
fn substitute(d: &DimAst, map: &HashMap<String, &DimAst>) -> DimAst {
    match d {
        DimAst::Type(t) => match t.as_ref() {
            syn::Type::Path(p) if p.qself.is_none() => p
                .path
                .get_ident()
                .and_then(|i| map.get(&i.to_string()))
                .map_or_else(|| d.clone(), |&r| r.clone()),
            _ => d.clone(),
        },
        DimAst::Sum(terms) => DimAst::Sum(terms.iter().map(|(k, t)| (*k, substitute(t, map))).collect()),
        _ => d.clone(),
    }
}
