//! Elementwise arithmetic: `+ - *` on equal shapes or with a scalar side.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Call, Check, EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx};
use super::{
    along_axis, broadcast, def, first_non_scalar, lift_as_written, operand, pair_rule, pair_shape, rows,
    scalar_side,
};
use crate::net::model::{Attr, DimId, DimKind, Graph, NodeId, ONE, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[&Elementwise("add"), &Elementwise("sub"), &Elementwise("mul")];

/// `a + b`, `a - b`, `a * b`.
struct Elementwise(&'static str);

fn is_scalar(g: &Graph, n: NodeId) -> bool {
    g.shape(n) == Shape::Scalar
}

/// `(Some(c), x)` for `c·x` with a constant `c`, else `(None, n)`.
fn coefficient(g: &Graph, n: NodeId) -> (Option<f64>, NodeId) {
    let op = g.op(n);
    match op.operands() {
        &[k, x] if op.is("mul") => match g.op(k).constant() {
            Some(c) => (Some(c), x),
            None => (None, n),
        },
        _ => (None, n),
    }
}

impl Elementwise {
    /// Rules of its own, after the shared ones on equal shapes and an
    /// ambiguous axis: `[R×B] + [R]` adds the column to every column; a `_`
    /// in a param's shape takes the size of the other side.
    fn own_rule(&self, cx: &mut Check<'_>, call: &Call) -> Option<Option<NodeId>> {
        let (a, b) = (call.nodes[0], call.nodes[1]);
        let (sa, sb) = (cx.g.shape(a), cx.g.shape(b));
        let (ta, tb) = (call.src(0), call.src(1));
        if self.0 == "add" {
            if let (Shape::Mat(r, c), Shape::Mat(r2, ONE)) = (sa, sb)
                && c != ONE
            {
                if r == r2 {
                    return Some(Some(cx.g.intern(Op::new("add_bias", &[a, b]), sa)));
                }
                // Along the rows, when the bias's dim names the columns.
                if let Some(n) = along_axis(cx.g, "add", a, b, false) {
                    return Some(Some(n));
                }
                let msg = format!(
                    "cannot add the bias `{tb}` {} to `{ta}` {}: it matches no axis; a bias of {} rows goes down each column, one of {} along each row",
                    cx.text(sb),
                    cx.text(sa),
                    cx.dim_text(r),
                    cx.dim_text(c)
                );
                return Some(cx.error(&call.expr, msg));
            }
            if let (Shape::Mat(r2, ONE), Shape::Mat(r, c)) = (sa, sb)
                && c != ONE
                && r == r2
            {
                return Some(Some(cx.g.intern(Op::new("add_bias", &[b, a]), sb)));
            }
        }
        if let (Shape::Mat(r, c), Shape::Mat(r2, c2)) = (sa, sb) {
            let infer: Vec<bool> = [r, c].map(|d: DimId| cx.g.dims[d].kind == DimKind::Infer).to_vec();
            let other = [r2, c2].iter().any(|&d| cx.g.dims[d].kind == DimKind::Infer);
            if (infer.contains(&true) || other) && cx.bind(r, r2) && cx.bind(c, c2) {
                let shape = if infer.contains(&true) { sb } else { sa };
                return Some(Some(cx.g.intern(Op::new(self.0, &[a, b]), shape)));
            }
        }
        None
    }

    /// Rule: otherwise `+ - *` need equal shapes (or a scalar side): the
    /// error, with the likelier slip.
    fn mismatch(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let (a, b) = (call.nodes[0], call.nodes[1]);
        let (sa, sb) = (cx.g.shape(a), cx.g.shape(b));
        let (ta, tb) = (call.src(0), call.src(1));
        // Rule: otherwise `+ - *` need equal shapes (or a scalar side).
        let verb = match self.0 {
            "add" => format!("add `{ta}` {} and `{tb}` {}", cx.text(sa), cx.text(sb)),
            "sub" => format!("subtract `{tb}` {} from `{ta}` {}", cx.text(sb), cx.text(sa)),
            _ => format!("multiply `{ta}` {} and `{tb}` {} elementwise", cx.text(sa), cx.text(sb)),
        };
        let mut msg = format!("cannot {verb}: {}", cx.differ(sa, sb));
        // A bias of another dim, used nowhere else, was likelier declared wrong.
        if let (Shape::Mat(r, ONE), Shape::Mat(r2, ONE), "add" | "sub") = (sa, sb, self.0)
            && r != ONE
            && r2 != ONE
        {
            let (p, (name, other), want) =
                if cx.g.op(b).is("param") { (b, (&tb, &ta), r) } else { (a, (&ta, &tb), r2) };
            if cx.g.op(p).is("param") {
                let (decl, want) = (cx.decl_dims(want), cx.text(Shape::Mat(want, ONE)));
                let fix = format!("param {name}: [{decl}]");
                let at_decl = format!(
                    "`{name}` is declared {}, but `{}` adds it to `{other}` {want}: declare `{fix};`",
                    cx.text(cx.g.shape(p)),
                    call.expr.text.clone()
                );
                return cx.slip(&call.expr, msg, p, fix, at_decl);
            }
        }
        if let (Shape::Mat(r, c), Shape::Mat(r2, c2)) = (sa, sb) {
            if self.0 == "mul" && c == r2 {
                msg += &format!(
                    "; `*` is elementwise, the matrix product `{ta} @ {tb}` is {}",
                    cx.text(Shape::Mat(r, c2))
                );
            } else if r == c2 && c == r2 {
                msg += &format!("; `{}` is {}", call.args[1].transposed, cx.text(sa));
            }
        }
        cx.error(&call.expr, msg)
    }

    /// The terms of a sum of slices' adjoints (`∂a` of an LSTM's packed
    /// gates, `pad(∂i) + pad(∂f) + pad(∂g) + pad(∂o)`), each read by this
    /// sum only: written into one buffer, rows by rows, instead of four
    /// zero-padded buffers summed.
    fn unslices(cx: &dyn EmitCx, n: NodeId) -> Option<Vec<NodeId>> {
        let g = cx.g();
        if !g.op(n).is("add") || !matches!(g.shape(n), Shape::Mat(..)) {
            return None;
        }
        let mut parts = Vec::new();
        let mut stack = vec![g.op(n).arg(1), g.op(n).arg(0)];
        while let Some(t) = stack.pop() {
            let op = g.op(t);
            if !cx.private(t) || g.shape(t) != g.shape(n) {
                return None;
            }
            match op.code {
                "unslice" => parts.push(t),
                "add" => stack.extend([op.arg(1), op.arg(0)]),
                _ => return None,
            }
        }
        (parts.len() >= 2).then_some(parts)
    }

    /// `x * sigmoid(x)` and `sigmoid(x) * x` are swish: one σ, one rule.
    fn swish(g: &mut Graph, a: NodeId, b: NodeId) -> Option<NodeId> {
        let shape = g.shape(a);
        for (x, s) in [(a, b), (b, a)] {
            if g.op(s) == Op::new("sigmoid", &[x]) {
                return Some(g.intern(Op::new("swish", &[x]), shape));
            }
        }
        None
    }

    /// The fused `P + Q` of two products read nowhere else: one product
    /// into the buffer, the other accumulated onto it.
    fn fused_sum(cx: &dyn EmitCx, n: NodeId) -> Option<(NodeId, NodeId)> {
        let g = cx.g();
        let op = g.op(n);
        let &[p, q] = op.operands() else { return None };
        let products = g.op(p).is("matmul") && g.op(q).is("matmul");
        (op.is("add") && p != q && products && cx.private(p) && cx.private(q)).then_some((p, q))
    }

    /// `d ⊙ x` computed in one pass by `x`'s op (`d ⊙ f′(z)` reusing `f(z)`).
    fn fused(cx: &dyn EmitCx, n: NodeId) -> Option<super::Fused> {
        let g = cx.g();
        let &[a, b] = g.op(n).operands() else { return None };
        if !g.op(n).is("mul") || is_scalar(g, a) || is_scalar(g, b) {
            return None;
        }
        [(b, a), (a, b)].into_iter().find_map(|(x, d)| def(g.op(x).code).times(cx, x, d))
    }
}

impl OpDef for Elementwise {
    fn code(&self) -> &'static str {
        self.0
    }

    fn elementwise(&self) -> bool {
        true
    }

    fn operator(&self) -> Option<&'static str> {
        Some(match self.0 {
            "add" => "+",
            "sub" => "-",
            _ => "*",
        })
    }

    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let (a, b) = (call.nodes[0], call.nodes[1]);
        let (sa, sb) = (cx.g.shape(a), cx.g.shape(b));
        if self.0 == "mul"
            && broadcast(sa, sb).is_some()
            && let Some(s) = Self::swish(cx.g, a, b)
        {
            return Some(s);
        }
        let symbol = self.operator().unwrap_or("*");
        if let Some(found) =
            pair_rule(cx, call, (self.0, symbol), true, &mut |cx, call| self.own_rule(cx, call))
        {
            return found;
        }
        self.mismatch(cx, call)
    }

    fn guess(&self, g: &Graph, nodes: &[NodeId]) -> Option<Shape> {
        first_non_scalar(g, nodes)
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        pair_shape(g, op.arg(0), op.arg(1))
    }

    fn simplify(&self, g: &mut Graph, op: &Op) -> Option<NodeId> {
        let (a, b) = (op.arg(0), op.arg(1));
        let c = |g: &Graph, n: NodeId| g.op(n).constant();
        match self.0 {
            "add" => {
                if a == b {
                    let two = g.constant(2.0);
                    return Some(g.mk(Op::new("mul", &[two, a])));
                }
                // c·x + d·x = (c + d)·x, and c·x + x = (c + 1)·x.
                let ((ka, xa), (kb, xb)) = (coefficient(g, a), coefficient(g, b));
                if xa == xb && (ka.is_some() || kb.is_some()) {
                    let k = g.constant(ka.unwrap_or(1.0) + kb.unwrap_or(1.0));
                    return Some(g.mk(Op::new("mul", &[k, xa])));
                }
                // (u + c·x) + d·x = u + (c + d)·x: contributions are summed left to
                // right, so a like term is the last one of the sum on the left.
                let sum = g.op(a);
                if sum.is("add") && coefficient(g, sum.arg(1)).1 == xb {
                    let merged = g.mk(Op::new("add", &[sum.arg(1), b]));
                    return Some(g.mk(Op::new("add", &[sum.arg(0), merged])));
                }
                let nb = g.op(b);
                nb.is("neg").then(|| g.mk(Op::new("sub", &[a, nb.arg(0)])))
            }
            "sub" => {
                let nb = g.op(b);
                nb.is("neg").then(|| g.mk(Op::new("add", &[a, nb.arg(0)])))
            }
            _ => {
                // Constants go first: c·x.
                if c(g, b).is_some() && c(g, a).is_none() {
                    return Some(g.mk(Op::new("mul", &[b, a])));
                }
                match (c(g, a), c(g, b)) {
                    (Some(x), Some(y)) => return Some(g.constant(x * y)),
                    (Some(1.0), None) => return Some(b),
                    (Some(-1.0), None) => return Some(g.mk(Op::new("neg", &[b]))),
                    (Some(x), None) => {
                        if let (Some(y), inner) = coefficient(g, b) {
                            let k = g.constant(x * y);
                            return Some(g.mk(Op::new("mul", &[k, inner])));
                        }
                        if g.op(b).is("neg") {
                            let (k, inner) = (g.constant(-x), g.op(b).arg(0));
                            return Some(g.mk(Op::new("mul", &[k, inner])));
                        }
                    }
                    _ => {}
                }
                // A filled matrix times x is a scalar times x.
                for (f, x) in [(a, b), (b, a)] {
                    if g.op(f).is("fill") && g.shape(f) == g.shape(x) {
                        let s = g.op(f).arg(0);
                        return Some(g.mk(Op::new("mul", &[s, x])));
                    }
                }
                None
            }
        }
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let (a, b) = (g.op(n).arg(0), g.op(n).arg(1));
        let mut out = Vec::new();
        // A scalar side broadcast over a matrix gets the sum over the broadcast.
        let reduce = |g: &mut Graph, x: NodeId, part: NodeId| scalar_side(g, n, x, part);
        if self.0 == "mul" {
            // Y = A ⊙ B: dA = dY ⊙ B, dB = dY ⊙ A.
            for (x, other) in [(a, b), (b, a)] {
                let p = g.mk(Op::new("mul", &[d, other]));
                out.push((x, reduce(g, x, p)));
            }
        } else {
            // Y = A ± B: dA = dY, dB = ±dY.
            for (x, negate) in [(a, false), (b, self.0 == "sub")] {
                let mut part = reduce(g, x, d);
                if negate {
                    part = g.mk(Op::new("neg", &[part]));
                }
                out.push((x, part));
            }
        }
        out
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        use Kind::*;
        let ((a, ka), (c, kc)) = (args[0], args[1]);
        let b = cx.batch();
        let g = cx.g();
        if let Some(lifted) = lift_as_written(g, self.0, args[0], args[1]) {
            return Ok(lifted);
        }
        let (sa, sc) = (g.shape(a), g.shape(c));
        // A shared column with as many rows as the per-example side.
        let (ra, rc) = (rows(g, a), rows(g, c));
        let column = |s: Shape| s == Shape::Mat(ra, ONE) && ra == rc;
        let neg = |g: &mut Graph, x: NodeId| g.intern(Op::new("neg", &[x]), g.shape(x));
        let per_example = |k: Kind| matches!(k, Column | Scalar);
        Ok(match self.0 {
            // A per-example column (or 1×1) and a shared column: a bias, along the batch.
            "add" if per_example(ka) && kc == Shared && column(sc) => {
                (g.intern(Op::new("add_bias", &[a, c]), sa), ka)
            }
            "add" if ka == Shared && per_example(kc) && column(sa) => {
                (g.intern(Op::new("add_bias", &[c, a]), sc), kc)
            }
            "sub" if per_example(ka) && kc == Shared && column(sc) => {
                let m = neg(g, c);
                (g.intern(Op::new("add_bias", &[a, m]), sa), ka)
            }
            "sub" if ka == Shared && per_example(kc) && column(sa) => {
                let m = neg(g, c);
                (g.intern(Op::new("add_bias", &[m, a]), sc), kc)
            }
            // A per-example column times a shared column: each row scaled.
            "mul" if per_example(ka) && kc == Shared && column(sc) => {
                (g.intern(Op::new("row_scale", &[a, c]), sa), ka)
            }
            "mul" if ka == Shared && per_example(kc) && column(sa) => {
                (g.intern(Op::new("row_scale", &[c, a]), sc), kc)
            }
            // A per-example scalar times a shared column: one outer product.
            "mul" if ka == Scalar && kc == Shared && matches!(sc, Shape::Mat(_, ONE)) => {
                (g.intern(Op::new("matmul", &[c, a]), Shape::Mat(rc, b)), Column)
            }
            "mul" if ka == Shared && kc == Scalar && matches!(sa, Shape::Mat(_, ONE)) => {
                (g.intern(Op::new("matmul", &[a, c]), Shape::Mat(ra, b)), Column)
            }
            // A per-example scalar times a per-example column: each column scaled.
            "mul" if ka == Column && kc == Scalar => (g.intern(Op::new("col_scale", &[a, c]), sa), Column),
            "mul" if ka == Scalar && kc == Column => (g.intern(Op::new("col_scale", &[c, a]), sc), Column),
            // A per-example scalar added to (or taken from) a per-example
            // column (`x - mean(x)`): the scalars, a `[1×B]` row, spread down
            // the rows by an outer product with a column of ones.
            "add" | "sub" if matches!((ka, kc), (Column, Scalar) | (Scalar, Column)) => {
                let (col, row) = if ka == Column { (a, c) } else { (c, a) };
                let r = rows(g, col);
                let one = g.constant(1.0);
                let ones = g.intern(Op::with("fill", &[one], Attr::Dims(r, ONE)), Shape::Mat(r, ONE));
                let spread = g.intern(Op::new("matmul", &[ones, row]), Shape::Mat(r, b));
                let (x, y) = if ka == Column { (a, spread) } else { (spread, c) };
                (g.intern(Op::new(self.0, &[x, y]), Shape::Mat(r, b)), Column)
            }
            _ => {
                let (ta, tc) = (g.shape_text(sa), g.shape_text(sc));
                return Err(format!(
                    "{} combines {} {ta} and {} {tc} elementwise, which has no batched form here",
                    cx.name(n),
                    ka.describe(),
                    kc.describe(),
                ));
            }
        })
    }

    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        if let Some(parts) = Self::unslices(cx, n) {
            return parts.iter().map(|&u| cx.g().op(u).arg(0)).collect();
        }
        if let Some((p, q)) = Self::fused_sum(cx, n) {
            return [cx.deps(p), cx.deps(q)].concat();
        }
        if let Some(f) = Self::fused(cx, n) {
            return f.deps;
        }
        cx.g().op(n).operands().to_vec()
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        if let Some(parts) = Self::unslices(cx, n) {
            // Each slice's adjoint into its own rows, in one buffer.
            let p = place.tokens;
            let mut code = TokenStream::new();
            for (i, &u) in parts.iter().enumerate() {
                let (d, lo) = (cx.val(cx.g().op(u).arg(0)), super::slice_offset(cx, cx.g().op(u).dims().0));
                code.extend(if i == 0 {
                    quote!(#p.set_rows_into(#d, #lo);)
                } else {
                    quote!(#p.add_rows_into(#d, #lo);)
                });
            }
            return code;
        }
        if let Some((p, q)) = Self::fused_sum(cx, n) {
            return super::matmul::emit_sum(cx, p, q, Place { accumulate: false, ..place });
        }
        if let Some(f) = Self::fused(cx, n) {
            return (f.code)(cx, place.tokens);
        }
        let g = cx.g();
        let (a, b) = (g.op(n).arg(0), g.op(n).arg(1));
        let (sa, sb) = (is_scalar(g, a), is_scalar(g, b));
        let (x, y) = (cx.val(a), cx.val(b));
        let p = place.tokens;
        match (self.0, sa, sb) {
            ("add", true, _) => quote!(#p.set_add_scalar(#y, #x);),
            ("add", _, true) => quote!(#p.set_add_scalar(#x, #y);),
            ("add", ..) => quote!(#p.set_add(#x, #y);),
            ("sub", true, _) => quote!(#p.set_scalar_sub(#x, #y);),
            ("sub", _, true) => quote!(#p.set_add_scalar(#x, -#y);),
            ("sub", ..) => quote!(#p.set_sub(#x, #y);),
            (_, true, _) => quote!(#p.set_scale(#y, #x);),
            (_, _, true) => quote!(#p.set_scale(#x, #y);),
            _ => quote!(#p.set_hadamard(#x, #y);),
        }
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let op = cx.g().op(n);
        let (a, b) = (cx.val(op.arg(0)), cx.val(op.arg(1)));
        match self.0 {
            "add" => quote!(#a + #b),
            "sub" => quote!(#a - #b),
            _ => quote!(#a * #b),
        }
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let op = match self.0 {
            "add" => "Add",
            "sub" => "Sub",
            _ => "Mul",
        };
        Some(cx.call(op, cx.g().op(n).operands()))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        use Prec::*;
        let (g, tex) = (cx.g(), cx.latex());
        let (a, b) = (g.op(n).arg(0), g.op(n).arg(1));
        match self.0 {
            "add" => (format!("{} + {}", cx.print(a).0, cx.print(b).0), Sum),
            "sub" => {
                let right = operand(cx, b, &[MatMul, Factor, Hadamard, Scale, Ratio, Neg, Post, Atom]);
                (format!("{} {} {right}", cx.print(a).0, if tex { "-" } else { "−" }), Sum)
            }
            _ if is_scalar(g, a) && !is_scalar(g, b) => {
                let sep = if tex { "\\," } else { " " };
                (
                    format!(
                        "{}{sep}{}",
                        operand(cx, a, &[Post, Atom]),
                        operand(cx, b, &[MatMul, Factor, Post, Atom])
                    ),
                    Scale,
                )
            }
            _ if is_scalar(g, a) => {
                let sep = if tex { " \\cdot " } else { "·" };
                (format!("{}{sep}{}", operand(cx, a, &[Post, Atom]), operand(cx, b, &[Post, Atom])), Scale)
            }
            _ => {
                let dot = if tex { " \\odot " } else { " ⊙ " };
                let right = operand(cx, b, &[Factor, Post, Atom]);
                (format!("{}{dot}{right}", operand(cx, a, &[Hadamard, Post, Atom])), Hadamard)
            }
        }
    }
}
