//! `net!` checked and differentiated outside a proc-macro: the diagnostics
//! the macro would report, with their positions, and each valid net's
//! derivation as data.

use proc_macro2::{TokenStream, TokenTree};

use super::error::Errors;
use super::values::{NetValues, values};
use super::{check, differentiate, explain, parse};

pub use super::explain::Line;

/// A line and a column in the source: lines from 1, columns (in `char`s) from 0,
/// as `proc_macro2::LineColumn` counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// One error, as the macro reports it: the message and the range of tokens
/// it sits under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub message: String,
    pub start: Position,
    pub end: Position,
}

/// The derived backward pass of one valid net.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Derivation {
    /// The net's name.
    pub net: String,
    /// The loss as written.
    pub loss: String,
    /// One line per adjoint of a named value, in the order they are completed.
    pub lines: Vec<Line>,
    /// The same lines in LaTeX.
    pub latex_lines: Vec<Line>,
    /// The text `derivation()` returns.
    pub text: String,
    /// The LaTeX `derivation_latex()` returns.
    pub latex: String,
    /// Each layer's backward pass, printed once before the net's lines
    /// (which name each call's part, `∂x|r₂`): see [`LayerPass`].
    pub layers: Vec<LayerPass>,
}

/// A layer's backward pass, derived once, in the layer's names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerPass {
    /// `layer Residual(x) → y, backward once, given ∂y (…)`.
    pub header: String,
    pub lines: Vec<Line>,
    /// The header and lines in LaTeX.
    pub latex_header: String,
    pub latex_lines: Vec<Line>,
}

/// What checking the body of a `net!` invocation found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Every error, in the order found; empty when the nets are valid.
    pub diagnostics: Vec<Diagnostic>,
    /// The derivation of each net, when there is no error at all (as the
    /// macro, which generates code only then).
    pub derivations: Vec<Derivation>,
    /// Each net's named values with their shapes and what they read, from
    /// what checked (errors or not).
    pub nets: Vec<NetValues>,
}

impl Analysis {
    pub fn is_ok(&self) -> bool {
        self.diagnostics.is_empty()
    }
}

/// Checks and differentiates the tokens of a `net!` body (one or more
/// `net Name { … }`), as the macro does before generating code.
///
/// ```
/// let analysis = shapegrad_dsl::analyze_source(
///     "net N { param W2: [C, H]; input dz: [C]; loss sum(W2 @ dz); }",
/// );
/// // Every use of `W2` reads it transposed: the error is at its declaration.
/// let d = &analysis.diagnostics[0];
/// assert!(d.message.starts_with("`W2` is declared [C×H], but every use reads it as [H×C]"));
/// assert_eq!((d.start.line, d.start.column), (1, 14)); // under `W2` in `param W2`
/// ```
pub fn analyze(input: TokenStream) -> Analysis {
    let mut errors = Errors::default();
    let nets = parse::parse_nets(input, &mut errors);
    let models: Vec<check::Model> = nets.iter().map(|ast| check::build(ast, &mut errors)).collect();
    let nets_values = nets.iter().zip(&models).map(|(ast, m)| values(ast, m)).collect();
    let mut analysis =
        Analysis { diagnostics: diagnostics(&errors), derivations: Vec::new(), nets: nets_values };
    if !analysis.is_ok() {
        return analysis;
    }
    for d in models.into_iter().filter_map(differentiate) {
        let (m, adj, n) = (&d.m, &d.adj, d.forward_len);
        // Generic dims by their names (the macro's code writes the instantiated ones).
        let plain = |lines: Vec<Line>| -> Vec<Line> {
            let p = explain::plain;
            lines
                .into_iter()
                .map(|l| Line {
                    value: l.value,
                    adjoint: p(&l.adjoint),
                    expression: p(&l.expression),
                    shape: p(&l.shape),
                    step: l.step,
                })
                .collect()
        };
        analysis.derivations.push(Derivation {
            net: m.name.to_string(),
            loss: m.loss_text.clone(),
            lines: plain(explain::lines(m, adj, n, false)),
            latex_lines: plain(explain::lines(m, adj, n, true)),
            text: explain::plain(&explain::derivation(m, adj, n, false)),
            latex: explain::plain(&explain::derivation(m, adj, n, true)),
            layers: explain::layer_passes(m, adj, n, false)
                .into_iter()
                .zip(explain::layer_passes(m, adj, n, true))
                .map(|((header, lines), (latex_header, latex_lines))| LayerPass {
                    header: explain::plain(&header),
                    lines: plain(lines),
                    latex_header: explain::plain(&latex_header),
                    latex_lines: plain(latex_lines),
                })
                .collect(),
        });
    }
    analysis
}

