//! Shapes and dims as written: `[H, D]`, `[4 * H, D]`, `_`, literals.

use syn::parse::{Parse, ParseStream};
use syn::{LitInt, Token};

use super::{DimAst, ShapeAst};

impl Parse for ShapeAst {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        let bracket = syn::bracketed!(content in input);
        let mut dims = Vec::new();
        while !content.is_empty() {
            dims.push(content.parse()?);
            if !content.is_empty() {
                content.parse::<Token![,]>()?;
            }
        }
        let span = bracket.span.join();
        if dims.len() > 4 {
            return Err(syn::Error::new(
                span,
                format!(
                    "a shape has at most four dims (`[N]`, `[R, C]`, `[C, H, W]`, `[F, C, KH, KW]`), or none for a scalar param (`[]`), found {}",
                    dims.len()
                ),
            ));
        }
        Ok(ShapeAst { dims })
    }
}

impl Parse for DimAst {
    /// A dim, or a sum of multiples of dims (`4 * H`, `H + D`).
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let span = input.span();
        let mut terms = vec![parse_dim_term(input, 1)?];
        loop {
            let sign = if input.peek(Token![+]) {
                input.parse::<Token![+]>()?;
                1
            } else if input.peek(Token![-]) {
                input.parse::<Token![-]>()?;
                -1
            } else {
                break;
            };
            terms.push(parse_dim_term(input, sign)?);
        }
        match terms.as_slice() {
            [(1, _)] => Ok(terms.pop().map(|t| t.1).unwrap_or(DimAst::Infer(span))),
            _ => Ok(DimAst::Sum(terms)),
        }
    }
}

/// `k * D`, `D * k`, `D` or `k`, times `sign`.
fn parse_dim_term(input: ParseStream, sign: i64) -> syn::Result<(i64, DimAst)> {
    let coefficient = |input: ParseStream| -> syn::Result<i64> {
        let lit: LitInt = input.parse()?;
        lit.base10_parse::<i64>()
    };
    if input.peek(LitInt) && input.peek2(Token![*]) {
        let k = coefficient(input)?;
        input.parse::<Token![*]>()?;
        let d = parse_one_dim(input)?;
        return Ok((sign * k, d));
    }
    let d = parse_one_dim(input)?;
    if input.peek(Token![*]) {
        input.parse::<Token![*]>()?;
        return Ok((sign * coefficient(input)?, d));
    }
    Ok((sign, d))
}

/// One dim: `_`, an integer, or a type.
fn parse_one_dim(input: ParseStream) -> syn::Result<DimAst> {
    if input.peek(Token![_]) {
        let u: Token![_] = input.parse()?;
        return Ok(DimAst::Infer(u.span));
    }
    if input.peek(LitInt) {
        let lit: LitInt = input.parse()?;
        match lit.base10_parse::<u64>() {
            Ok(n) if n >= 1 && lit.suffix().is_empty() => Ok(DimAst::Lit(lit)),
            _ => Err(syn::Error::new(
                lit.span(),
                "a literal dim is a whole number of at least 1, without suffix",
            )),
        }
    } else {
        let ty: syn::Type = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a dim: a name declared with `dims!`, a generic parameter, or an integer",
            )
        })?;
        Ok(DimAst::Type(Box::new(strip_groups(ty))))
    }
}

/// A dim passed through `macro_rules!` arrives wrapped in an invisible group.
fn strip_groups(ty: syn::Type) -> syn::Type {
    match ty {
        syn::Type::Group(g) => strip_groups(*g.elem),
        syn::Type::Paren(p) => strip_groups(*p.elem),
        other => other,
    }
}

impl DimAst {
    /// The dim as the user wrote it, for messages and for equality.
    pub fn text(&self) -> String {
        match self {
            DimAst::Lit(l) => l.base10_digits().to_string(),
            DimAst::Infer(_) => "_".to_string(),
            DimAst::Type(t) => quote::quote!(#t).to_string().replace(' ', ""),
            DimAst::Sum(terms) => {
                let mut s = String::new();
                for (i, (k, d)) in terms.iter().enumerate() {
                    let sign = if *k < 0 {
                        " − "
                    } else if i > 0 {
                        " + "
                    } else {
                        ""
                    };
                    s += sign;
                    match (k.abs(), d) {
                        (1, d) => s += &d.text(),
                        (k, DimAst::Lit(l)) => s += &format!("{k}·{}", l.base10_digits()),
                        (k, d) => s += &format!("{k}·{}", d.text()),
                    }
                }
                s
            }
        }
    }
}
