//! The graph of a net's named values as SVG: one box per value (params,
//! inputs, labels, `let`s and the loss in colours of their own), its name
//! and shape inside, an arrow from each value it reads, labelled with that
//! value's shape; columns by depth (a value one column right of the deepest
//! it reads), and each box with an adjoint numbered by the order in which
//! the backward pass completes it (`∂1` first).

use std::collections::HashMap;

use super::html::escape;
use crate::net::values::{NetValues, ValueKind};

const W: usize = 170;
const H: usize = 40;
const COL: usize = 230;
const ROW: usize = 58;

fn colour(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Param => "#fde68a",
        ValueKind::Input => "#bfdbfe",
        ValueKind::Label => "#ddd6fe",
        ValueKind::Let => "#e5e7eb",
        ValueKind::Loss => "#fca5a5",
    }
}

/// The SVG of `net`'s values; `order` is each value's place in the
/// backward pass (by name), where it has an adjoint line.
pub fn svg(net: &NetValues, order: &HashMap<String, usize>) -> String {
    // Depth: leaves at 0, a value one right of the deepest it reads.
    let index: HashMap<&str, usize> =
        net.values.iter().enumerate().map(|(i, v)| (v.name.as_str(), i)).collect();
    let mut depth = vec![0usize; net.values.len()];
    for (i, v) in net.values.iter().enumerate() {
        depth[i] =
            v.reads.iter().filter_map(|r| index.get(r.as_str())).map(|&j| depth[j] + 1).max().unwrap_or(0);
    }
    let mut rows: HashMap<usize, usize> = HashMap::new();
    let mut place = vec![(0usize, 0usize); net.values.len()];
    for (i, &d) in depth.iter().enumerate() {
        let r = rows.entry(d).or_insert(0);
        place[i] = (20 + d * COL, 20 + *r * ROW);
        *r += 1;
    }
    let width = 40 + (depth.iter().max().copied().unwrap_or(0)) * COL + W;
    let height = 40 + rows.values().max().copied().unwrap_or(1) * ROW;
    let mut out = format!(
        "<svg class=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#6b7280\"/></marker></defs>\n"
    );
    for (i, v) in net.values.iter().enumerate() {
        for r in &v.reads {
            let Some(&j) = index.get(r.as_str()) else { continue };
            let ((x1, y1), (x2, y2)) =
                ((place[j].0 + W, place[j].1 + H / 2), (place[i].0, place[i].1 + H / 2));
            let shape = net.values[j].shape.as_deref().unwrap_or("?");
            out += &format!(
                "<g class=\"edge\" data-from=\"{}\" data-to=\"{}\"><line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"#9ca3af\" marker-end=\"url(#arrow)\"/><text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"#6b7280\">{}</text></g>\n",
                escape(r),
                escape(&v.name),
                (x1 + x2) / 2 - 12,
                (y1 + y2) / 2 - 3,
                escape(shape)
            );
        }
    }
    for (i, v) in net.values.iter().enumerate() {
        let (x, y) = place[i];
        let shape = v.shape.as_deref().unwrap_or("error");
        let badge = order
            .get(&v.name)
            .map(|k| {
                format!(
                    "<text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"#b91c1c\">∂{k}</text>",
                    x + W - 26,
                    y + 12
                )
            })
            .unwrap_or_default();
        out += &format!(
            "<g class=\"node\" data-name=\"{}\" data-kind=\"{:?}\"><rect x=\"{x}\" y=\"{y}\" width=\"{W}\" height=\"{H}\" rx=\"6\" fill=\"{}\" stroke=\"#4b5563\"/><text x=\"{}\" y=\"{}\" font-size=\"13\" font-family=\"monospace\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#374151\">{}</text>{badge}</g>\n",
            escape(&v.name),
            v.kind,
            colour(v.kind),
            x + 8,
            y + 17,
            escape(&v.name),
            x + 8,
            y + 33,
            escape(shape)
        );
    }
    out + "</svg>"
}
