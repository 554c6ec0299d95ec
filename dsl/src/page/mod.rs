//! A page that shows a net: one self-contained HTML file (no network, works
//! from `file://`) with, for each `net!` of a Rust source file, its source
//! with every value's shape beside its line, the graph of its named values
//! as SVG, its derivation typeset as MathML (converted from the LaTeX the
//! library produces, by the `latex2mathml` crate: MathML renders natively
//! in browsers, so the page needs no script), its params, and its errors at
//! their lines with the compiler's text.
//!
//! ```
//! let page = shapegrad_dsl::page::page_for_source(
//!     "net.rs",
//!     "net! { net Lin { param W: [C, D]; input x: [D]; label y: C;
//!                       let z = W @ x; loss softmax_cross_entropy(z, y); } }",
//! );
//! assert!(page.contains("<svg") && page.contains("<math"));
//! assert!(page.contains("class=\"shape\">z: [C], loss: a scalar<"));
//! ```

mod graph;
mod html;

use std::collections::HashMap;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use crate::net::analysis::{Analysis, Diagnostic, analyze};

pub use html::escape;

/// One `net!` invocation found in a file: its lines and its analysis.
pub struct Found {
    /// The first and last line of the invocation (from 1).
    pub lines: (usize, usize),
    pub analysis: Analysis,
}

/// Every `net! { … }` in `tokens`, at any depth (inside modules and
/// functions), and the sizes `dims! { H = 16; … }` gives.
fn find_nets(tokens: TokenStream, out: &mut Vec<Found>, sizes: &mut HashMap<String, u64>) {
    let toks: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, t) in toks.iter().enumerate() {
        if let (TokenTree::Ident(id), Some(TokenTree::Punct(p)), Some(TokenTree::Group(g))) =
            (t, toks.get(i + 1), toks.get(i + 2))
            && id == "dims"
            && p.as_char() == '!'
        {
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            for w in inner.windows(3) {
                if let [TokenTree::Ident(name), TokenTree::Punct(eq), TokenTree::Literal(n)] = w
                    && eq.as_char() == '='
                    && let Ok(n) = n.to_string().parse::<u64>()
                {
                    sizes.insert(name.to_string(), n);
                }
            }
        }
        if let (TokenTree::Ident(id), Some(TokenTree::Punct(p)), Some(TokenTree::Group(g))) =
            (t, toks.get(i + 1), toks.get(i + 2))
            && id == "net"
            && p.as_char() == '!'
            && g.delimiter() != Delimiter::None
        {
            let lines = (id.span().start().line, g.span().end().line);
            out.push(Found { lines, analysis: analyze(g.stream()) });
            continue;
        }
        if let TokenTree::Group(g) = t {
            find_nets(g.stream(), out, sizes);
        }
    }
}

/// The page for the Rust file `source` (named `file` in its title): every
/// `net!` in it. A file that does not lex is one error on the page.
pub fn page_for_source(file: &str, source: &str) -> String {
    let mut found = Vec::new();
    let mut sizes = HashMap::new();
    match source.parse::<TokenStream>() {
        Ok(tokens) => find_nets(tokens, &mut found, &mut sizes),
        Err(e) => {
            let at = crate::Position { line: 1, column: 0 };
            let diagnostics =
                vec![Diagnostic { message: format!("cannot read the tokens: {e}"), start: at, end: at }];
            let analysis = Analysis { diagnostics, ..Analysis::default() };
            found.push(Found { lines: (1, source.lines().count().max(1)), analysis });
        }
    }
    html::page(file, source, &found, &sizes)
}

/// The page of one net from its `net!` body as tokens (what the macro
/// sees): the body printed a statement per line, then shown as a file.
pub fn page_for_tokens(name: &str, body: TokenStream) -> String {
    let text = format!("net! {{\n{}}}\n", pretty(body, 1));
    page_for_source(name, &text)
}

/// Tokens as source text, a statement per line, blocks indented.
fn pretty(tokens: TokenStream, depth: usize) -> String {
    let pad = "    ".repeat(depth);
    let mut out = String::new();
    let mut line: Vec<TokenTree> = Vec::new();
    let flush = |line: &mut Vec<TokenTree>, out: &mut String, end: &str| {
        if !line.is_empty() {
            let text: TokenStream = line.drain(..).collect();
            out.push_str(&format!("{pad}{}{end}\n", tidy(&text.to_string())));
        }
    };
    for t in tokens {
        match &t {
            TokenTree::Punct(p) if p.as_char() == ';' => flush(&mut line, &mut out, ";"),
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                let head: TokenStream = line.drain(..).collect();
                out.push_str(&format!(
                    "{pad}{} {{\n{}{pad}}}\n",
                    tidy(&head.to_string()),
                    pretty(g.stream(), depth + 1)
                ));
            }
            _ => line.push(t),
        }
    }
    flush(&mut line, &mut out, "");
    out
}

/// `proc_macro2`'s spacing made the way people write: `f(x)`, `[H, D]`, `W.T`.
fn tidy(s: &str) -> String {
    let mut t = s.to_string();
    for (from, to) in [
        (" ,", ","),
        ("( ", "("),
        (" )", ")"),
        ("[ ", "["),
        (" ]", "]"),
        (" . ", "."),
        (" .", "."),
        (" :", ":"),
    ] {
        t = t.replace(from, to);
    }
    // A call or an index: no space between a name and its `(` or `[`.
    let mut out = String::with_capacity(t.len());
    let chars: Vec<char> = t.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' '
            && matches!(chars.get(i + 1), Some('(' | '['))
            && i > 0
            && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_' || chars[i - 1] == ']')
        {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;
