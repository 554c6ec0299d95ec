//! Stage 6b: the derivation, as text and as LaTeX, and the source text of
//! expressions for error messages.
//!
//! One line per adjoint of a named value (`let`s and params), in the order
//! the backward pass completes them, each with its shape in the user's dims.
//! Anonymous intermediates are written out in place; an adjoint already
//! given a line is referred to by its name (`∂z2`). Param lines also show
//! the closed form with every adjoint written out, when it is short.

use std::collections::{HashMap, HashSet};

use super::autodiff::Adjoints;
use super::check::Model;
use super::model::{DimId, Graph, NodeId, ONE, Shape};
use super::ops::{Prec, PrintCx, def};

mod layers;
mod loops;
mod text;
mod training;

pub use layers::layer_passes;
pub use text::plain;
use text::{CLOSE, OPEN, latex_name, latex_size, width, wrap};
pub use training::training;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Text,
    Latex,
}

struct Printer<'a> {
    g: &'a Graph,
    names: &'a HashMap<NodeId, String>,
    forward_len: usize,
    /// Adjoints already given a line, by the name of their value.
    adjoint_names: HashMap<NodeId, String>,
    style: Style,
    /// Write every adjoint out instead of referring to it by name.
    inline: bool,
    /// The net's generic dims, marked in the text (see `mark`).
    generics: Vec<String>,
    /// The layer calls printed by name (indices into `Graph::calls`).
    calls: Vec<usize>,
    /// The adjoints of values without a line (a call's argument written as
    /// an expression, `rs(tanh(a))`) that calls make: by the calls (`∂x|rs.0`).
    via_calls: HashMap<NodeId, String>,
}

/// One line of a derivation: `∂z1 = ∂h1 ⊙ σ(z1)(…)   [H]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The value whose adjoint the line gives, as the user named it (`z1`).
    pub value: String,
    /// The adjoint, as printed (`∂z1`, or `\partial z_{1}` in LaTeX).
    pub adjoint: String,
    /// Its right-hand side; for a param, followed by ` = ` and the closed form
    /// with every adjoint written out, when that is short.
    pub expression: String,
    /// Its shape in the user's dims (`[H]`, `[C×H]`, `scalar`).
    pub shape: String,
    /// The run-time loop whose backward steps compute it (`∂h[t]`), if any.
    pub step: Option<usize>,
}

/// Right-hand sides longer than this wrap (characters of text, of LaTeX source).
const WRAP_TEXT: usize = 72;
const WRAP_LATEX: usize = 100;

