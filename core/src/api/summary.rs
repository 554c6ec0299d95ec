//! The table `summary()` of a net prints: each param, its shape in the
//! dims' names and its number of values, then the total; the params of a
//! layer instance (`l1.W`, `l1.b`; a stack's member, `blocks.0.W`) under a
//! line of their own with their sum.

/// The summary of net `name`: `params` as (name, shape, values), `state`
/// (running statistics, not trained) as (name, values).
///
/// ```
/// let text = shapegrad::summary::table("Net", &[("W", "[H×D]".into(), 12), ("b", "[H]".into(), 3)], &[]);
/// assert!(text.contains("W      [H×D]  12\n") && text.ends_with("total         15\n"));
///
/// let text = shapegrad::summary::table("Mlp", &[("l1.W", "[H×D]".into(), 12), ("l1.b", "[H]".into(), 3)], &[]);
/// assert!(text.contains("l1             15\n  l1.W  [H×D]  12\n  l1.b  [H]     3\n"), "{text}");
/// ```
pub fn table(name: &str, params: &[(&str, String, usize)], state: &[(&str, usize)]) -> String {
    let total: usize = params.iter().map(|p| p.2).sum();
    let instance = |n: &str| n.rsplit_once('.').map(|(i, _)| i.to_string());
    let indent = if params.iter().any(|p| instance(p.0).is_some()) { 2 } else { 0 };
    let nw = params.iter().map(|p| p.0.chars().count() + indent).max().unwrap_or(0).max(5);
    let sw = params.iter().map(|p| p.1.chars().count()).max().unwrap_or(0);
    let vw = total.to_string().len();
    let mut out = format!("{name}: {} params, {total} values\n", params.len());
    let mut group: Option<String> = None;
    for (i, (n, s, v)) in params.iter().enumerate() {
        let inst = instance(n);
        if inst.is_some() && inst != group {
            let sum: usize = params[i..].iter().take_while(|p| instance(p.0) == inst).map(|p| p.2).sum();
            out += &format!("{:<nw$}  {:<sw$}  {sum:>vw$}\n", inst.as_deref().unwrap_or(""), "");
        }
        let pad = if inst.is_some() { "  " } else { "" };
        let w = nw - pad.len();
        out += &format!("{pad}{n:<w$}  {s:<sw$}  {v:>vw$}\n");
        group = inst;
    }
    for (n, v) in state {
        out += &format!("{n:<nw$}  (running statistics, not trained: {v} values)\n");
    }
    out += &format!("{:<nw$}  {:<sw$}  {total:>vw$}\n", "total", "");
    out
}
