//! Which dims of a net may be no dim in scope at all.

use std::collections::HashMap;

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
