//! Normalization and dropout: `layernorm(x, gamma, beta)` (each example
//! standardized over its features, then scaled and shifted), the
//! `normalize` op it is built on with its compact adjoint, and
//! `dropout(x, p)`, whose two modes are the identity (evaluation: the
//! per-example methods and `forward_batch`) and `x ⊙ m` with an inverted
//! dropout mask `m` drawn from the caller's generator (the batched training
//! methods).

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::{
    Call, Check, EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, Signature, along_axis,
    call, operand,
};
use crate::net::model::{Attr, DimId, Graph, NodeId, ONE, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[&LayerNorm, &Normalize, &NormalizeGrad, &Dropout, &DropoutMask];

fn dims(g: &Graph, n: NodeId) -> (DimId, DimId) {
    match g.shape(n) {
        Shape::Mat(r, c) => (r, c),
        _ => (ONE, ONE),
    }
}

fn size(cx: &dyn EmitCx, d: DimId) -> TokenStream {
    let t = cx.dim(d);
    quote!(<#t as ::shapegrad::Dim>::SIZE)
}

/// `layernorm(x, gamma, beta)`: `[D]`, `[D]`, `[D]` → `[D]`, built as
/// `gamma ⊙ normalize(x) + beta`.
struct LayerNorm;

impl OpDef for LayerNorm {
    fn code(&self) -> &'static str {
        "layernorm"
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 3, label_last: false })
    }

    // Rule: a vector `[D]` and a scale and shift of its shape; or a matrix
    // `[R×C]` normalized along the axis that the scale's dim names (each
    // row for `[C]`, each column for `[R]`, the first axis when R = C).
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let (x, gamma, beta) = (call.nodes[0], call.nodes[1], call.nodes[2]);
        let sx = cx.g.shape(x);
        if let Shape::Mat(r, c) = sx
            && c != ONE
        {
            return along_an_axis(cx, call, (x, gamma, beta), (r, c));
        }
        let vector = matches!(sx, Shape::Mat(r, ONE) if r != ONE && cx.g.parts(r).is_none());
        if !vector {
            let msg =
                format!("`layernorm` normalizes a vector [D], but `{}` is {}", call.src(0), cx.text(sx));
            return cx.error(&call.args[0], msg);
        }
        for (i, p) in [(1, gamma), (2, beta)] {
            if cx.g.shape(p) != sx {
                let what = if i == 1 { "scale" } else { "shift" };
                let msg = format!(
                    "the {what} `{}` of `layernorm` must have the shape of `{}`, {}, but it is {}",
                    call.src(i),
                    call.src(0),
                    cx.text(sx),
                    cx.text(cx.g.shape(p))
                );
                return cx.error(&call.args[i], msg);
            }
        }
        let xhat = cx.g.intern(Op::new("normalize", &[x]), sx);
        let scaled = cx.g.intern(Op::new("mul", &[gamma, xhat]), sx);
        Some(cx.g.intern(Op::new("add", &[scaled, beta]), sx))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, "layernorm", "\\operatorname{layernorm}", cx.g().op(n).operands())
    }
}

/// `layernorm(X, g, s)` for a matrix `X` `[R×C]`: each column normalized
/// (`g, s: [R]`) or each row (`g, s: [C]`, through `Xᵀ`), then scaled and
/// shifted along that axis.
fn along_an_axis(
    cx: &mut Check<'_>,
    call: &Call,
    (x, gamma, beta): (NodeId, NodeId, NodeId),
    (r, c): (DimId, DimId),
) -> Option<NodeId> {
    let sg = cx.g.shape(gamma);
    let axis = match sg {
        Shape::Mat(n, ONE) if n == r => Some(false),
        Shape::Mat(n, ONE) if n == c => Some(true),
        _ => None,
    };
    let Some(rows) = axis.filter(|_| cx.g.shape(beta) == sg) else {
        let (rt, ct) = (cx.dim_text(r), cx.dim_text(c));
        let msg = format!(
            "`layernorm` normalizes `{}` {} along the axis its scale's dim names, [{rt}] for each column or [{ct}] for each row, but the scale `{}` is {} and the shift `{}` {}",
            call.src(0),
            cx.text(cx.g.shape(x)),
            call.src(1),
            cx.text(sg),
            call.src(2),
            cx.text(cx.g.shape(beta))
        );
        return cx.error(&call.expr, msg);
    };
    let xhat = if rows {
        let xt = cx.g.intern(Op::new("transpose", &[x]), Shape::Mat(c, r));
        let ht = cx.g.intern(Op::new("normalize", &[xt]), Shape::Mat(c, r));
        cx.g.intern(Op::new("transpose", &[ht]), Shape::Mat(r, c))
    } else {
        cx.g.intern(Op::new("normalize", &[x]), Shape::Mat(r, c))
    };
    let scaled = along_axis(cx.g, "mul", xhat, gamma, true)?;
    along_axis(cx.g, "add", scaled, beta, false)
}