/// `analyze` on source text. Text that does not lex as Rust tokens (an
/// unclosed bracket, a stray quote) gives one diagnostic at line 1, column 0.
pub fn analyze_source(source: &str) -> Analysis {
    match source.parse::<TokenStream>() {
        Ok(tokens) => analyze(tokens),
        Err(e) => {
            let at = Position { line: 1, column: 0 };
            Analysis {
                diagnostics: vec![Diagnostic {
                    message: format!("cannot read the tokens: {e}"),
                    start: at,
                    end: at,
                }],
                derivations: Vec::new(),
                nets: Vec::new(),
            }
        }
    }
}

/// The errors with their ranges: syn puts an error's first span on the first
/// token of its `compile_error!` and its last span on the last one.
fn diagnostics(errors: &Errors) -> Vec<Diagnostic> {
    let at = |t: Option<&TokenTree>, start: bool| {
        let lc = t.map(|t| if start { t.span().start() } else { t.span().end() });
        lc.map_or(Position { line: 0, column: 0 }, |lc| Position { line: lc.line, column: lc.column })
    };
    errors
        .iter()
        .map(|e| {
            let tokens: Vec<TokenTree> = e.to_compile_error().into_iter().collect();
            Diagnostic {
                message: e.to_string(),
                start: at(tokens.first(), true),
                end: at(tokens.last(), false),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_with_its_range() {
        let a = analyze_source(
            "net N {\n  param W: [H, D];\n  input x: [H]; input v: [D];\n  loss sum(W @ x) + q + sum(W @ v);\n}",
        );
        assert_eq!(a.diagnostics.len(), 2, "{a:#?}");
        let d = &a.diagnostics[0];
        assert_eq!(
            d.message,
            "cannot multiply `W` [H×D] by `x` [H]: inner dimensions D and H differ; `W.T @ x` is [D]"
        );
        assert_eq!((d.start, d.end), (Position { line: 4, column: 11 }, Position { line: 4, column: 16 }));
        assert_eq!(a.diagnostics[1].message, "unknown name `q`");
        assert_eq!(a.diagnostics[1].start, Position { line: 4, column: 20 });
        assert!(a.derivations.is_empty());
    }

    #[test]
    fn a_valid_net_gives_its_derivation_as_lines() {
        let a = analyze_source(
            "net A<M, N> { param W: [M, N]; input x: [N]; let z = W @ x; loss 0.5 * sum(z * z); }",
        );
        assert!(a.is_ok(), "{a:#?}");
        let d = &a.derivations[0];
        assert_eq!((d.net.as_str(), d.loss.as_str()), ("A", "0.5 * sum(z * z)"));
        let lines: Vec<(&str, &str, &str)> =
            d.lines.iter().map(|l| (l.value.as_str(), l.expression.as_str(), l.shape.as_str())).collect();
        assert_eq!(lines, [("z", "z", "[M]"), ("W", "z xᵀ", "[M×N]")]);
        assert_eq!(d.latex_lines[1].adjoint, "\\partial W");
        assert!(d.text.contains("∂W = z xᵀ   [M×N]"), "{}", d.text);
    }

    #[test]
    fn text_that_does_not_lex_is_one_diagnostic() {
        let a = analyze_source("net N { loss (x; }");
        assert_eq!(a.diagnostics.len(), 1);
        assert!(a.diagnostics[0].message.starts_with("cannot read the tokens"));
    }
}
