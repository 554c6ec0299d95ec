//! Dims and names: which dims of a net may be no dim in scope at all, and
//! the arguments named like a dim.

use std::collections::{HashMap, HashSet};

use syn::Ident;

use super::Model;
use super::expr;
use crate::net::parse::{DimAst, NetAst, Stmt};

/// The dims that may be no dim in scope, a slip for another one: written in
/// exactly one declaration (`param`, `input`, `label`), not a generic
/// parameter, and a variant of another dim of the net (`Hh` of `H`, `h` of
/// `H`, `D1` of `D2`).
pub(super) fn lone_dims(ast: &NetAst) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for stmt in &ast.stmts {
        let dims: Vec<&DimAst> = match stmt {
            Stmt::Param { shape, .. } | Stmt::Input { shape, .. } => shape.dims.iter().collect(),
            Stmt::Label { dim, .. } | Stmt::Index { dim, .. } => vec![dim],
            Stmt::Indices { len, dim, .. } => len.dims.iter().chain([dim]).collect(),
            _ => continue,
        };
        for d in dims.into_iter().filter(|d| matches!(d, DimAst::Type(_))) {
            *counts.entry(d.text()).or_default() += 1;
        }
    }
    let generic = |t: &str| ast.generics.iter().any(|g| g == t);
    let variant = |t: &str, o: &str| {
        t != o
            && (t.starts_with(o)
                || o.starts_with(t)
                || t.eq_ignore_ascii_case(o)
                || (t.len().min(o.len()) >= 2 && expr::edit_distance(t, o) == 1))
    };
    let all: Vec<&String> = counts.keys().collect();
    let suspect = |t: &str| all.iter().any(|o| variant(t, o));
    counts.iter().filter(|(t, n)| **n == 1 && !generic(t) && suspect(t)).map(|(t, _)| t.clone()).collect()
}

/// An input, label or target named like a dim (`input M: [E];` beside a
/// `dims!` dim `M`) cannot be a method's argument under that name: `dims!`
/// makes each dim a unit struct, which is also a value, and an argument
/// pattern naming it would match the struct. The generated code calls such
/// an argument `M_` (or `M__`, …); messages and the derivation keep `M`.
pub(super) fn rename_args_named_like_dims(m: &mut Model) {
    let dims: HashSet<String> = m.graph.dims.iter().map(|d| d.text.clone()).collect();
    let mut names: HashSet<String> =
        m.params.iter().chain(m.args.iter().map(|(_, a)| a)).map(|d| d.name.to_string()).collect();
    for (_, arg) in &mut m.args {
        let name = arg.name.to_string();
        if !dims.contains(&name) {
            continue;
        }
        let mut fresh = format!("{name}_");
        while dims.contains(&fresh) || names.contains(&fresh) {
            fresh.push('_');
        }
        names.insert(fresh.clone());
        arg.name = Ident::new(&fresh, arg.name.span());
    }
}
