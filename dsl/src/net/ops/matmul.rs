//! The matrix product `@` and the transpose `.T`. In generated code a
//! transpose feeding a product is never materialized: the product reads its
//! operand transposed (`set_t_matmul`, `set_matmul_t`, …).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{
    Call, Check, EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, def, ones_row, operand,
    rows,
};
use crate::net::model::{Attr, Graph, NodeId, ONE, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[&MatMul, &Transpose];

struct MatMul;

/// `x` without its transpose, if it is one: what a product reads.
fn unfold(g: &Graph, x: NodeId) -> NodeId {
    let op = g.op(x);
    if op.is("transpose") { op.arg(0) } else { x }
}

/// `u vᵀ` with `u` and `v` column vectors: `(u, v)`.
fn outer(g: &Graph, n: NodeId) -> Option<(NodeId, NodeId)> {
    let (a, b) = (g.op(n).arg(0), g.op(n).arg(1));
    let column = |x: NodeId| matches!(g.shape(x), Shape::Mat(_, c) if c == ONE);
    let v = unfold(g, b);
    (g.op(b).is("transpose") && !g.op(a).is("transpose") && column(a) && column(v)).then_some((a, v))
}

/// `place ← p + q` for two products `p` and `q`: the first written, the
/// second accumulated onto it; two outer products `u vᵀ + s tᵀ` (a rank-2
/// update, as in the autoencoder's ∂W) in one pass that writes each element
/// once.
pub(super) fn emit_sum(cx: &dyn EmitCx, p: NodeId, q: NodeId, place: Place<'_>) -> TokenStream {
    let g = cx.g();
    if let (Some((u, v)), Some((s, t)), false) = (outer(g, p), outer(g, q), place.accumulate) {
        let (u, v, s, t, out) = (cx.val(u), cx.val(v), cx.val(s), cx.val(t), place.tokens);
        return quote!(#out.set_outer_sum_on(__isa, #u, #v, #s, #t););
    }
    let first = MatMul.emit(cx, p, Place { accumulate: place.accumulate, ..place });
    let then = MatMul.emit(cx, q, Place { accumulate: true, ..place });
    quote!(#first #then)
}

impl OpDef for MatMul {
    fn code(&self) -> &'static str {
        "matmul"
    }

    fn operator(&self) -> Option<&'static str> {
        Some("@")
    }

    // Rule: `[R×K] @ [K×C] → [R×C]`; scalars are scaled with `*`.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let (a, b) = (call.nodes[0], call.nodes[1]);
        let (sa, sb) = (cx.g.shape(a), cx.g.shape(b));
        let (ta, tb) = (call.src(0), call.src(1));
        let (Shape::Mat(r, k), Shape::Mat(k2, c)) = (sa, sb) else {
            let s = if matches!(sa, Shape::Scalar) { &ta } else { &tb };
            let msg = format!("`@` multiplies matrices and vectors, but `{s}` is a scalar; scale with `*`");
            return cx.error(&call.expr, msg);
        };
        if cx.bind(k, k2) {
            return Some(cx.g.intern(Op::new("matmul", &[a, b]), Shape::Mat(r, c)));
        }
        let mut msg = format!(
            "cannot multiply `{ta}` {} by `{tb}` {}: inner dimensions {} and {} differ",
            cx.text(sa),
            cx.text(sb),
            cx.dim_text(k),
            cx.dim_text(k2)
        );
        let (lhs, rhs) = (&call.args[0], &call.args[1]);
        let factor = |w: &super::Written, right: bool| w.factor[right as usize].clone();
        // A param used only transposed was likelier declared transposed:
        // (param, its dims as it is read, the expression that fits today).
        let mut swapped = None;
        if r == k2 {
            let fits = format!("{} @ {}", lhs.transposed, factor(rhs, true));
            msg += &format!("; `{fits}` is {}", cx.text(Shape::Mat(k, c)));
            swapped = Some((a, (k, r), fits));
        } else if k == c {
            let fits = format!("{} @ {}", factor(lhs, false), rhs.transposed);
            msg += &format!("; `{fits}` is {}", cx.text(Shape::Mat(r, k2)));
            swapped = Some((b, (c, k2), fits));
        } else if c == r {
            msg += &format!(
                "; `{} @ {}` is {}",
                factor(rhs, false),
                factor(lhs, true),
                cx.text(Shape::Mat(k2, k))
            );
        }
        if let Some((p, (rows, cols), fits)) = swapped
            && cx.g.op(p).is("param")
            && rows != ONE
            && cols != ONE
        {
            let name = if p == a { ta } else { tb };
            let (rows, cols) = (cx.dim_text(rows), cx.dim_text(cols));
            let fix = format!("param {name}: [{rows}, {cols}]");
            let at_decl = format!(
                "`{name}` is declared {}, but every use reads it as [{rows}×{cols}] (`{}`): declare `{fix};`, or write `{fits}`",
                cx.text(cx.g.shape(p)),
                call.expr.text.clone()
            );
            return cx.slip(&call.expr, msg, p, fix, at_decl);
        }
        cx.error(&call.expr, msg)
    }

    // No guess: when inner dims differ, what was meant is unknown (`W Wᵀ`
    // for `Wᵀ W` means [M×M] or [N×N]), and a wrong guess would bring
    // follow-on errors; what uses the product is not checked.

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let cols = match g.shape(op.arg(1)) {
            Shape::Mat(_, c) => c,
            _ => ONE,
        };
        Shape::Mat(rows(g, op.arg(0)), cols)
    }

    fn simplify(&self, g: &mut Graph, op: &Op) -> Option<NodeId> {
        let (a, b) = (op.arg(0), op.arg(1));
        // Constants come out of products: (c·A) B = c·(A B).
        for (side, other, left) in [(a, b, true), (b, a, false)] {
            let m = g.op(side);
            if m.is("mul") && g.op(m.arg(0)).constant().is_some() {
                let (k, inner) = (m.arg(0), m.arg(1));
                let p = if left { [inner, other] } else { [other, inner] };
                let p = g.mk(Op::new("matmul", &p));
                return Some(g.mk(Op::new("mul", &[k, p])));
            }
        }
        // (s I) B = s B and A (s I) = s A.
        for (side, other) in [(a, b), (b, a)] {
            if let Some(s) = def(g.op(side).code).scaled_identity(g, side) {
                return Some(g.mk(Op::new("mul", &[s, other])));
            }
        }
        None
    }

    // Y = A B: dA = dY Bᵀ, dB = Aᵀ dY.
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let (a, b) = (g.op(n).arg(0), g.op(n).arg(1));
        let bt = g.mk(Op::new("transpose", &[b]));
        let at = g.mk(Op::new("transpose", &[a]));
        vec![(a, g.mk(Op::new("matmul", &[d, bt]))), (b, g.mk(Op::new("matmul", &[at, d])))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        use Kind::*;
        let ((a, ka), (c, kc)) = (args[0], args[1]);
        let (b, shape) = (cx.batch(), cx.src().shape(n));
        let g = cx.g();
        let (sa, sc) = (g.shape(a), g.shape(c));
        Ok(match (ka, kc) {
            (Shared, Shared) => (g.intern(Op::new("matmul", &[a, c]), shape), Shared),
            // A x for each column x; a column a times a per-example 1×1 is an outer product.
            (Shared, Column | Scalar) => {
                let r = rows(g, a);
                (g.intern(Op::new("matmul", &[a, c]), Shape::Mat(r, b)), Column)
            }
            // xᵀ a = aᵀ x for each column x.
            (Row, Shared) if matches!(sc, Shape::Mat(_, ONE)) => {
                let at = g.intern(Op::new("transpose", &[c]), Shape::Mat(ONE, rows(g, c)));
                (g.intern(Op::new("matmul", &[at, a]), Shape::Mat(ONE, b)), Scalar)
            }
            // xᵀ y = 𝟙ᵀ(x ⊙ y) for each pair of columns.
            (Row, Column) => {
                let xy = g.intern(Op::new("mul", &[a, c]), sa);
                let ones = ones_row(g, rows(g, a));
                (g.intern(Op::new("matmul", &[ones, xy]), Shape::Mat(ONE, b)), Scalar)
            }
            // Products with a per-example 1×1 on the right scale each column.
            (Scalar, Scalar) => (g.intern(Op::new("mul", &[a, c]), sa), Scalar),
            (Column, Scalar) => (g.intern(Op::new("col_scale", &[a, c]), sa), Column),
            // A per-example 1×1 times a shared 1×1.
            (Scalar, Shared) if sc == Shape::Mat(ONE, ONE) => {
                (g.intern(Op::new("row_scale", &[a, c]), sa), Scalar)
            }
            _ => return Err(format!("{} multiplies a per-example value from the left", cx.name(n))),
        })
    }

    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        let g = cx.g();
        g.op(n).operands().iter().map(|&x| unfold(g, x)).collect()
    }

    /// `place ← op(a)·op(b)` (or `+=`), transposes folded into the product.
    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let g = cx.g();
        let (a, b) = (g.op(n).arg(0), g.op(n).arg(1));
        let (ta, tb) = (g.op(a).is("transpose"), g.op(b).is("transpose"));
        let f = match (ta, tb) {
            (true, true) => "t_matmul_t",
            (true, false) => "t_matmul",
            (false, true) => "matmul_t",
            (false, false) => "matmul",
        };
        let f = format_ident!("{}_{f}_on", if place.accumulate { "add" } else { "set" });
        let (x, y, p) = (cx.val(unfold(g, a)), cx.val(unfold(g, b)), place.tokens);
        quote!(#p.#f(__isa, #x, #y);)
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        Some(cx.call("MatMul", cx.g().op(n).operands()))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        use Prec::*;
        let op = cx.g().op(n);
        let a = operand(cx, op.arg(0), &[MatMul, Factor, Post, Atom]);
        (format!("{a} {}", operand(cx, op.arg(1), &[Post, Atom])), MatMul)
    }
}