/// `normalize(x)`: each column standardized, `(x − mean(x))/σ(x)` with
/// the biased variance and ε = 1e-5 under the root.
struct Normalize;

impl OpDef for Normalize {
    fn code(&self) -> &'static str {
        "normalize"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        vec![(g.op(n).arg(0), g.mk(Op::new("normalize_dx", &[n, d])))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, _: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let (x, kind) = args[0];
        let s = cx.g().shape(x);
        Ok((cx.g().intern(Op::new("normalize", &[x]), s), kind))
    }

    // Per column: its mean, variance and 1/σ, then two sums for the adjoint.
    fn scratch(&self, cx: &dyn EmitCx, n: NodeId) -> Option<TokenStream> {
        let cols = size(cx, dims(cx.g(), n).1);
        Some(quote!(5 * #cols))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let (r, c) = dims(cx.g(), n);
        let (rows, cols, x, s, p) =
            (size(cx, r), size(cx, c), cx.val(cx.g().op(n).arg(0)), cx.scratch(n), place.tokens);
        quote! {{
            let (__m, __rest) = #s.split_at_mut(#cols);
            let (__v, __rest) = __rest.split_at_mut(#cols);
            let __fits = ::shapegrad::ops::normalize(::shapegrad::ops::Groups::Columns, (#rows, #cols), (#x).as_slice(), #p.as_mut_slice(), (__m, __v, &mut __rest[..#cols]));
            ::core::debug_assert!(__fits, "net!: sizes of a normalization do not fit (a bug in shapegrad)");
        }}
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        // Over each example's features: a column.
        let x = cx.v(cx.g().op(n).arg(0));
        let eps = quote!((::shapegrad::ops::NORM_EPS as f32));
        Some(quote!(::shapegrad::onnx::normalize_columns(&mut __g, &#x, #eps)))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, "normalize", "\\operatorname{normalize}", &[cx.g().op(n).arg(0)])
    }
}

/// The adjoint of `x̂ = normalize(x)` given `∂x̂`, as `(x̂, ∂x̂)`:
/// `(∂x̂ − mean(∂x̂) − x̂ ⊙ mean(∂x̂ ⊙ x̂))/σ(x)`, per column.
struct NormalizeGrad;

impl OpDef for NormalizeGrad {
    fn code(&self) -> &'static str {
        "normalize_dx"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let xhat = op.arg(0);
        let (r, c) = dims(cx.g(), xhat);
        let (rows, cols, p) = (size(cx, r), size(cx, c), place.tokens);
        let (x, d, s) = (cx.val(xhat), cx.val(op.arg(1)), cx.scratch(xhat));
        quote! {{
            let (__stats, __sums) = #s.split_at_mut(3 * #cols);
            let __fits = ::shapegrad::ops::normalize_vjp(::shapegrad::ops::Groups::Columns, (#rows, #cols), (#x).as_slice(), &__stats[2 * #cols..], (#d).as_slice(), #p.as_mut_slice(), __sums);
            ::core::debug_assert!(__fits, "net!: sizes of a normalization do not fit (a bug in shapegrad)");
        }}
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let (xhat, d) = (op.arg(0), op.arg(1));
        let x = cx.print(cx.g().op(xhat).arg(0)).0;
        // `∂x̂` bare inside `mean(…)`, in parentheses where it is a factor.
        let ok = [Prec::Atom, Prec::Post, Prec::Factor, Prec::Hadamard];
        let (h, dd, bare) = (operand(cx, xhat, &ok), operand(cx, d, &ok), cx.print(d).0);
        let first = operand(
            cx,
            d,
            &[Prec::Atom, Prec::Post, Prec::Factor, Prec::Hadamard, Prec::MatMul, Prec::Scale],
        );
        if cx.latex() {
            let inner = format!(
                "{first} - \\operatorname{{mean}}({bare}) - {h} \\odot \\operatorname{{mean}}({dd} \\odot {h})"
            );
            (format!("\\frac{{{inner}}}{{\\sigma({x})}}"), Prec::Atom)
        } else {
            (format!("({first} − mean({bare}) − {h} ⊙ mean({dd} ⊙ {h}))/σ({x})"), Prec::Ratio)
        }
    }
}

/// `dropout(x, p)`: the identity here (evaluation); in the batched
/// training graph, `x ⊙ m` with a fresh inverted dropout mask `m`.
struct Dropout;

/// `p` of a dropout, from its attribute.
fn probability(op: &Op) -> f64 {
    match op.attr {
        Attr::Dropout(_, bits) => f64::from_bits(bits),
        _ => 0.0,
    }
}

impl OpDef for Dropout {
    fn code(&self) -> &'static str {
        "dropout"
    }

    fn modal(&self) -> bool {
        true
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 2, label_last: false })
    }

    // Rule: `p` is a number literal in [0, 1).
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let x = call.nodes[0];
        let p = match call.number(1) {
            Some(p) if (0.0..1.0).contains(&p) => p,
            _ => {
                let msg = format!(
                    "the drop probability of `dropout` is a number in [0, 1), written as a literal (`dropout({}, 0.5)`)",
                    call.src(0)
                );
                return cx.error(&call.args[1], msg);
            }
        };
        if matches!(cx.g.shape(x), Shape::Scalar) {
            return cx.error(
                &call.args[0],
                format!("`dropout` drops elements of a vector or matrix, but `{}` is a scalar", call.src(0)),
            );
        }
        let index = cx.g.nodes.iter().filter(|n| n.op.is("dropout")).count();
        let s = cx.g.shape(x);
        Some(cx.g.intern(Op::with("dropout", &[x], Attr::Dropout(index, p.to_bits())), s))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        vec![(g.op(n).arg(0), d)]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let op = cx.src().op(n);
        let (x, kind) = args[0];
        let s = cx.g().shape(x);
        if kind == Kind::Shared || !cx.training() {
            return Ok((cx.g().intern(Op::with("dropout", &[x], op.attr), s), kind));
        }
        let mask = cx.g().intern(Op::with("dropout_mask", &[], op.attr), s);
        Ok((cx.g().intern(Op::new("mul", &[x, mask]), s), kind))
    }

    fn alias(&self) -> bool {
        true
    }

    fn emit(&self, _: &dyn EmitCx, _: NodeId, _: Place<'_>) -> TokenStream {
        TokenStream::new()
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        // Evaluation: the identity.
        Some(cx.call("Identity", &[cx.g().op(n).arg(0)]))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let x = cx.print(op.arg(0)).0;
        let f = if cx.latex() { "\\operatorname{dropout}" } else { "dropout" };
        (format!("{f}({x}, {})", crate::net::source::number(probability(&op))), Prec::Atom)
    }
}

/// An inverted dropout mask, drawn from the training methods' `rng`.
struct DropoutMask;

impl OpDef for DropoutMask {
    fn code(&self) -> &'static str {
        "dropout_mask"
    }

    fn draws_random(&self) -> bool {
        true
    }

    fn infer(&self, _: &Graph, _: &Op) -> Shape {
        Shape::Scalar
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let p = Literal::f64_unsuffixed(probability(&cx.g().op(n)));
        let place = place.tokens;
        quote!(rng.dropout_mask(#p, #place.as_mut_slice());)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let i = match cx.g().op(n).attr {
            Attr::Dropout(i, _) => i + 1,
            _ => 0,
        };
        (if cx.latex() { format!("m_{{{i}}}") } else { format!("m{i}") }, Prec::Atom)
    }
}
