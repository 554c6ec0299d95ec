//! What the two-argument elementwise ops share (`+ − * /` in `arith` and
//! `div`, `max` and `min` in `minmax`): the shape rule (`rule`: equal
//! shapes, a scalar side, a vector along the axis its dim names), the shape
//! of a node (`shape`), and the adjoint of a broadcast scalar side
//! (`scalar_side`).

use super::{Call, Check, broadcast};
use crate::net::model::{Attr, Graph, NodeId, ONE, Op, Shape};

/// The shape of `code(a, b)`: `a`'s, unless `a` is a scalar broadcast over `b`.
pub fn shape(g: &Graph, a: NodeId, b: NodeId) -> Shape {
    if g.shape(a) == Shape::Scalar { g.shape(b) } else { g.shape(a) }
}

/// The contribution `part` to the adjoint of operand `x` of node `n`: summed
/// when `x` is a scalar broadcast over `n`.
pub fn scalar_side(g: &mut Graph, n: NodeId, x: NodeId, part: NodeId) -> NodeId {
    if g.shape(x) == Shape::Scalar && g.shape(n) != Shape::Scalar {
        g.mk(Op::new("sum", &[part]))
    } else {
        part
    }
}

/// An op's own rule inside `rule`: `Some(Some(node))`, `Some(None)` for an
/// error it reported, `None` when it does not apply.
pub type OwnRule<'a> = &'a mut dyn FnMut(&mut Check<'_>, &Call) -> Option<Option<NodeId>>;

/// The shape rule of `code(a, b)` (written `symbol`), in order: two values
/// of one shape or a scalar side; with `axes`, a vector and a square matrix
/// of its dim is ambiguous (an error showing both explicit forms), then
/// `own` (an op's rule on the shapes, as a bias added down each column),
/// then the vector goes along the axis its dim names or the error says why
/// none does. `Some(Some(node))`; `Some(None)` when an error was reported;
/// `None` when no rule fits, for the op to say why in its own words.
pub fn rule(
    cx: &mut Check<'_>,
    call: &Call,
    (code, symbol): (&'static str, &str),
    axes: bool,
    own: OwnRule<'_>,
) -> Option<Option<NodeId>> {
    let (a, b) = (call.nodes[0], call.nodes[1]);
    if let Some(s) = broadcast(cx.g.shape(a), cx.g.shape(b)) {
        return Some(Some(cx.g.intern(Op::new(code, &[a, b]), s)));
    }
    if !axes {
        return own(cx, call);
    }
    let (ta, tb) = (call.src(0), call.src(1));
    if let Some(msg) = ambiguous_axis_message(cx, symbol, (a, &ta), (b, &tb)) {
        return Some(cx.error(&call.expr, msg));
    }
    if let Some(found) = own(cx, call) {
        return Some(found);
    }
    if let Some(n) = along_axis(cx.g, code, a, b, false).or_else(|| along_axis(cx.g, code, b, a, true)) {
        return Some(Some(n));
    }
    no_axis_message(cx, (a, &ta), (b, &tb)).map(|msg| cx.error(&call.expr, msg))
}

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