struct Transpose;

impl OpDef for Transpose {
    fn code(&self) -> &'static str {
        "transpose"
    }

    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let n = call.nodes[0];
        match cx.g.shape(n) {
            Shape::Mat(r, c) => Some(cx.g.intern(Op::new("transpose", &[n]), Shape::Mat(c, r))),
            _ => cx.error(&call.expr, format!("cannot transpose `{}`: it is a scalar", call.src(0))),
        }
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        match g.shape(op.arg(0)) {
            Shape::Mat(r, c) => Shape::Mat(c, r),
            other => other,
        }
    }

    // (xᵀ)ᵀ = x, (AB)ᵀ = BᵀAᵀ, (c·x)ᵀ = c·xᵀ, (s I)ᵀ = s I.
    fn simplify(&self, g: &mut Graph, op: &Op) -> Option<NodeId> {
        let inner = g.op(op.arg(0));
        if def(inner.code).scaled_identity(g, op.arg(0)).is_some() {
            return Some(op.arg(0));
        }
        match inner.code {
            "transpose" => Some(inner.arg(0)),
            // (s 𝟙ᵀ)ᵀ = s 𝟙: a fill of the other shape.
            "fill" => {
                let (r, c) = inner.dims();
                Some(g.mk(Op::with("fill", &[inner.arg(0)], Attr::Dims(c, r))))
            }
            "matmul" => {
                let yt = g.mk(Op::new("transpose", &[inner.arg(1)]));
                let xt = g.mk(Op::new("transpose", &[inner.arg(0)]));
                Some(g.mk(Op::new("matmul", &[yt, xt])))
            }
            "mul" if g.op(inner.arg(0)).constant().is_some() => {
                let xt = g.mk(Op::new("transpose", &[inner.arg(1)]));
                Some(g.mk(Op::new("mul", &[inner.arg(0), xt])))
            }
            _ => None,
        }
    }

    // Y = Aᵀ: dA = dYᵀ.
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        vec![(g.op(n).arg(0), g.mk(Op::new("transpose", &[d])))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let shape = cx.src().shape(n);
        match args[0] {
            (a, Kind::Shared) => Ok((cx.g().intern(Op::new("transpose", &[a]), shape), Kind::Shared)),
            // A 1×1 is its own transpose.
            (a, Kind::Scalar) => Ok((a, Kind::Scalar)),
            (a, Kind::Column) => Ok((a, Kind::Row)),
            _ => Err(format!("{} transposes a per-example value", cx.name(n))),
        }
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (p, a) = (place.tokens, cx.val(cx.g().op(n).arg(0)));
        quote!(#p.set_transpose(#a);)
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let a = cx.v(cx.g().op(n).arg(0));
        Some(quote!(__g.transpose(&#a)))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let t = if cx.latex() { "^\\top" } else { "ᵀ" };
        (format!("{}{t}", operand(cx, cx.g().op(n).arg(0), &[Prec::Atom])), Prec::Post)
    }
}
