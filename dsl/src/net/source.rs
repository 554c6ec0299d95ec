//! Expressions as the user wrote them, for error messages and the
//! derivation's header: `W1 @ x + b1`, `(a + b).T`.

use super::parse::{BinOp, Expr, ExprKind};

/// The expression as the user would write it (`W1 @ x + b1`), for messages.
pub fn source_text(e: &Expr) -> String {
    fn level(e: &Expr) -> u8 {
        match &e.kind {
            ExprKind::Binary { op: BinOp::Add | BinOp::Sub, .. } => 1,
            ExprKind::Binary { .. } => 2,
            ExprKind::Neg(_) => 3,
            _ => 4,
        }
    }
    fn wrap(e: &Expr, min: u8) -> String {
        let s = source_text(e);
        if level(e) < min { format!("({s})") } else { s }
    }
    match &e.kind {
        ExprKind::Var(v) => v.to_string(),
        ExprKind::Num(x) => number(*x),
        ExprKind::Binary { op, lhs, rhs } => {
            let l = if matches!(op, BinOp::Add | BinOp::Sub) { 1 } else { 2 };
            format!("{} {} {}", wrap(lhs, l), op.symbol(), wrap(rhs, l + 1))
        }
        ExprKind::Neg(a) => format!("-{}", wrap(a, 3)),
        ExprKind::Transpose(a) => format!("{}.T", wrap(a, 4)),
        ExprKind::Index(a, i) => format!("{}[{}]", wrap(a, 4), source_text(i)),
        ExprKind::Slice(a, lo, hi) => format!("{}[{}..{}]", wrap(a, 4), source_text(lo), source_text(hi)),
        ExprKind::Call { func, args, named } => {
            let mut parts: Vec<String> = args.iter().map(source_text).collect();
            parts.extend(named.iter().map(|(k, v)| format!("{k} = {}", source_text(v))));
            format!("{func}({})", parts.join(", "))
        }
    }
}

/// A number as a person writes it: `2`, `0.5`.
pub fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let text = format!("{x}");
    // A fraction whose decimals run on (`/ 6.0` is `· 0.1666…`) as `1/6`.
    if text.len() > 8
        && let Some((p, q)) = (2..=12).find_map(|q| {
            let p = x * q as f64;
            (p.fract() == 0.0 && p.abs() < 1000.0).then_some((p as i64, q))
        })
    {
        return format!("{p}/{q}");
    }
    text
}

/// The transpose of `e` as the user would write it: `a.T`, `(a + b).T`,
/// or `a` for `a.T` (undoing a transpose rather than adding a second one).
pub fn transposed(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Transpose(inner) => source_text(inner),
        _ => format!("{}.T", paren(&source_text(e))),
    }
}

/// `e` as an operand of `@`: in parentheses when it is a sum or difference,
/// and on the `right` also when it is a product or quotient (`@ * /` share
/// one level and associate to the left, so `a @ (2 * x)` needs them).
pub fn as_factor(e: &Expr, right: bool) -> String {
    match &e.kind {
        ExprKind::Binary { op: BinOp::Add | BinOp::Sub, .. } => format!("({})", source_text(e)),
        ExprKind::Binary { .. } if right => format!("({})", source_text(e)),
        _ => source_text(e),
    }
}

/// `a` or `(a + b)`: an operand that can be followed by `.T`.
fn paren(s: &str) -> String {
    if s.chars().all(|c| c.is_alphanumeric() || c == '_') { s.to_string() } else { format!("({s})") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::error::Errors;
    use crate::net::parse::parse_nets;
    use proc_macro2::TokenStream;
    use quote::quote;

    #[test]
    fn source_text_is_python_like() {
        let e: Expr = syn::parse::Parser::parse2(
            |input: syn::parse::ParseStream| {
                let mut errors = Errors::default();
                let nets = parse_nets(quote!(net N { loss (a + b) @ c.T - -d * (e - f); }), &mut errors);
                let _ = input.parse::<TokenStream>();
                match &nets[0].stmts[0] {
                    crate::net::parse::Stmt::Loss { expr, .. } => Ok(expr.clone()),
                    _ => unreachable!(),
                }
            },
            TokenStream::new(),
        )
        .unwrap();
        assert_eq!(source_text(&e), "(a + b) @ c.T - -d * (e - f)");
    }
}
