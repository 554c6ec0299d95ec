//! `net!`: a network written once, its shapes checked, its backward pass
//! derived at compile time.
//!
//! The stages, each in its own module and unit-tested on token streams:
//! parse (tokens → syntax tree) → check (syntax tree → typed graph, every
//! shape error collected) → autodiff (reverse mode on the graph) → simplify
//! (rewrite rules applied as the backward pass is built) → codegen (Rust) and
//! explain (the derivation as text and LaTeX).

mod autodiff;
mod check;
mod codegen;
mod error;
mod explain;
mod model;
mod parse;
mod simplify;

use proc_macro2::TokenStream;

use error::Errors;
use model::NodeId;

/// Expands `net!`. Every bad input becomes a spanned `compile_error!`, all of
/// an invocation's errors together, next to a stub of the declared items so
/// that code using the net gets no follow-on errors.
pub fn expand(input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let nets = parse::parse_nets(input, &mut errors);
    let models: Vec<check::Model> = nets.iter().map(|ast| check::build(ast, &mut errors)).collect();
    let mut out = TokenStream::new();
    for mut m in models {
        if !errors.is_empty() {
            out.extend(codegen::Codegen::new(&m).stub());
            continue;
        }
        let Some(loss) = m.loss else { continue };
        let params: Vec<NodeId> = m.params.iter().filter_map(|p| p.node).collect();
        let forward_len = m.graph.nodes.len();
        let adj = autodiff::backward(&mut m.graph, loss, &params);
        let text = explain::derivation(&m, &adj, forward_len, false);
        let latex = explain::derivation(&m, &adj, forward_len, true);
        out.extend(codegen::Codegen::new(&m).generate(&adj, &text, &latex));
    }
    out.extend(errors.to_compile_errors());
    out
}
