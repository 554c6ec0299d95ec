//! One statement of a net's body: `let`, `fn`, `for`, `param`, `input`,
//! `target`, `label`, `layer`, `init`, `output`, `loss`, `grad`.

use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, Token, braced};

use super::expr::parse_full_expr;
use super::{DimAst, Errors, ShapeAst, Stmt, angled, layer, parse_body};

const STATEMENTS: &str =
    "`param`, `input`, `target`, `label`, `let`, `for`, `fn`, `layer`, `output`, `loss` or `grad`";

impl Parse for Stmt {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        if input.peek(Token![let]) {
            return parse_let(input);
        }
        if input.peek(Token![fn]) {
            return parse_fn(input);
        }
        if input.peek(Token![for]) {
            return parse_for(input);
        }
        let keyword: Ident = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), format!("expected a statement: {STATEMENTS}")))?;
        let stmt = match keyword.to_string().as_str() {
            "input" if !input.peek3(syn::token::Bracket) => {
                let name = input.parse()?;
                input.parse::<Token![:]>()?;
                Stmt::Index { attrs, name, dim: input.parse()? }
            }
            "input" | "label" if input.peek3(syn::token::Bracket) && is_of(input) => {
                let name = input.parse()?;
                input.parse::<Token![:]>()?;
                let len = input.parse()?;
                input.parse::<Ident>()?;
                Stmt::Indices { attrs, name, len, dim: input.parse()?, label: keyword == "label" }
            }
            "param" if input.peek2(Token![:]) && (input.peek3(Ident) || is_stack(input)) => {
                parse_instance(attrs, input)?
            }
            "layer" => return layer::parse_layer(attrs, input).map(|l| Stmt::Layer(std::rc::Rc::new(l))),
            "param" | "input" | "target" => {
                let name = input.parse()?;
                input.parse::<Token![:]>()?;
                let shape = input.parse()?;
                if keyword == "param" {
                    let init = if input.peek(Token![=]) { Some(parse_init(input)?) } else { None };
                    Stmt::Param { attrs, name, shape, init }
                } else {
                    Stmt::Input { attrs, name, shape, target: keyword == "target" }
                }
            }
            "label" => {
                let name = input.parse()?;
                input.parse::<Token![:]>()?;
                let dim = input.parse()?;
                Stmt::Label { attrs, name, dim }
            }
            "init" => {
                let name = input.parse()?;
                input.parse::<Token![=]>().map_err(|e| {
                    syn::Error::new(e.span(), "a state's value before step 0 is `init h = EXPR;`")
                })?;
                Stmt::Init { name, expr: parse_full_expr(input)? }
            }
            "output" => Stmt::Output { name: input.parse()? },
            "loss" => Stmt::Loss { keyword: keyword.span(), expr: parse_full_expr(input)? },
            "grad" if input.peek(Ident) && input.peek2(Token![=]) => {
                let name = input.parse()?;
                input.parse::<Token![=]>()?;
                Stmt::Grad { name, expr: parse_full_expr(input)? }
            }
            "grad" => Stmt::GradInput { name: input.parse()? },
            other => {
                return Err(syn::Error::new(
                    keyword.span(),
                    format!("unknown statement `{other}`; a statement is {STATEMENTS}"),
                ));
            }
        };
        if !input.is_empty() {
            return Err(input.error("unexpected tokens: a statement ends with `;`"));
        }
        Ok(stmt)
    }
}

/// Whether `NAME: [..] of` follows: a sequence of indices.
fn is_of(input: ParseStream) -> bool {
    let fork = input.fork();
    let shape =
        fork.parse::<Ident>().and_then(|_| fork.parse::<Token![:]>()).and_then(|_| fork.parse::<ShapeAst>());
    shape.is_ok() && fork.peek(Ident) && fork.parse::<Ident>().is_ok_and(|w| w == "of")
}

/// `= 1.0`, `= -0.5` or `= 2`: a param's initial value.
fn parse_init(input: ParseStream) -> syn::Result<f64> {
    let eq = input.parse::<Token![=]>()?;
    let negative = input.parse::<Option<Token![-]>>()?.is_some();
    let value = match input.parse::<syn::Lit>() {
        Ok(syn::Lit::Float(f)) => f.base10_parse::<f64>()?,
        Ok(syn::Lit::Int(i)) => i.base10_parse::<f64>()?,
        _ => {
            return Err(syn::Error::new(
                eq.span,
                "a param's initial value is a number, every element set to it: `param g: [D] = 1.0;`",
            ));
        }
    };
    Ok(if negative { -value } else { value })
}

