//! Losses and labels: `onehot(y)`, `softmax_cross_entropy(z, y)` and
//! `svm(z, y)` (with their gradients and per-column batched forms), and
//! `mse(a, b)`, which is `mean(square(a - b))`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{
    Call, Check, EmitCx, Kind, LiftCx, Lifted, OpDef, Place, Prec, PrintCx, Signature, call, operand,
};
use crate::net::model::{Graph, NodeId, ONE, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] =
    &[&OneHot, &CE, &CE.grad(), &CE.cols(), &SVM, &SVM.grad(), &SVM.cols(), &Mse];

/// A loss of class scores `z` and a label `y`, and the ops it comes with.
#[derive(Clone, Copy)]
struct ScoreLoss {
    name: &'static str,
    latex: &'static str,
    /// The code of its gradient with respect to `z`, and of its per-column form.
    grad: &'static str,
    cols: &'static str,
    /// The kernel names in `shapegrad::ops` and `Matrix` (`svm`, `set_svm_dz`, …).
    kernel: &'static str,
    /// How the gradient prints: `softmax(z) − onehot(y)`.
    print_grad: fn(&dyn PrintCx, NodeId, NodeId) -> (String, Prec),
}

const CE: ScoreLoss = ScoreLoss {
    name: "softmax_cross_entropy",
    latex: "\\operatorname{CE}",
    grad: "softmax_cross_entropy′",
    cols: "softmax_cross_entropy_cols",
    kernel: "softmax_cross_entropy",
    print_grad: |cx, z, y| {
        let p = call(cx, "softmax", "\\operatorname{softmax}", &[z]).0;
        let o = call(cx, "onehot", "\\operatorname{onehot}", &[y]).0;
        (format!("{p} {} {o}", if cx.latex() { "-" } else { "−" }), Prec::Sum)
    },
};

const SVM: ScoreLoss = ScoreLoss {
    name: "svm",
    latex: "\\operatorname{svm}",
    grad: "svm′",
    cols: "svm_cols",
    kernel: "svm",
    // The hinge's subgradient, as the kernel computes it: the margins broken
    // by each class but y, and y's minus their count.
    print_grad: |cx, z, y| {
        let (zs, ys) = (operand(cx, z, &[Prec::Post, Prec::Atom]), cx.print(y).0);
        let o = call(cx, "onehot", "\\operatorname{onehot}", &[y]).0;
        let text = if cx.latex() {
            format!(
                "m - {o} \\operatorname{{sum}}(m),\\ m = [{zs} - {{{zs}}}_{{{ys}}} + 1 > 0],\\ m_{{{ys}}} = 0"
            )
        } else {
            format!("m − {o} sum(m) for m = [{zs} − {zs}[{ys}] + 1 > 0], 0 at {ys}")
        };
        (text, Prec::Sum)
    },
};

impl ScoreLoss {
    const fn grad(self) -> ScoreGrad {
        ScoreGrad(self)
    }

    const fn cols(self) -> ScoreCols {
        ScoreCols(self)
    }
}

impl OpDef for ScoreLoss {
    fn code(&self) -> &'static str {
        self.name
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 2, label_last: true })
    }

    // Rule: the scores are a vector with one entry per class of the label.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let (z, y) = (call.nodes[0], call.nodes[1]);
        if let Shape::Labels(c, t) = cx.g.shape(y) {
            let (ty, c, t) = (call.src(1), cx.dim_text(c), cx.dim_text(t));
            let msg = format!(
                "`{}` takes one label, but `{ty}` is a sequence of {t} labels in 0..{c}; for logits `Z` [{c}×{t}], one column per step, the mean loss per step is `-sum(log_softmax(Z) * onehot({ty})) / {t}`",
                self.name
            );
            return cx.error(&call.expr, msg);
        }
        let Shape::Label(classes) = cx.g.shape(y) else { return None };
        if cx.g.shape(z) != Shape::Mat(classes, ONE) {
            let (c, tz) = (cx.dim_text(classes), call.src(0));
            let msg = format!(
                "`{}({tz}, {})` needs logits [{c}] for a label in 0..{c}, but `{tz}` is {}",
                self.name,
                call.src(1),
                cx.text(cx.g.shape(z))
            );
            // Logits of another size, with a label used nowhere else: the
            // label's dim is the likelier slip.
            if let (Shape::Mat(k, ONE), true) = (cx.g.shape(z), cx.g.op(y).is("label"))
                && k != ONE
            {
                let (ty, k) = (call.src(1), cx.dim_text(k));
                let fix = format!("label {ty}: {k}");
                let at_decl = format!(
                    "label `{ty}` is declared a class in 0..{c}, but `{}` gives it logits [{k}]: declare `{fix};`",
                    call.expr.text.clone()
                );
                return cx.slip(&call.expr, msg, y, fix, at_decl);
            }
            return cx.error(&call.expr, msg);
        }
        Some(cx.g.intern(Op::new(self.name, &[z, y]), Shape::Scalar))
    }

    fn guess(&self, _: &Graph, _: &[NodeId]) -> Option<Shape> {
        Some(Shape::Scalar)
    }

    fn infer(&self, _: &Graph, _: &Op) -> Shape {
        Shape::Scalar
    }

    // ℓ(z, y): dz = dℓ ∇ℓ (for cross-entropy, softmax(z) − onehot(y): fused, stable).
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let (z, y) = (g.op(n).arg(0), g.op(n).arg(1));
        let grad = g.mk(Op::new(self.grad, &[z, y]));
        vec![(z, g.mk(Op::new("mul", &[d, grad])))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, _: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        match args {
            &[(z, Kind::Column | Kind::Scalar), (y, Kind::Label)] => {
                let b = cx.batch();
                Ok((cx.g().intern(Op::new(self.cols, &[z, y]), Shape::Mat(ONE, b)), Kind::Scalar))
            }
            _ => Err("a loss whose scores do not depend on the input".into()),
        }
    }

    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let op = cx.g().op(n);
        let (f, z, y) = (format_ident!("{}", self.kernel), cx.val(op.arg(0)), cx.val(op.arg(1)));
        quote!(::shapegrad::ops::#f(#z, #y))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, self.name, self.latex, cx.g().op(n).operands())
    }
}

