//! Expressions, with Python's precedence: `@`, `*` and `/` bind tighter than
//! `+ -` and associate left to right; unary minus, `.T` and calls bind
//! tightest.

use proc_macro2::Delimiter;
use syn::parse::ParseStream;
use syn::{Ident, LitFloat, LitInt, Token, parenthesized};

use super::{BinOp, Expr, ExprKind};

/// An expression that must use up the rest of the statement.
pub(super) fn parse_full_expr(input: ParseStream) -> syn::Result<Expr> {
    let e = parse_sum(input)?;
    if !input.is_empty() {
        return Err(unsupported(input));
    }
    Ok(e)
}

fn unsupported(input: ParseStream) -> syn::Error {
    let what = if input.peek(Token![.]) {
        "only `.T` (transpose) may follow a value; functions are called as `sum(x)`"
    } else {
        "unsupported syntax: expressions use `@` (matrix product), `* / + -` (elementwise), `.T`, parentheses, numbers and function calls"
    };
    input.error(what)
}

fn binary(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
    let (first, last) = (lhs.first, rhs.last);
    Expr { kind: ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, first, last }
}

/// `+ -`, loosest, left to right.
fn parse_sum(input: ParseStream) -> syn::Result<Expr> {
    let mut lhs = parse_product(input)?;
    loop {
        let op = if input.peek(Token![+]) {
            input.parse::<Token![+]>()?;
            BinOp::Add
        } else if input.peek(Token![-]) {
            input.parse::<Token![-]>()?;
            BinOp::Sub
        } else {
            return Ok(lhs);
        };
        let rhs = parse_product(input)?;
        lhs = binary(op, lhs, rhs);
    }
}

/// `@ * /`, one level, left to right (as in Python).
fn parse_product(input: ParseStream) -> syn::Result<Expr> {
    let mut lhs = parse_unary(input)?;
    loop {
        let op = if input.peek(Token![@]) {
            input.parse::<Token![@]>()?;
            BinOp::MatMul
        } else if input.peek(Token![*]) && !input.peek(Token![*=]) {
            input.parse::<Token![*]>()?;
            BinOp::Mul
        } else if input.peek(Token![/]) && !input.peek(Token![/=]) {
            input.parse::<Token![/]>()?;
            BinOp::Div
        } else {
            return Ok(lhs);
        };
        let rhs = parse_unary(input)?;
        lhs = binary(op, lhs, rhs);
    }
}

fn parse_unary(input: ParseStream) -> syn::Result<Expr> {
    if input.peek(Token![-]) {
        let minus = input.parse::<Token![-]>()?;
        let inner = parse_unary(input)?;
        let last = inner.last;
        return Ok(Expr { kind: ExprKind::Neg(Box::new(inner)), first: minus.span, last });
    }
    parse_postfix(input)
}

fn parse_postfix(input: ParseStream) -> syn::Result<Expr> {
    let mut e = parse_primary(input)?;
    loop {
        // `E[w]`: a row picked by an index; `a[lo..hi]`: a slice.
        if input.peek(syn::token::Bracket) {
            let first = e.first;
            let content;
            let brackets = syn::bracketed!(content in input);
            let lo = parse_sum(&content)?;
            let kind = if content.peek(Token![..]) {
                content.parse::<Token![..]>()?;
                ExprKind::Slice(Box::new(e), Box::new(lo), Box::new(parse_full_expr(&content)?))
            } else if content.is_empty() {
                ExprKind::Index(Box::new(e), Box::new(lo))
            } else {
                return Err(
                    content.error("an index is one value (`E[w]`) or a range of dims (`a[H..2 * H]`)")
                );
            };
            e = Expr { kind, first, last: brackets.span.close() };
            continue;
        }
        if !input.peek(Token![.]) || input.peek(Token![..]) {
            break;
        }
        let fork = input.fork();
        fork.parse::<Token![.]>()?;
        match fork.parse::<Ident>() {
            Ok(t) if t == "T" && !fork.peek(syn::token::Paren) => {
                input.parse::<Token![.]>()?;
                let t: Ident = input.parse()?;
                let first = e.first;
                e = Expr { kind: ExprKind::Transpose(Box::new(e)), first, last: t.span() };
            }
            _ => return Err(unsupported(input)),
        }
    }
    Ok(e)
}

fn parse_primary(input: ParseStream) -> syn::Result<Expr> {
    if let Some(inner) = invisible_group(input)? {
        return Ok(inner);
    }
    if input.peek(LitFloat) {
        let lit: LitFloat = input.parse()?;
        return Ok(Expr { kind: ExprKind::Num(lit.base10_parse()?), first: lit.span(), last: lit.span() });
    }
    if input.peek(LitInt) {
        let lit: LitInt = input.parse()?;
        return Ok(Expr {
            kind: ExprKind::Num(lit.base10_parse::<f64>()?),
            first: lit.span(),
            last: lit.span(),
        });
    }
    if input.peek(syn::token::Paren) {
        let content;
        let parens = parenthesized!(content in input);
        let mut inner = parse_full_expr(&content)?;
        inner.first = parens.span.open();
        inner.last = parens.span.close();
        return Ok(inner);
    }
    let name: Ident = input
        .parse()
        .map_err(|_| input.error("expected a value: a name, a number, a function call or `(`"))?;
    if input.peek(syn::token::Paren) {
        let content;
        let parens = parenthesized!(content in input);
        let (mut args, mut named) = (Vec::new(), Vec::new());
        while !content.is_empty() {
            if content.peek(Ident) && content.peek2(Token![=]) && !content.peek2(Token![==]) {
                let key: Ident = content.parse()?;
                content.parse::<Token![=]>()?;
                named.push((key, parse_sum(&content)?));
            } else if let Some((key, _)) = named.last() {
                let msg = format!("a positional argument cannot follow the named argument `{key}`");
                return Err(content.error(msg));
            } else {
                args.push(parse_sum(&content)?);
            }
            if !content.is_empty() {
                content.parse::<Token![,]>().map_err(|_| unsupported(&content))?;
            }
        }
        let first = name.span();
        let kind = ExprKind::Call { func: name, args, named };
        return Ok(Expr { kind, first, last: parens.span.close() });
    }
    let span = name.span();
    Ok(Expr { kind: ExprKind::Var(name), first: span, last: span })
}

/// An expression fragment passed through `macro_rules!` (`$e:expr`) arrives
/// in a group with no delimiters; it is read as if parenthesized.
fn invisible_group(input: ParseStream) -> syn::Result<Option<Expr>> {
    input.step(|cursor| match cursor.group(Delimiter::None) {
        Some((inner, span, rest)) => {
            let mut e = syn::parse::Parser::parse2(parse_full_expr, inner.token_stream())?;
            e.first = span.open();
            e.last = span.close();
            Ok((Some(e), rest))
        }
        None => Ok((None, *cursor)),
    })
}
