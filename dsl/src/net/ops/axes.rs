//! Axes named by their dims, shared by the elementwise families (`arith`,
//! `div`): which axis of a matrix a vector goes along.

use crate::net::model::{Attr, Graph, NodeId, ONE, Op, Shape};

/// Axes named by their dims: a vector `v` `[N]` and a matrix `m` `[R×C]`
/// in `+ − * /` (op `code`; `v_first`: `v` is the left operand) go along
/// the axis that `N` names: `N = R`, each column (`m ∘ v 𝟙ᵀ`, the first
/// axis, also when `R = C`); `N = C`, each row (`m ∘ 𝟙 vᵀ`). The vector is
/// spread to the matrix's shape by an outer product with ones, so the op's
/// own rules (gradient, batching) apply. `None` when no axis is named `N`.
pub fn along_axis(g: &mut Graph, code: &'static str, m: NodeId, v: NodeId, v_first: bool) -> Option<NodeId> {
    // A row `[1×C]` (a vector transposed) goes along each row, whatever R is.
    if let (Shape::Mat(r, c), Shape::Mat(ONE, n)) = (g.shape(m), g.shape(v))
        && r != ONE
        && n != ONE
        && n == c
    {
        let one = g.constant(1.0);
        let ones = g.intern(Op::with("fill", &[one], Attr::Dims(r, ONE)), Shape::Mat(r, ONE));
        let spread = g.intern(Op::new("matmul", &[ones, v]), Shape::Mat(r, c));
        let operands = if v_first { [spread, m] } else { [m, spread] };
        return Some(g.intern(Op::new(code, &operands), Shape::Mat(r, c)));
    }
    let (Shape::Mat(r, c), Shape::Mat(n, ONE)) = (g.shape(m), g.shape(v)) else { return None };
    if c == ONE || n == ONE {
        return None;
    }
    let one = g.constant(1.0);
    let spread = if n == r {
        let ones = g.intern(Op::with("fill", &[one], Attr::Dims(ONE, c)), Shape::Mat(ONE, c));
        g.intern(Op::new("matmul", &[v, ones]), Shape::Mat(r, c))
    } else if n == c {
        let ones = g.intern(Op::with("fill", &[one], Attr::Dims(r, ONE)), Shape::Mat(r, ONE));
        let vt = g.intern(Op::new("transpose", &[v]), Shape::Mat(ONE, n));
        g.intern(Op::new("matmul", &[ones, vt]), Shape::Mat(r, c))
    } else {
        return None;
    };
    let operands = if v_first { [spread, m] } else { [m, spread] };
    Some(g.intern(Op::new(code, &operands), Shape::Mat(r, c)))
}

/// Why a vector and a matrix did not combine (`along_axis` found no axis),
/// or `None` when the shapes are not a vector and a matrix.
pub fn no_axis_message(
    cx: &super::Check<'_>,
    (a, ta): (NodeId, &str),
    (b, tb): (NodeId, &str),
) -> Option<String> {
    let (sa, sb) = (cx.g.shape(a), cx.g.shape(b));
    let ((m, tm), (v, tv)) = match (sa, sb) {
        (Shape::Mat(_, c), Shape::Mat(_, ONE)) if c != ONE => ((sa, ta), (sb, tb)),
        (Shape::Mat(_, ONE), Shape::Mat(_, c)) if c != ONE => ((sb, tb), (sa, ta)),
        _ => return None,
    };
    let Shape::Mat(r, c) = m else { return None };
    Some(format!(
        "`{tv}` {} goes along no axis of `{tm}` {}: a vector goes down each column when its dim is {} (the rows'), along each row when it is {} (the columns')",
        cx.text(v),
        cx.text(m),
        cx.dim_text(r),
        cx.dim_text(c)
    ))
}

/// When `+ − * /` (`symbol`) combine a vector `[N]` and a matrix `[N×N]`,
/// which could go down each column or along each row: the error, with the
/// explicit form of each.
pub fn ambiguous_axis_message(
    cx: &super::Check<'_>,
    symbol: &str,
    (a, ta): (NodeId, &str),
    (b, tb): (NodeId, &str),
) -> Option<String> {
    let (sa, sb) = (cx.g.shape(a), cx.g.shape(b));
    let (m, tm, v, tv, v_first) = match (sa, sb) {
        (Shape::Mat(r, c), Shape::Mat(n, ONE)) if r == c && c == n && n != ONE => (sa, ta, sb, tb, false),
        (Shape::Mat(n, ONE), Shape::Mat(r, c)) if r == c && c == n && n != ONE => (sb, tb, sa, ta, true),
        _ => return None,
    };
    let Shape::Mat(n, _) = v else { return None };
    let nt = cx.dim_text(n);
    let (row, col) = if v_first {
        (format!("{tv}.T {symbol} {tm}"), format!("({tv}.T {symbol} {tm}.T).T"))
    } else {
        (format!("{tm} {symbol} {tv}.T"), format!("({tm}.T {symbol} {tv}.T).T"))
    };
    Some(format!(
        "`{tv}` {} could go down each column or along each row of `{tm}` {}: both its axes are {nt}; write `{row}` for each row, `{col}` for each column",
        cx.text(v),
        cx.text(m),
    ))
}