/// The derivation text (`latex == false`) or LaTeX `aligned` block.
pub fn derivation(m: &Model, adj: &Adjoints, forward_len: usize, latex: bool) -> String {
    let rows = lines(m, adj, forward_len, latex);
    let p = printer(m, forward_len, latex);
    let mut forward = p.forward_loops(m);
    forward.extend(p.layer_blocks(adj));
    if latex {
        let mut out: Vec<String> = Vec::new();
        for (header, lines) in &forward {
            out.push(header.clone());
            for (lhs, rhs, shape) in lines {
                out.push(format!("{lhs} &= {rhs} && {shape}"));
            }
        }
        let mut group = None;
        for l in rows {
            if l.step.is_some() && l.step != group {
                out.push(p.backward_header(l.step.unwrap_or(0)));
            }
            group = l.step;
            let parts = wrap(&l.expression, WRAP_LATEX);
            out.push(format!("{} &= {} && {}", l.adjoint, parts.join(" \\\\\n&\\quad "), l.shape));
        }
        out.extend(p.functions(&out.join("\n")));
        return format!("\\begin{{aligned}}\n{}\n\\end{{aligned}}", out.join(" \\\\\n"));
    }
    let wrapped: Vec<Vec<String>> = rows.iter().map(|l| wrap(&l.expression, WRAP_TEXT)).collect();
    let lw = rows.iter().map(|r| width(&r.adjoint)).max().unwrap_or(0);
    let rw = wrapped.iter().flatten().map(|r| width(r)).max().unwrap_or(0);
    let mut out = String::new();
    for (header, lines) in &forward {
        out += &format!("{header}\n");
        let w = lines.iter().map(|(l, ..)| width(l)).max().unwrap_or(0);
        let rw = lines.iter().map(|(_, r, _)| width(r)).max().unwrap_or(0);
        for (lhs, rhs, shape) in lines {
            let (pl, pr) = (" ".repeat(w - width(lhs)), " ".repeat(rw - width(rhs)));
            out += &format!("  {lhs}{pl} = {rhs}{pr}   {shape}\n");
        }
    }
    out += &format!("backward pass of `{}`, with ∂X = ∂L/∂X and L = {}\n", m.name, m.loss_text);
    let mut group = None;
    for (l, parts) in rows.iter().zip(&wrapped) {
        if l.step.is_some() && l.step != group {
            out += &format!("{}\n", p.backward_header(l.step.unwrap_or(0)));
        }
        group = l.step;
        // A backward step's lines are indented under their loop's header.
        let (indent, lw) = if l.step.is_some() { ("  ", lw.saturating_sub(2)) } else { ("", lw) };
        let last = parts.len() - 1;
        for (i, part) in parts.iter().enumerate() {
            let lhs = if i == 0 {
                format!("{indent}{:<lw$} =", l.adjoint)
            } else {
                " ".repeat(lw + 2 + indent.len())
            };
            if i == last {
                let pad = " ".repeat(rw - width(part));
                out += &format!("{lhs} {part}{pad}   {}\n", l.shape);
            } else {
                out += &format!("{lhs} {part}\n");
            }
        }
    }
    for line in p.functions(&out) {
        out += &format!("{line}\n");
    }
    out
}

fn printer(m: &Model, forward_len: usize, latex: bool) -> Printer<'_> {
    let style = if latex { Style::Latex } else { Style::Text };
    Printer {
        g: &m.graph,
        names: &m.names,
        forward_len,
        adjoint_names: HashMap::new(),
        style,
        inline: false,
        generics: m.generics.iter().map(|g| g.to_string()).collect(),
        calls: layers::sealed(&m.graph, forward_len),
        via_calls: HashMap::new(),
    }
}

/// The lines of the derivation, in the order the backward pass completes
/// them; a loop's backward steps together, after what each step sends back.
pub fn lines(m: &Model, adj: &Adjoints, forward_len: usize, latex: bool) -> Vec<Line> {
    let mut p = printer(m, forward_len, latex);
    p.via_calls = adj.of.iter().filter_map(|(&n, &d)| Some((d, p.by_calls(adj, n)?))).collect();
    let loop_of = m.graph.loop_of();
    let is_param = |n: NodeId| m.params.iter().any(|d| d.node == Some(n));
    let mut rows = Vec::new();
    let mut done = HashSet::new();
    let mut sizes = HashMap::new();
    for &n in &adj.order {
        let Some(name) = m.names.get(&n) else { continue };
        // A value inside a layer call's body has its line in the layer's lines.
        if !done.insert(n) || p.inside_call(n) {
            continue;
        }
        let d = adj.of[&n];
        let by_calls = p.by_calls(adj, n);
        let mut rhs = by_calls.clone().unwrap_or_else(|| p.definition(d));
        // The adjoint of step `t` of a sequence that only the sequence reads
        // is step `t` of the sequence's adjoint: no line (`∂l[t] = (∂l)[t]`).
        if let Some((base, step)) = name.split_once('[')
            && rhs == format!("({})[{step}", p.adjoint(base))
        {
            continue;
        }
        // The closed form is written out only when it is short, which its
        // size tells before it is printed: printed regardless, shared
        // subexpressions would be written out once per path to them,
        // exponentially many in a chain of lets.
        // (A stack member's is its block of the stack's adjoint, which has its line.)
        let block = m.graph.op(d).is("member");
        if is_param(n) && by_calls.is_none() && !block && p.inline_size(d, &mut sizes) <= CLOSED_FORM_NODES {
            p.inline = true;
            let closed = p.definition(d);
            p.inline = false;
            if closed != rhs && closed.chars().count() <= 60 {
                rhs = format!("{rhs} = {closed}");
            }
        }
        rows.push(Line {
            value: name.clone(),
            adjoint: p.adjoint(name),
            expression: rhs,
            shape: p.shape(m.graph.shape(n)),
            step: loop_of[n],
        });
        p.adjoint_names.entry(d).or_insert_with(|| name.clone());
    }
    // Each loop's carries before its backward steps, what `init` receives after.
    for k in 0..m.graph.loops.len() {
        let (carried, inits) = p.carry_lines(k);
        let first = rows.iter().position(|l| l.step == Some(k));
        let last = rows.iter().rposition(|l| l.step == Some(k));
        if let (Some(first), Some(last)) = (first, last) {
            rows.splice(last + 1..last + 1, inits);
            rows.splice(first..first, carried);
        }
    }
    rows
}