/// `let NAME = EXPR;` or `let NAME[t] = EXPR;` (a step of a sequence).
fn parse_let(input: ParseStream) -> syn::Result<Stmt> {
    input.parse::<Token![let]>()?;
    let name = input.parse()?;
    // `let l[t] = …`: a step of a sequence, inside a `for`.
    let step = if input.peek(syn::token::Bracket) {
        let content;
        syn::bracketed!(content in input);
        let step: Ident = content.parse().map_err(|e| {
            syn::Error::new(e.span(), "a step is named by the loop's variable: `let l[t] = …;`")
        })?;
        Some(step)
    } else {
        None
    };
    input.parse::<Token![=]>()?;
    let expr = parse_full_expr(input)?;
    Ok(match step {
        Some(step) => Stmt::StepLet { name, step, expr },
        None => Stmt::Let { name, expr },
    })
}

/// `fn NAME(a, b) = EXPR;`.
fn parse_fn(input: ParseStream) -> syn::Result<Stmt> {
    input.parse::<Token![fn]>()?;
    let name: Ident = input.parse()?;
    let content;
    syn::parenthesized!(content in input);
    let params = content.parse_terminated(Ident::parse, Token![,])?.into_iter().collect();
    input.parse::<Token![=]>().map_err(|e| {
        syn::Error::new(
            e.span(),
            "a function is `fn NAME(x) = EXPR;`, its body one expression of its arguments",
        )
    })?;
    let body = parse_full_expr(input)?;
    Ok(Stmt::Fn { name, params, body })
}

/// `for t in T { … }`.
fn parse_for(input: ParseStream) -> syn::Result<Stmt> {
    let keyword = input.parse::<Token![for]>()?;
    let var: Ident = input.parse()?;
    input.parse::<Token![in]>()?;
    let dim: DimAst = input.parse()?;
    let content;
    braced!(content in input);
    let mut errors = Errors::default();
    let (body, _) = parse_body(content.parse()?, &mut errors);
    // The body's errors, all of them, as this statement's.
    let mut all: Option<syn::Error> = None;
    for e in errors.iter() {
        match &mut all {
            Some(a) => a.combine(e.clone()),
            None => all = Some(e.clone()),
        }
    }
    if let Some(e) = all {
        return Err(e);
    }
    if !input.is_empty() {
        return Err(input.error("unexpected tokens after the `for` block"));
    }
    if body.is_empty() {
        return Err(syn::Error::new(keyword.span, "an empty `for`: its body defines steps, `let l[t] = …;`"));
    }
    Ok(Stmt::For { var, dim, body })
}

/// `param NAME: LAYER<dims>;`: an instance of a layer.
fn parse_instance(attrs: Vec<Attribute>, input: ParseStream) -> syn::Result<Stmt> {
    let name = input.parse()?;
    input.parse::<Token![:]>()?;
    if input.peek(syn::token::Bracket) {
        let content;
        syn::bracketed!(content in input);
        let (layer, dims) = (content.parse()?, angled(&content)?);
        content.parse::<Token![;]>()?;
        let n: syn::LitInt = content.parse()?;
        let count = n.base10_parse::<usize>()?;
        if count == 0 {
            return Err(syn::Error::new(n.span(), "a stack of layers has at least one"));
        }
        return Ok(Stmt::Instance { attrs, name, layer, dims, count: Some(count) });
    }
    let layer = input.parse()?;
    let dims = angled(input)?;
    Ok(Stmt::Instance { attrs, name, layer, dims, count: None })
}

/// Whether `NAME: [LAYER<…>; N]` follows: a stack of instances.
fn is_stack(input: ParseStream) -> bool {
    let fork = input.fork();
    let inside = |fork: ParseStream| -> syn::Result<()> {
        fork.parse::<Ident>()?;
        fork.parse::<Token![:]>()?;
        let content;
        syn::bracketed!(content in fork);
        content.parse::<Ident>()?;
        angled::<DimAst>(&content)?;
        content.parse::<Token![;]>()?;
        Ok(())
    };
    inside(&fork).is_ok()
}
