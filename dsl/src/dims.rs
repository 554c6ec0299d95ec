//! `dims! { /// doc  pub H = 128; ... }`: one zero-sized type per name,
//! implementing `shapegrad::Dim` with the size spelled as a typenum integer.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, LitInt, Token, Visibility};

/// One declaration: `#[attrs] vis NAME = SIZE;`.
struct DimDecl {
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
    size: LitInt,
}

struct DimsInput {
    decls: Vec<DimDecl>,
}

impl Parse for DimDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let name = input.parse().map_err(|e| {
            syn::Error::new(e.span(), "expected a dimension declaration such as `pub H = 128;`")
        })?;
        input.parse::<Token![=]>()?;
        let size = input.parse().map_err(|e| {
            syn::Error::new(e.span(), "a dimension's size must be an integer literal, as in `pub H = 128;`")
        })?;
        Ok(DimDecl { attrs, vis, name, size })
    }
}

impl Parse for DimsInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut decls = Vec::new();
        while !input.is_empty() {
            decls.push(input.parse()?);
            if input.is_empty() {
                break;
            }
            input.parse::<Token![;]>()?;
        }
        Ok(DimsInput { decls })
    }
}

/// Checks one declaration; returns its size or the errors found.
fn check(decl: &DimDecl, seen: &[&Ident], errors: &mut Vec<syn::Error>) -> Option<u64> {
    if seen.contains(&&decl.name) {
        errors
            .push(syn::Error::new(decl.name.span(), format!("dimension `{}` is declared twice", decl.name)));
    }
    match decl.size.base10_parse::<u64>() {
        Ok(0) => {
            errors.push(syn::Error::new(
                decl.size.span(),
                format!("dimension `{}` has size 0; sizes start at 1", decl.name),
            ));
            None
        }
        Ok(n) if decl.size.suffix().is_empty() || decl.size.suffix() == "usize" => Some(n),
        Ok(_) => {
            errors
                .push(syn::Error::new(decl.size.span(), "write the size without a type suffix, as in `128`"));
            None
        }
        Err(_) => {
            errors.push(syn::Error::new(
                decl.size.span(),
                format!("the size of `{}` must be a whole number from 1 to {}", decl.name, u64::MAX),
            ));
            None
        }
    }
}

fn generate(decl: &DimDecl, size: u64) -> TokenStream {
    let DimDecl { attrs, vis, name, .. } = decl;
    let name_str = name.to_string();
    let size_ty = crate::typenum::spelling(size);
    let has_doc = attrs.iter().any(|a| a.path().is_ident("doc"));
    let doc = if has_doc {
        format!("\n\nDimension `{name_str}`, of size {size}.")
    } else {
        format!("Dimension `{name_str}`, of size {size}.")
    };
    quote_spanned! {name.span()=>
        #(#attrs)*
        #[doc = #doc]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types)]
        #vis struct #name;

        impl ::shapegrad::Dim for #name {
            type Size = #size_ty;
            const NAME: &'static str = #name_str;
        }
    }
}

/// Expands `dims!`; every bad input becomes a spanned `compile_error!`, all
/// of them reported together, and the valid declarations are still emitted
/// so that code using them does not drown the real error.
pub fn expand(input: TokenStream) -> TokenStream {
    let parsed = match syn::parse2::<DimsInput>(input) {
        Ok(p) => p,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Vec::new();
    let mut out = TokenStream::new();
    let mut seen = Vec::new();
    let mut emitted = Vec::new();
    for decl in &parsed.decls {
        // A name is emitted once, from its first valid declaration.
        if let Some(size) = check(decl, &seen, &mut errors)
            && !emitted.contains(&&decl.name)
        {
            out.extend(generate(decl, size));
            emitted.push(&decl.name);
        }
        seen.push(&decl.name);
    }
    if parsed.decls.is_empty() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`dims!` declares no dimension; write e.g. `dims! { pub H = 128; }`",
        ));
    }
    out.extend(errors.into_iter().map(|e| e.to_compile_error()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(s: &str) -> String {
        expand(s.parse().unwrap()).to_string()
    }

    #[test]
    fn declarations_become_types_with_docs() {
        let out = expand_str("/// Input features.\npub D = 784; H = 2");
        assert!(out.contains("pub struct D"));
        assert!(out.contains("struct H"));
        assert!(out.contains("Input features."));
        assert!(out.contains("Dimension `D`, of size 784."));
        assert!(out.contains("const NAME : & 'static str = \"H\""));
    }

    #[test]
    fn all_errors_are_reported_together() {
        let out = expand_str("pub H = 0; pub H = 3; pub D = 4u8; pub C = 10;");
        assert_eq!(out.matches("compile_error").count(), 3, "{out}");
        assert!(out.contains("has size 0"));
        assert!(out.contains("declared twice"));
        assert!(out.contains("without a type suffix"));
        // The valid declarations are still emitted.
        assert!(out.contains("pub struct C"));
        assert!(out.contains("pub struct H"));
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        for bad in ["pub H = ;", "= 3", "H = \"x\"", "pub H 3;", "H = 99999999999999999999999;", ""] {
            let out = expand_str(bad);
            assert!(out.contains("compile_error"), "{bad}: {out}");
        }
    }
}
