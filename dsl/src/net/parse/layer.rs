//! `layer NAME<I, O>(x, …) { param …; let …; VALUE }`: a layer's definition.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, Token, braced};

use super::expr::parse_full_expr;
use super::{Errors, LayerAst, Stmt, angled, parse_body};

/// What follows the word `layer`.
pub(super) fn parse_layer(attrs: Vec<Attribute>, input: ParseStream) -> syn::Result<LayerAst> {
    let name: Ident = input.parse()?;
    let generics = angled(input)?;
    let shape_hint = |e: syn::Error| {
        syn::Error::new(
            e.span(),
            "a layer is `layer NAME<I, O>(x) { param W: [O, I]; … VALUE }`: its dims, its arguments, then its body",
        )
    };
    if !input.peek(syn::token::Paren) {
        return Err(shape_hint(input.error("")));
    }
    let content;
    syn::parenthesized!(content in input);
    let args = content.parse_terminated(Ident::parse, Token![,])?.into_iter().collect();
    let block;
    let brace = braced!(block in input);
    let tokens: Vec<TokenTree> = block.parse::<TokenStream>()?.into_iter().collect();
    if !input.is_empty() {
        return Err(input.error("unexpected tokens after the layer's block"));
    }
    // The value: what follows the body's last top-level `;`.
    let cut = tokens.iter().rposition(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ';'));
    let (stmts, value) = match cut {
        Some(i) => (tokens[..=i].iter().cloned().collect(), tokens[i + 1..].iter().cloned().collect()),
        None => (TokenStream::new(), tokens.iter().cloned().collect::<TokenStream>()),
    };
    if value.is_empty() || ends_with_block(&tokens) {
        return Err(syn::Error::new(
            brace.span.close(),
            format!("layer `{name}` ends with its value, an expression without `;` (as `W @ x + b`)"),
        ));
    }
    let mut errors = Errors::default();
    let (body, _) = parse_body(stmts, &mut errors);
    let value = syn::parse::Parser::parse2(parse_full_expr, value);
    let mut all: Option<syn::Error> = None;
    for e in errors.iter().cloned().chain(value.as_ref().err().cloned()) {
        match &mut all {
            Some(a) => a.combine(e),
            None => all = Some(e),
        }
    }
    if let Some(e) = all {
        return Err(e);
    }
    // Rule: a layer holds params and lets, no other statement.
    for s in &body {
        let word = match s {
            Stmt::Param { .. } | Stmt::Let { .. } => continue,
            Stmt::Instance { name, .. } => (name.span(), "an instance of a layer"),
            Stmt::Input { name, .. } | Stmt::Index { name, .. } | Stmt::Indices { name, .. } => {
                (name.span(), "an input: a layer's inputs are its arguments")
            }
            Stmt::Fn { name, .. } => (name.span(), "a function: define it beside the nets"),
            _ => (brace.span.open(), "a statement other than `param` and `let`"),
        };
        return Err(syn::Error::new(
            word.0,
            format!("layer `{name}` holds `param`s and `let`s and ends with its value; this is {}", word.1),
        ));
    }
    Ok(LayerAst { attrs, name, generics, args, body, value: value? })
}

/// Whether the body's last token is a block (`for t in T { … }`): no value.
fn ends_with_block(tokens: &[TokenTree]) -> bool {
    matches!(tokens.last(), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace)
}
