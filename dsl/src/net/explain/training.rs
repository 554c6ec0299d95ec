//! The training form of each op that has one (`OpDef::training_text`: a
//! `batchnorm`), appended to the derivation: the per-example lines are the
//! evaluation mode (running statistics, constants of the gradient); the
//! batched training methods differentiate through the batch's mean and
//! variance, and this block writes their adjoint in its compact form, in
//! the net's names.

use std::collections::HashMap;

use super::{Printer, Style};
use crate::net::check::Model;
use crate::net::ops::def;

/// The block, empty for a net without batchnorm.
pub fn training(m: &Model, latex: bool) -> String {
    let p = Printer {
        g: &m.graph,
        names: &m.names,
        forward_len: m.graph.nodes.len(),
        adjoint_names: HashMap::new(),
        style: if latex { Style::Latex } else { Style::Text },
        inline: false,
        generics: m.generics.iter().map(|g| g.to_string()).collect(),
        calls: Vec::new(),
        via_calls: HashMap::new(),
    };
    let mut out = Vec::new();
    for (n, node) in m.graph.nodes.iter().enumerate() {
        let y = m.names.get(&n).cloned().unwrap_or_else(|| "y".to_string());
        let y = if latex { super::text::latex_name(&y) } else { y };
        out.extend(def(node.op.code).training_text(&p, n, &y));
    }
    if latex && !out.is_empty() {
        return format!("\n\\begin{{aligned}}\n{}\n\\end{{aligned}}", out.join(" \\\\\n"));
    }
    out.concat()
}
