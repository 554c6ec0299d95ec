//! The table `summary()` of a net prints: each param, its shape in the
//! dims' names and its number of values, then the total.

/// The summary of net `name`: `params` as (name, shape, values), `state`
/// (running statistics, not trained) as (name, values).
///
/// ```
/// let text = shapegrad::summary::table("Net", &[("W", "[H×D]".into(), 12), ("b", "[H]".into(), 3)], &[]);
/// assert!(text.contains("W      [H×D]  12\n") && text.ends_with("total         15\n"));
/// ```
pub fn table(name: &str, params: &[(&str, String, usize)], state: &[(&str, usize)]) -> String {
    let total: usize = params.iter().map(|p| p.2).sum();
    let nw = params.iter().map(|p| p.0.chars().count()).max().unwrap_or(0).max(5);
    let sw = params.iter().map(|p| p.1.chars().count()).max().unwrap_or(0);
    let vw = total.to_string().len();
    let mut out = format!("{name}: {} params, {total} values\n", params.len());
    for (n, s, v) in params {
        out += &format!("{n:<nw$}  {s:<sw$}  {v:>vw$}\n");
    }
    for (n, v) in state {
        out += &format!("{n:<nw$}  (running statistics, not trained: {v} values)\n");
    }
    out += &format!("{:<nw$}  {:<sw$}  {total:>vw$}\n", "total", "");
    out
}
