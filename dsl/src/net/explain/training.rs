//! The training form of each `batchnorm`, appended to the derivation: the
//! per-example lines are the evaluation mode (running statistics, constants
//! of the gradient); the batched training methods differentiate through the
//! batch's mean and variance, and this block writes their adjoint in its
//! compact form, in the net's names.

use std::collections::HashMap;

use super::{Printer, Style};
use crate::net::check::Model;
use crate::net::ops::PrintCx;

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
    };
    let mut out = Vec::new();
    for (n, node) in m.graph.nodes.iter().enumerate().filter(|(_, n)| n.op.is("batchnorm")) {
        let op = node.op;
        let (x, gamma, beta) =
            (PrintCx::print(&p, op.arg(0)).0, p.leaf_name(op.arg(1)), p.leaf_name(op.arg(2)));
        let x = if x.contains(' ') { format!("({x})") } else { x };
        let y = m.names.get(&n).cloned().unwrap_or_else(|| "y".to_string());
        let spatial = m.graph.shape(op.arg(0)) != m.graph.shape(op.arg(1));
        let over = if spatial {
            "per channel, over the batch and the positions"
        } else {
            "per feature, over the batch"
        };
        if latex {
            let (dy, dx) = (format!("\\partial {}", super::text::latex_name(&y)), format!("\\partial {x}"));
            out.push(format!(
                "\\text{{training: }} {y} &= {gamma} \\odot \\hat{{x}} + {beta},\\ \\hat{{x}} = \\frac{{{x} - \\mu_B}}{{\\sigma_B}} && \\text{{{over}}} \\\\\n{dx} &= \\frac{{{gamma}}}{{\\sigma_B}} \\odot \\left({dy} - \\operatorname{{mean}}_B({dy}) - \\hat{{x}} \\odot \\operatorname{{mean}}_B({dy} \\odot \\hat{{x}})\\right) \\\\\n\\partial {gamma} &= \\textstyle\\sum_B {dy} \\odot \\hat{{x}},\\quad \\partial {beta} = \\textstyle\\sum_B {dy}",
                y = super::text::latex_name(&y)
            ));
        } else {
            let dy = format!("∂{y}");
            out.push(format!(
                "training ({over}): {y} = {gamma} ⊙ x̂ + {beta}, x̂ = ({x} − μ_B)/σ_B, σ_B² = mean_B(({x} − μ_B)²) + 1e-5\n  ∂{x} = ({gamma}/σ_B) ⊙ ({dy} − mean_B({dy}) − x̂ ⊙ mean_B({dy} ⊙ x̂))\n  ∂{gamma} = Σ_B {dy} ⊙ x̂,  ∂{beta} = Σ_B {dy}\n"
            ));
        }
    }
    if latex && !out.is_empty() {
        return format!("\n\\begin{{aligned}}\n{}\n\\end{{aligned}}", out.join(" \\\\\n"));
    }
    out.concat()
}