/// At most this many nodes in a param's closed form (60 characters hold no more).
const CLOSED_FORM_NODES: usize = 30;

impl Printer<'_> {
    /// How many nodes `n` prints as when written out inline (forward values
    /// by name), saturating just above `CLOSED_FORM_NODES`; memoized in `sizes`.
    fn inline_size(&self, n: NodeId, sizes: &mut HashMap<NodeId, usize>) -> usize {
        if self.forward_name(n).is_some() {
            return 1;
        }
        if let Some(&s) = sizes.get(&n) {
            return s;
        }
        let mut size = 1;
        for &a in self.g.op(n).operands() {
            size = (size + self.inline_size(a, sizes)).min(CLOSED_FORM_NODES + 1);
        }
        sizes.insert(n, size);
        size
    }

    /// A user's name: as written in text; in LaTeX a subscript for what
    /// follows `_`, trailing digits or a second letter (`y_{\text{hat}}`,
    /// `W_{1}`, `W_{o}`), a Greek letter by its symbol (`\gamma`), a longer
    /// word upright (`\text{logits}`).
    fn name(&self, name: &str) -> String {
        match name.split_once('[') {
            // A step value, `h[t]`.
            Some((base, step)) if self.latex() => format!("{}[{step}", latex_name(base)),
            _ if self.latex() => latex_name(name),
            _ => name.to_string(),
        }
    }

    fn adjoint(&self, name: &str) -> String {
        if self.latex() { format!("\\partial {}", self.name(name)) } else { format!("∂{name}") }
    }

    /// A dim's name; a generic one marked; in LaTeX, one of several
    /// letters upright (`\text{Hidden}`).
    fn dim(&self, d: DimId) -> String {
        let text = &self.g.dims[d].text;
        if self.generics.contains(text) {
            format!("{OPEN}{text}{CLOSE}")
        } else if !self.latex() {
            text.clone()
        } else if let Some(parts) = self.g.parts(d) {
            // A rank-3 shape's dims, each a size of its own.
            let parts: Vec<String> = parts
                .iter()
                .map(|&p| {
                    let t = self.dim(p);
                    if t.contains(['+', '-']) { format!("({t})") } else { t }
                })
                .collect();
            parts.join(" \\times ")
        } else {
            latex_size(text)
        }
    }

    fn shape(&self, s: Shape) -> String {
        let times = if self.latex() { " \\times " } else { "×" };
        match s {
            Shape::Mat(r, ONE) => format!("[{}]", self.dim(r)),
            Shape::Mat(r, c) => format!("[{}{times}{}]", self.dim(r), self.dim(c)),
            Shape::Scalar | Shape::Label(_) | Shape::Labels(..) => "scalar".into(),
        }
    }

    /// The right-hand side of the line defining adjoint `d`.
    fn definition(&self, d: NodeId) -> String {
        if let Some(name) = (!self.inline).then(|| self.adjoint_names.get(&d)).flatten() {
            return self.adjoint(name);
        }
        if let Some(name) = self.forward_name(d) {
            return self.name(name);
        }
        // A function's derivative by its name, `hs′(z)`, as inside expressions.
        if self.g.applied.iter().any(|f| f.deriv == d) {
            return self.show(d).0;
        }
        self.expand(d).0
    }

    /// Each function whose derivative `text` names (`hardswish′(z)`), once:
    /// its definition and that derivative written out.
    fn functions(&self, text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for f in &self.g.applied {
            let shown = self.show(f.deriv).0;
            if seen.contains(&f.name.as_str()) || !text.contains(&shown) {
                continue;
            }
            seen.push(&f.name);
            let derivative = self.expand(f.deriv).0;
            out.push(if self.latex() {
                format!(
                    "&\\text{{where }} \\operatorname{{{}}}({}) = \\texttt{{{}}},\\ {shown} = {derivative}",
                    f.name.replace('_', "\\_"),
                    f.param,
                    f.definition.replace('_', "\\_")
                )
            } else {
                format!("where {}({}) = {}, so {shown} = {derivative}", f.name, f.param, f.definition)
            });
        }
        out
    }

    fn forward_name(&self, n: NodeId) -> Option<&String> {
        if n < self.forward_len { self.names.get(&n) } else { None }
    }

    /// Node `n` inside an expression: by name where it has one, else as its
    /// op prints it.
    fn show(&self, n: NodeId) -> (String, Prec) {
        // A function's derivative by its name: `hardswish′(z)`.
        if let Some(f) = self.g.applied.iter().find(|f| f.deriv == n) {
            let x = self.show(f.arg).0;
            let name = if self.latex() {
                format!("\\operatorname{{{}}}'", f.name.replace('_', "\\_"))
            } else {
                format!("{}′", f.name)
            };
            return (format!("{name}({x})"), Prec::Atom);
        }
        if let Some(name) = self.forward_name(n) {
            return (self.name(name), Prec::Atom);
        }
        if !self.inline
            && let Some(name) = self.adjoint_names.get(&n)
        {
            return (self.adjoint(name), Prec::Atom);
        }
        if let Some(text) = self.via_calls.get(&n) {
            return (text.clone(), if text.contains(" + ") { Prec::Sum } else { Prec::Atom });
        }
        self.expand(n)
    }

    fn expand(&self, n: NodeId) -> (String, Prec) {
        #[cfg(test)]
        tests::EXPANDED.with(|c| c.set(c.get() + 1));
        def(self.g.op(n).code).print(self, n)
    }
}

