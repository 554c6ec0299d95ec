//! The page's HTML: a section per net (source with shapes, errors, graph,
//! derivation, params), inline CSS, no script.

use std::collections::HashMap;

use super::Found;
use crate::net::analysis::{Derivation, Line};
use crate::net::values::{NetValues, ValueKind};

/// `s` with `& < > "` escaped for HTML text and attributes.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:24px;color:#111827;max-width:1200px}
h1{font-size:20px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #d1d5db}
pre.source{background:#f9fafb;border:1px solid #e5e7eb;padding:8px;overflow-x:auto;font-size:13px;line-height:1.5}
.line{display:block}.no{color:#9ca3af;display:inline-block;width:3em;user-select:none}
.shape{color:#047857;margin-left:2em}.bad{background:#fee2e2}
.error{display:block;color:#b91c1c;margin-left:3em;white-space:pre-wrap}
table.params td,table.params th{padding:2px 12px;text-align:left;font-size:13px}
.graph{border:1px solid #e5e7eb;background:#fff}.scroll{overflow-x:auto}
math{font-size:15px}mtd{text-align:left;padding:1px 4px}mtd:first-child{text-align:right}";

/// The whole page for `file` (its text `source`) and the nets found in it.
pub fn page(file: &str, source: &str, found: &[Found], sizes: &HashMap<String, u64>) -> String {
    let mut body = String::new();
    if found.is_empty() {
        body += "<p>No <code>net!</code> in this file.</p>\n";
    }
    let lines: Vec<&str> = source.lines().collect();
    for f in found {
        body += &section(f, &lines, sizes);
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} — shapegrad</title><style>{STYLE}</style></head>\n<body>\n<h1>{}</h1>\n{body}</body></html>\n",
        escape(file),
        escape(file)
    )
}

/// One `net!` invocation: each net in it (usually one), or its errors.
fn section(f: &Found, lines: &[&str], sizes: &HashMap<String, u64>) -> String {
    let a = &f.analysis;
    let mut out = String::new();
    let names: Vec<String> = a.nets.iter().map(|n| n.net.clone()).collect();
    let title = if names.is_empty() { "net!".to_string() } else { names.join(", ") };
    out += &format!("<section class=\"net\" data-net=\"{}\">\n<h2>{}</h2>\n", escape(&title), escape(&title));
    if !a.diagnostics.is_empty() {
        out += &format!(
            "<p class=\"errors\">{} error{} (as the compiler reports them, at their lines below).</p>\n",
            a.diagnostics.len(),
            if a.diagnostics.len() == 1 { "" } else { "s" }
        );
    }
    out += &source_block(f, lines);
    for net in &a.nets {
        let d = a.derivations.iter().find(|d| d.net == net.net);
        let order: HashMap<String, usize> = d
            .map(|d| d.lines.iter().enumerate().map(|(i, l)| (l.value.clone(), i + 1)).collect())
            .unwrap_or_default();
        out += &format!(
            "<h3>{}: the graph</h3>\n<div class=\"scroll\">{}</div>\n",
            escape(&net.net),
            super::graph::svg(net, &order)
        );
        if let Some(d) = d {
            out += &format!("<h3>{}: the backward pass</h3>\n{}", escape(&net.net), derivation(d));
        }
        out += &params(net, sizes);
    }
    out + "</section>\n"
}

/// The invocation's lines, each `let` with its name and shape beside it,
/// each error under its line.
fn source_block(f: &Found, lines: &[&str]) -> String {
    // Lines count from 1; a span without a place reads 0.
    let (first, last) = (f.lines.0.max(1), f.lines.1.max(1));
    let mut shapes: HashMap<usize, Vec<String>> = HashMap::new();
    for net in &f.analysis.nets {
        for v in net.values.iter().filter(|v| matches!(v.kind, ValueKind::Let | ValueKind::Loss)) {
            let shape = v.shape.as_deref().unwrap_or("?");
            shapes.entry(v.at.line).or_default().push(format!("{}: {shape}", v.name));
        }
    }
    let mut errors: HashMap<usize, Vec<String>> = HashMap::new();
    for d in &f.analysis.diagnostics {
        let line = d.start.line.clamp(first, last.max(first));
        errors.entry(line).or_default().push(format!(
            "{}:{}: {}",
            d.start.line,
            d.start.column + 1,
            d.message
        ));
    }
    let mut out = String::from("<pre class=\"source\">");
    for no in first..=last.max(first) {
        let text = no.checked_sub(1).and_then(|i| lines.get(i)).copied().unwrap_or("");
        let bad = if errors.contains_key(&no) { " bad" } else { "" };
        out += &format!(
            "<span class=\"line{bad}\" data-line=\"{no}\"><span class=\"no\">{no}</span>{}",
            escape(text)
        );
        if let Some(s) = shapes.get(&no) {
            out += &format!("<span class=\"shape\">{}</span>", escape(&s.join(", ")));
        }
        out += "</span>";
        for e in errors.get(&no).into_iter().flatten() {
            out += &format!("<span class=\"error\" data-line=\"{no}\">error: {}</span>", escape(e));
        }
    }
    out + "</pre>\n"
}

/// The derivation: each layer's backward pass once, then the net's, each
/// as one MathML table, a row per adjoint: `∂v = …` and its shape.
fn derivation(d: &Derivation) -> String {
    let mut out = String::new();
    for l in &d.layers {
        out += &format!("<p>{}</p>\n{}", escape(&l.header), table(&l.latex_lines, &l.lines));
    }
    out + &format!("<p>L = <code>{}</code></p>\n{}", escape(&d.loss), table(&d.latex_lines, &d.lines))
}

fn table(latex: &[Line], text: &[Line]) -> String {
    let mut rows = String::new();
    for (l, t) in latex.iter().zip(text) {
        let (lhs, rhs) = (inner(&l.adjoint), inner(&l.expression));
        rows += &format!(
            "<mtr data-value=\"{}\"><mtd>{lhs}</mtd><mtd><mo>=</mo></mtd><mtd>{rhs}</mtd><mtd><mtext>\u{2003}{}</mtext></mtd></mtr>\n",
            escape(&t.value),
            escape(&t.shape)
        );
    }
    format!(
        "<math display=\"block\" class=\"derivation\"><mtable columnalign=\"right center left left\">\n{rows}</mtable></math>\n"
    )
}

/// The MathML of one LaTeX expression, without its `<math>` element; the
/// LaTeX as text where the conversion has no form for it.
fn inner(latex: &str) -> String {
    match latex2mathml::latex_to_mathml(latex, latex2mathml::DisplayStyle::Inline) {
        Ok(m) => {
            let start = m.find('>').map_or(0, |i| i + 1);
            let end = m.rfind("</math>").unwrap_or(m.len());
            format!("<mrow>{}</mrow>", &m[start..end])
        }
        Err(_) => format!("<mtext>{}</mtext>", escape(latex)),
    }
}

/// The number of values of a shape written `[H×D]`, when `sizes` (from
/// the file's `dims!`) knows every dim.
fn count(shape: &str, sizes: &HashMap<String, u64>) -> Option<u64> {
    let inner = shape.strip_prefix('[')?.strip_suffix(']')?;
    inner.split('×').map(|d| d.trim().parse::<u64>().ok().or_else(|| sizes.get(d.trim()).copied())).product()
}

/// The params' table: name, shape and, where the file's `dims!` gives the
/// sizes, the number of values, and the total.
fn params(net: &NetValues, sizes: &HashMap<String, u64>) -> String {
    let mut total = Some(0u64);
    let mut rows = String::new();
    for v in net.values.iter().filter(|v| v.kind == ValueKind::Param) {
        let shape = v.shape.as_deref().unwrap_or("?");
        let n = count(shape, sizes);
        total = total.zip(n).map(|(t, n)| t + n);
        let n = n.map_or_else(|| "?".to_string(), |n| n.to_string());
        rows += &format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{n}</td></tr>",
            escape(&v.name),
            escape(shape)
        );
    }
    let values = net.values.len();
    let lets = net.values.iter().filter(|v| v.kind == ValueKind::Let).count();
    let total = total.map_or_else(|| "? (a dim's size is not in this file)".to_string(), |t| t.to_string());
    format!(
        "<h3>{}: params</h3>\n<table class=\"params\"><tr><th>param</th><th>shape</th><th>values</th></tr>{rows}<tr><td>total</td><td></td><td>{total}</td></tr></table>\n<p>{values} named values, {lets} of them <code>let</code>s.</p>\n",
        escape(&net.net)
    )
}