/// The gradient of a `ScoreLoss` with respect to its scores, per column.
struct ScoreGrad(ScoreLoss);

impl OpDef for ScoreGrad {
    fn code(&self) -> &'static str {
        self.0.grad
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let cols = if matches!(cx.g().shape(op.arg(1)), Shape::Labels(..)) { "_cols" } else { "" };
        let f = format_ident!("set_{}{cols}_dz", self.0.kernel);
        let (p, z, y) = (place.tokens, cx.val(op.arg(0)), cx.val(op.arg(1)));
        quote!(#p.#f(#z, #y);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        (self.0.print_grad)(cx, op.arg(0), op.arg(1))
    }
}

/// A `ScoreLoss` of each column: `[C×B]`, labels → `[1×B]` (batched graph only).
struct ScoreCols(ScoreLoss);

impl OpDef for ScoreCols {
    fn code(&self) -> &'static str {
        self.0.cols
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        match g.shape(op.arg(0)) {
            Shape::Mat(_, b) => Shape::Mat(ONE, b),
            other => other,
        }
    }

    // ℓ = per-column losses [1×B]: dZ = (per-column gradients) diag(dℓ).
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let (z, y) = (g.op(n).arg(0), g.op(n).arg(1));
        let grad = g.mk(Op::new(self.0.grad, &[z, y]));
        vec![(z, g.mk(Op::new("col_scale", &[grad, d])))]
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let f = format_ident!("set_{}_cols", self.0.kernel);
        let (p, z, y) = (place.tokens, cx.val(op.arg(0)), cx.val(op.arg(1)));
        quote!(#p.#f(#z, #y);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, self.0.name, self.0.latex, cx.g().op(n).operands())
    }
}

/// `onehot(y)`: the label `y` as a vector of zeros with a one at `y`.
struct OneHot;

impl OpDef for OneHot {
    fn code(&self) -> &'static str {
        "onehot"
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 1, label_last: true })
    }

    // Rule: a label gives `[C]`; a sequence of them (`ys: [T] of C`) `[C×T]`,
    // one column per step.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let y = call.nodes[0];
        let shape = match cx.g.shape(y) {
            Shape::Label(classes) => Shape::Mat(classes, ONE),
            Shape::Labels(classes, t) => Shape::Mat(classes, t),
            _ => return None,
        };
        Some(cx.g.intern(Op::new("onehot", &[y]), shape))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        match g.shape(op.arg(0)) {
            Shape::Label(d) => Shape::Mat(d, ONE),
            Shape::Labels(d, b) => Shape::Mat(d, b),
            other => other,
        }
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let (Shape::Mat(c, _), b) = (cx.src().shape(n), cx.batch()) else { return Err("onehot".into()) };
        Ok((cx.g().intern(Op::new("onehot", &[args[0].0]), Shape::Mat(c, b)), Kind::Column))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let y = cx.g().op(n).arg(0);
        let f = if matches!(cx.g().shape(y), Shape::Labels(..)) {
            quote!(set_onehot_cols)
        } else {
            quote!(set_onehot)
        };
        let (p, y) = (place.tokens, cx.val(y));
        quote!(#p.#f(#y);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, "onehot", "\\operatorname{onehot}", &[cx.g().op(n).arg(0)])
    }
}

/// `mse(a, b)`: `mean(square(a - b))` for two values of one shape.
struct Mse;

impl OpDef for Mse {
    fn code(&self) -> &'static str {
        "mse"
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 2, label_last: false })
    }

    // Rule: `mse(a, b)` compares two vectors or matrices of one shape.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let (x, y) = (call.nodes[0], call.nodes[1]);
        let (sx, sy) = (cx.g.shape(x), cx.g.shape(y));
        if sx != sy || sx == Shape::Scalar {
            let msg = format!(
                "`mse` compares two vectors or matrices of one shape, but `{}` is {} and `{}` is {}",
                call.src(0),
                cx.text(sx),
                call.src(1),
                cx.text(sy)
            );
            return cx.error(&call.expr, msg);
        }
        let d = cx.g.intern(Op::new("sub", &[x, y]), sx);
        let sq = cx.g.intern(Op::new("square", &[d]), sx);
        Some(cx.g.intern(Op::new("mean", &[sq]), Shape::Scalar))
    }

    fn guess(&self, _: &Graph, _: &[NodeId]) -> Option<Shape> {
        Some(Shape::Scalar)
    }

    // Never a node: `check` builds `mean(square(a - b))`.
    fn infer(&self, _: &Graph, _: &Op) -> Shape {
        Shape::Scalar
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, "mse", "\\operatorname{mse}", cx.g().op(n).operands())
    }
}