impl PrintCx for Printer<'_> {
    fn g(&self) -> &Graph {
        self.g
    }

    fn latex(&self) -> bool {
        self.style == Style::Latex
    }

    fn print(&self, n: NodeId) -> (String, Prec) {
        self.show(n)
    }

    fn dim_text(&self, d: DimId) -> String {
        self.dim(d)
    }

    fn leaf_name(&self, n: NodeId) -> String {
        self.name(self.names.get(&n).map_or("?", |s| s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn explain(tokens: TokenStream, latex: bool) -> String {
        let (m, adj, forward_len) = crate::net::derived(tokens);
        derivation(&m, &adj, forward_len, latex)
    }

    thread_local! {
        /// How many times `Printer::expand` ran on this thread.
        pub static EXPANDED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// A chain of `n` lets each using the previous value twice, as an
    /// unrolled RNN's hidden state is: the expansion and the printer's work.
    fn chain(n: usize) -> (String, usize) {
        let lets: String =
            (1..=n).map(|i| format!("let a{i} = tanh(a{}) * a{} + w;", i - 1, i - 1)).collect();
        let src =
            format!("net Chain {{ param w: [D]; input x: [D]; let a0 = x + w; {lets} loss sum(a{n}); }}");
        EXPANDED.with(|c| c.set(0));
        let out = crate::expand_net(src.parse().unwrap()).to_string();
        (out, EXPANDED.with(|c| c.get()))
    }

    #[test]
    fn a_chain_of_lets_expands_in_linear_work() {
        // Every value is used twice, so writing shared subexpressions out
        // once per path is exponential in the depth: 2⁸ times the work at 16
        // lets as at 8. Linear work doubles.
        let (out8, work8) = chain(8);
        let (out16, work16) = chain(16);
        assert!(work16 <= 2 * work8 + 50, "printer work {work8} at 8 lets, {work16} at 16");
        assert!(
            out16.len() <= 2 * out8.len(),
            "expansion {} chars at 8 lets, {} at 16",
            out8.len(),
            out16.len()
        );
        // 500 lets (parse, check, autodiff, simplify, codegen and explain):
        // 62.5 times the work and output of 8, within a margin.
        let (out500, work500) = chain(500);
        assert!(work500 <= 70 * work8 + 2500, "printer work {work8} at 8 lets, {work500} at 500");
        assert!(
            out500.len() <= 70 * out8.len(),
            "expansion {} chars at 8 lets, {} at 500",
            out8.len(),
            out500.len()
        );
        assert!(!out500.contains("compile_error"));
    }

    #[test]
    fn long_lines_wrap_before_a_top_level_operator() {
        let s = "∂a0 + ∂a1 + (∂a2 + ∂a3 + ∂a4) − ∂a5 + f(x - y) = z";
        assert_eq!(wrap(s, 19), ["∂a0 + ∂a1", "+ (∂a2 + ∂a3 + ∂a4)", "− ∂a5 + f(x - y)", "= z"]);
        assert_eq!(wrap(s, 20), ["∂a0 + ∂a1", "+ (∂a2 + ∂a3 + ∂a4)", "− ∂a5 + f(x - y) = z"]);
        assert_eq!(wrap(s, 200), [s]);
        assert_eq!(wrap("-x", 1), ["-x"], "a leading minus is no place to break");
    }

    #[test]
    fn latex_names() {
        let cases = [
            ("W1", "W_{1}"),
            ("h12", "h_{12}"),
            ("Wo", "W_{o}"),
            ("y_hat", "y_{\\text{hat}}"),
            ("x_in", "x_{\\text{in}}"),
            ("W_1", "W_{1}"),
            ("b_o", "b_{o}"),
            ("logits", "\\text{logits}"),
            ("gamma", "\\gamma"),
            ("beta1", "\\beta_{1}"),
            ("x", "x"),
            ("_x", "\\text{\\_x}"),
            ("r₂", "{r}_{2}"),
            ("blocks.3.W1", "\\text{blocks}.3.W_{1}"),
            ("r.h₂", "r.{h}_{2}"),
            ("W1₁₂", "{W_{1}}_{12}"),
        ];
        for (name, latex) in cases {
            assert_eq!(latex_name(name), latex, "{name}");
        }
    }

    #[test]
    fn dims_of_several_letters_are_upright_in_latex() {
        let tex = explain(quote!(net N { param W: [Hidden, D]; input x: [D]; loss sum(W @ x); }), true);
        assert!(tex.contains("[\\text{Hidden} \\times D]"), "{tex}");
        let text = explain(quote!(net N { param W: [Hidden, D]; input x: [D]; loss sum(W @ x); }), false);
        assert!(text.contains("[Hidden×D]"), "{text}");
    }

    #[test]
    fn names_become_subscripts_in_latex() {
        let tex = explain(quote!(net N { param W1: [H, D]; input x: [D]; loss sum(W1 @ x); }), true);
        assert!(tex.contains("\\partial W_{1} &= \\mathbf{1} x^\\top && [H \\times D]"), "{tex}");
    }
}
