//! A run-time loop in the derivation: its forward recurrence, and the
//! backward loop's lines under a header saying it runs from the last step
//! back, with what each step sends back to the one it read (`∂h[t]⁺`).

use super::{Line, Printer};
use crate::net::check::Model;
use crate::net::model::Attr;
use crate::net::ops::{PrintCx, def};

/// `text` with every step index `[t]`, `[t − j]`, `[t + j]` of loop
/// variable `var` moved `by` steps, or set to `t = at` when `at` is given.
pub(super) fn shift(text: &str, var: &str, by: i64, at: Option<i64>) -> String {
    let mut out = String::new();
    let mut rest = text;
    let open = format!("[{var}");
    while let Some(i) = rest.find(&open) {
        out += &rest[..i];
        let after = &rest[i + open.len()..];
        let Some(close) = after.find(']') else { break };
        let inner = after[..close].trim();
        let offset = if inner.is_empty() {
            Some(0)
        } else {
            let (sign, num) = inner.split_at(inner.chars().next().map_or(0, char::len_utf8));
            num.trim().parse::<i64>().ok().and_then(|j| match sign {
                "−" | "-" => Some(-j),
                "+" => Some(j),
                _ => None,
            })
        };
        match offset {
            Some(o) => {
                let o = o + by;
                out += &match at {
                    Some(t) => format!("[{}]", (t + o).to_string().replace('-', "−")),
                    None if o == 0 => format!("[{var}]"),
                    None if o > 0 => format!("[{var} + {o}]"),
                    None => format!("[{var} − {}]", -o),
                };
            }
            None => out += &format!("{open}{}]", &after[..close]),
        }
        rest = &after[close + 1..];
    }
    out + rest
}

/// A loop's forward block: its header, and each step value's name,
/// definition and shape.
pub(super) type Block = (String, Vec<(String, String, String)>);

impl Printer<'_> {
    /// The forward recurrences, one block per loop: `h[t] = …   [H]`.
    pub(super) fn forward_loops(&self, m: &Model) -> Vec<Block> {
        let loop_of = self.g.loop_of();
        let mut blocks = Vec::new();
        for (k, l) in self.g.loops.iter().enumerate() {
            let inits: Vec<String> = l
                .states
                .iter()
                .map(|s| format!("{}[−1] = {}", self.name(&s.name), self.show(s.init).0))
                .collect();
            let t = self.dim(l.dim);
            let header = if self.latex() {
                let inits = inits.join(", ").replace('−', "-");
                format!("&\\text{{forward, for }} {} = 0, \\dots, {t} - 1 \\text{{, with }} {inits}:", l.var)
            } else {
                format!("forward, for {} = 0, …, {t} − 1, with {}:", l.var, inits.join(", "))
            };
            let rows = (0..self.forward_len)
                .filter(|&n| loop_of[n] == Some(k))
                .filter_map(|n| {
                    let name = m.names.get(&n)?;
                    let rhs = def(self.g.op(n).code).print(self, n).0;
                    Some((self.name(name), rhs, self.shape(self.g.shape(n))))
                })
                .collect();
            blocks.push((header, rows));
        }
        blocks
    }

    /// The header of loop `k`'s backward lines.
    pub(super) fn backward_header(&self, k: usize) -> String {
        let l = &self.g.loops[k];
        let (t, v) = (self.dim(l.dim), &l.var);
        // Named by the loop's first state, `∂h[t]⁺` (`∂blocks[m]⁺` a stack's).
        let h = l.states.first().map_or("h".to_string(), |s| self.name(&s.name));
        if self.latex() {
            format!(
                "&\\text{{backward through time, for }} {v} = {t} - 1, \\dots, 0 \\text{{ (}}\\partial {h}[{v}]^{{+}}\\text{{: what step }} {v} + 1 \\text{{ sent back, 0 at the last step):}}"
            )
        } else {
            format!(
                "backward through time, for {v} = {t} − 1, …, 0 (∂{h}[{v}]⁺: what step {v} + 1 sent back, 0 at the last step):"
            )
        }
    }

    /// What the reads of earlier steps send back: `∂h[t]⁺ = Whᵀ ∂a[t + 1]`
    /// for each state of loop `k`, and `∂h[−1]`, what `init` receives.
    pub(super) fn carry_lines(&self, k: usize) -> (Vec<Line>, Vec<Line>) {
        let l = &self.g.loops[k];
        let (mut carried, mut inits) = (Vec::new(), Vec::new());
        for (s, state) in l.states.iter().enumerate() {
            let reads: Vec<(u32, usize)> =
                l.prev_adjoints.iter().filter(|(st, ..)| *st == s).map(|&(_, lag, d)| (lag, d)).collect();
            if reads.is_empty() {
                continue;
            }
            let shape = self.shape(self.g.shape(state.init));
            // A read `k` steps back sends to step `t` what it computed at
            // `t + k`; `init` receives what the read at `t = k − 1` computed.
            let sum = |init: bool| {
                let parts: Vec<String> = reads
                    .iter()
                    .map(|&(lag, d)| {
                        let (lag, text) = (i64::from(lag), self.definition(d));
                        let shifted = if init {
                            shift(&text, &l.var, 0, Some(lag - 1))
                        } else {
                            shift(&text, &l.var, lag, None)
                        };
                        if self.latex() { shifted.replace('−', "-") } else { shifted }
                    })
                    .collect();
                parts.join(" + ")
            };
            let d = if self.latex() { "\\partial " } else { "∂" };
            let name = self.name(&state.name);
            let has_step_line = state.step.is_some();
            if has_step_line {
                carried.push(Line {
                    value: state.name.clone(),
                    adjoint: format!("{d}{name}[{}]{}", l.var, if self.latex() { "^{+}" } else { "⁺" }),
                    expression: sum(false),
                    shape: shape.clone(),
                    step: Some(k),
                });
            }
            let init_read =
                self.g.nodes.iter().any(|n| n.op.is("init_adjoint") && n.op.attr == Attr::State(k, s, 0));
            if init_read {
                inits.push(Line {
                    value: state.name.clone(),
                    adjoint: format!("{d}{name}[{}1]", if self.latex() { "-" } else { "−" }),
                    expression: sum(true),
                    shape,
                    step: None,
                });
            }
        }
        (carried, inits)
    }
}

#[cfg(test)]
mod tests {
    use super::shift;

    #[test]
    fn step_indices_shift() {
        assert_eq!(shift("Whᵀ ∂a[t] + h[t − 1]", "t", 1, None), "Whᵀ ∂a[t + 1] + h[t]");
        assert_eq!(shift("x[t + 2] ⊙ c[t − 1]", "t", -1, None), "x[t + 1] ⊙ c[t − 2]");
        assert_eq!(shift("Whᵀ ∂a[t]", "t", 0, Some(0)), "Whᵀ ∂a[0]");
        assert_eq!(shift("u[t − 1] ⊙ v[s]", "t", 0, Some(1)), "u[0] ⊙ v[s]");
        assert_eq!(shift("a[t − 1]", "t", 0, Some(0)), "a[−1]");
    }
}
