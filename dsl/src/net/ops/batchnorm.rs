//! `batchnorm(x, gamma, beta)` on a vector `[D]` (per feature) or a rank-3
//! value `[C×H×W]` (per channel, "spatial"), in its two modes:
//! - evaluation (`batchnorm`: the per-example methods and `forward_batch`):
//!   `γ ⊙ (x − μ)/√(v + ε) + β` with the net's running mean `μ` and variance
//!   `v`, constants of the gradient;
//! - training (`bn_train`: the batched training methods): each feature or
//!   channel standardized over the batch (and its positions), `γ ⊙ x̂ + β`,
//!   with the adjoint through the batch mean and variance in its compact
//!   form `∂x = (γ/σ)(∂y − mean(∂y) − x̂ ⊙ mean(∂y ⊙ x̂))`, no Jacobian. The
//!   training methods keep the batch's statistics for the optimizer's step,
//!   which updates the running ones.

use proc_macro2::TokenStream;
use quote::quote;

use super::{
    Call, Check, EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, Signature, call, operand,
};
use crate::net::model::{Attr, DimId, Graph, NodeId, ONE, Op, Shape, StateDecl};

pub(super) static OPS: &[&dyn OpDef] = &[
    &BatchNorm,
    &EvalGrad("bn_dx"),
    &EvalGrad("bn_dgamma"),
    &EvalGrad("bn_dbeta"),
    &TrainNorm,
    &TrainGrad("bn_train_dx"),
    &TrainGrad("bn_train_dgamma"),
    &TrainGrad("bn_train_dbeta"),
];

fn size(cx: &dyn EmitCx, d: DimId) -> TokenStream {
    let t = cx.dim(d);
    quote!(<#t as ::shapegrad::Dim>::SIZE)
}

/// `(g, rows, cols)` of batchnorm node `n`'s input: the rows per channel
/// (1, or H·W), and the matrix it is held as.
fn layout(cx: &dyn EmitCx, n: NodeId) -> (TokenStream, TokenStream, TokenStream) {
    let g = cx.g();
    let Shape::Mat(r, c) = g.shape(g.op(n).arg(0)) else {
        return (quote!(1), quote!(1), quote!(1));
    };
    let per_channel = match g.parts(r) {
        Some(&[_, h, w]) => {
            let (h, w) = (size(cx, h), size(cx, w));
            quote!((#h * #w))
        }
        _ => quote!(1),
    };
    (per_channel, size(cx, r), size(cx, c))
}

fn state_index(op: &Op) -> usize {
    op.index().unwrap_or(0)
}

/// Shape of operand `i` of the batchnorm node `n` refers to.
fn operand_shape(g: &Graph, n: NodeId, i: usize) -> Shape {
    g.shape(g.op(n).arg(i))
}

struct BatchNorm;

impl OpDef for BatchNorm {
    fn code(&self) -> &'static str {
        "batchnorm"
    }

    fn modal(&self) -> bool {
        true
    }

    fn scale_operand(&self) -> Option<usize> {
        Some(1)
    }

    /// The batched training methods differentiate through the batch's
    /// mean and variance: their adjoint in its compact form.
    fn training_text(&self, cx: &dyn PrintCx, n: NodeId, y: &str) -> Option<String> {
        let op = cx.g().op(n);
        let (x, gamma, beta) = (cx.print(op.arg(0)).0, cx.leaf_name(op.arg(1)), cx.leaf_name(op.arg(2)));
        let x = if x.contains(' ') { format!("({x})") } else { x };
        let spatial = cx.g().shape(op.arg(0)) != cx.g().shape(op.arg(1));
        let over = if spatial {
            "per channel, over the batch and the positions"
        } else {
            "per feature, over the batch"
        };
        Some(if cx.latex() {
            let (dy, dx) = (format!("\\partial {y}"), format!("\\partial {x}"));
            format!(
                "\\text{{training: }} {y} &= {gamma} \\odot \\hat{{x}} + {beta},\\ \\hat{{x}} = \\frac{{{x} - \\mu_B}}{{\\sigma_B}} && \\text{{{over}}} \\\\\n{dx} &= \\frac{{{gamma}}}{{\\sigma_B}} \\odot \\left({dy} - \\operatorname{{mean}}_B({dy}) - \\hat{{x}} \\odot \\operatorname{{mean}}_B({dy} \\odot \\hat{{x}})\\right) \\\\\n\\partial {gamma} &= \\textstyle\\sum_B {dy} \\odot \\hat{{x}},\\quad \\partial {beta} = \\textstyle\\sum_B {dy}"
            )
        } else {
            let dy = format!("∂{y}");
            format!(
                "training ({over}): {y} = {gamma} ⊙ x̂ + {beta}, x̂ = ({x} − μ_B)/σ_B, σ_B² = mean_B(({x} − μ_B)²) + 1e-5\n  ∂{x} = ({gamma}/σ_B) ⊙ ({dy} − mean_B({dy}) − x̂ ⊙ mean_B({dy} ⊙ x̂))\n  ∂{gamma} = Σ_B {dy} ⊙ x̂,  ∂{beta} = Σ_B {dy}\n"
            )
        })
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 3, label_last: false })
    }

    // Rule: `[D]` with `[D]`, `[D]`; or `[C×H×W]` with `[C]`, `[C]`; one per `let`.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let (x, gamma, beta) = (call.nodes[0], call.nodes[1], call.nodes[2]);
        let sx = cx.g.shape(x);
        let channels = match sx {
            Shape::Mat(r, ONE) if r != ONE => cx.g.parts(r).map_or(r, |p| p[0]),
            _ => {
                let msg = format!(
                    "`batchnorm` normalizes a vector [D] or a rank-3 value [C×H×W] per example, but `{}` is {}",
                    call.src(0),
                    cx.text(sx)
                );
                return cx.error(&call.args[0], msg);
            }
        };
        for (i, p) in [(1, gamma), (2, beta)] {
            if cx.g.shape(p) != Shape::Mat(channels, ONE) {
                let what = if i == 1 { "scale" } else { "shift" };
                let msg = format!(
                    "the {what} `{}` of `batchnorm` must be [{}], one per feature or channel of `{}` {}, but it is {}",
                    call.src(i),
                    cx.dim_text(channels),
                    call.src(0),
                    cx.text(sx),
                    cx.text(cx.g.shape(p))
                );
                return cx.error(&call.args[i], msg);
            }
        }
        // Rule: one batchnorm per `let`, whose name its running statistics take.
        let msg = if call.name == "loss" || call.name.is_empty() {
            let place = if call.name.is_empty() { "a `grad` line" } else { "the loss" };
            Some(format!(
                "a `batchnorm` in {place} has no `let` to name its running statistics (saved as `NAME.running_mean`); write `let h = batchnorm(…);` and use `h`"
            ))
        } else if cx.states.iter().any(|s| s.name == call.name) {
            Some(format!(
                "`let {0}` holds a second `batchnorm`; each needs a `let` of its own, whose name its running statistics take (`{0}.running_mean`)",
                call.name
            ))
        } else {
            None
        };
        if let Some(msg) = msg {
            return cx.error(&call.expr, msg);
        }
        let k = cx.states.len();
        cx.states.push(StateDecl { name: call.name.clone(), channels });
        Some(cx.g.intern(Op::with("batchnorm", &[x, gamma, beta], Attr::Index(k)), sx))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let op = g.op(n);
        let grads = ["bn_dx", "bn_dgamma", "bn_dbeta"].map(|code| g.mk(Op::with(code, &[n, d], op.attr)));
        op.operands().iter().copied().zip(grads).collect()
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let op = cx.src().op(n);
        match args {
            [(x, Kind::Column), (gamma, Kind::Shared), (beta, Kind::Shared)] => {
                let code = if cx.training() { "bn_train" } else { "batchnorm" };
                let s = cx.g().shape(*x);
                Ok((cx.g().intern(Op::with(code, &[*x, *gamma, *beta], op.attr), s), Kind::Column))
            }
            _ => Err(format!("{} normalizes a value that is not one per example", cx.name(n))),
        }
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let (g, rows, cols) = layout(cx, n);
        let (x, gamma, beta, p) = (cx.val(op.arg(0)), cx.val(op.arg(1)), cx.val(op.arg(2)), place.tokens);
        let s = cx.state(state_index(&op));
        quote!(::shapegrad::ops::batchnorm_eval(#g, (#rows, #cols), (#x).as_slice(), ((#gamma).as_slice(), (#beta).as_slice()), (#s.mean.as_slice(), #s.var.as_slice()), #p.as_mut_slice());)
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        // Evaluation: the running statistics, per feature or per channel.
        let op = cx.g().op(n);
        let (mean, var) = cx.state(op.index()?)?;
        let (x, gamma, beta) = (cx.v(op.arg(0)), cx.v(op.arg(1)), cx.v(op.arg(2)));
        let channels = match cx.image(op.arg(0)) {
            Some([c, h, w]) => quote!(::core::option::Option::Some((#c, #h * #w))),
            None => quote!(::core::option::Option::None),
        };
        let eps = quote!((::shapegrad::ops::NORM_EPS as f32));
        Some(
            quote!(::shapegrad::onnx::batchnorm(&mut __g, [&#x, &#gamma, &#beta, #mean, #var], #channels, #eps)),
        )
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, "batchnorm", "\\operatorname{batchnorm}", cx.g().op(n).operands())
    }
}

/// The adjoints of batchnorm in evaluation, each `(y, ∂y)`: `∂x = γ ⊙ ∂y/σ`,
/// `∂γ = Σ ∂y ⊙ x̂`, `∂β = Σ ∂y`, with σ, x̂ from the running statistics.
struct EvalGrad(&'static str);

impl OpDef for EvalGrad {
    fn code(&self) -> &'static str {
        self.0
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let i = ["bn_dx", "bn_dgamma", "bn_dbeta"].iter().position(|c| *c == self.0).unwrap_or(0);
        operand_shape(g, op.arg(0), i)
    }

    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        let op = cx.g().op(n);
        let bn = cx.g().op(op.arg(0));
        vec![bn.arg(0), bn.arg(1), op.arg(1)]
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let y = op.arg(0);
        let bn = cx.g().op(y);
        let (g, rows, cols) = layout(cx, y);
        let (x, gamma, dy, p) = (cx.val(bn.arg(0)), cx.val(bn.arg(1)), cx.val(op.arg(1)), place.tokens);
        let s = cx.state(state_index(&bn));
        let out = quote!(::core::option::Option::Some(#p.as_mut_slice()));
        let none = quote!(::core::option::Option::None);
        let outs = match self.0 {
            "bn_dx" => quote!((#out, #none, #none)),
            "bn_dgamma" => quote!((#none, #out, #none)),
            _ => quote!((#none, #none, #out)),
        };
        quote!(::shapegrad::ops::batchnorm_eval_vjp(#g, (#rows, #cols), (#x).as_slice(), (#gamma).as_slice(), (#s.mean.as_slice(), #s.var.as_slice()), (#dy).as_slice(), #outs);)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let bn = cx.g().op(op.arg(0));
        let ok = [Prec::Atom, Prec::Post];
        let (x, gamma, dy) =
            (cx.print(bn.arg(0)).0, operand(cx, bn.arg(1), &ok), operand(cx, op.arg(1), &ok));
        let latex = cx.latex();
        let sigma = if latex { format!("\\sigma_{{\\text{{run}}}}({x})") } else { format!("σ_run({x})") };
        let xhat = if latex { format!("\\hat{{x}}_{{\\text{{run}}}}({x})") } else { format!("x̂_run({x})") };
        let odot = if latex { "\\odot" } else { "⊙" };
        // Per channel of a rank-3 value, the sum over its positions.
        let spatial = cx.g().shape(bn.arg(0)) != cx.g().shape(bn.arg(1));
        let sum = match (spatial, latex) {
            (false, _) => "",
            (true, false) => "Σ_hw ",
            (true, true) => "\\textstyle\\sum_{h,w} ",
        };
        match self.0 {
            "bn_dx" => (format!("{gamma} {odot} {dy}/{sigma}"), Prec::Ratio),
            "bn_dgamma" => {
                (format!("{sum}{dy} {odot} {xhat}"), if spatial { Prec::Scale } else { Prec::Hadamard })
            }
            _ if spatial => (format!("{sum}{dy}"), Prec::Scale),
            _ => cx.print(op.arg(1)),
        }
    }
}

/// Batchnorm in training: `γ ⊙ x̂ + β`, `x̂` standardized with the batch's
/// statistics. Its buffer holds `x̂`, room for `γ ⊙ ∂y`, and per channel the
/// batch mean, variance, `1/σ` and two sums for the adjoint.
struct TrainNorm;

impl OpDef for TrainNorm {
    fn code(&self) -> &'static str {
        "bn_train"
    }

    /// The batch's statistics, kept for the optimizer's step (they sit in
    /// the buffer after x̂ and room for γ ⊙ ∂y: mean, then biased variance,
    /// one per channel).
    fn after_grad(&self, cx: &dyn EmitCx, n: NodeId, states: &[StateDecl]) -> Option<TokenStream> {
        let op = cx.g().op(n);
        let state = states.get(op.index()?)?;
        let field = state.field();
        let Shape::Mat(r, c) = cx.g().shape(n) else { return None };
        let (r, c, channels, s) = (cx.dim(r), cx.dim(c), cx.dim(state.channels), cx.scratch(n));
        Some(quote! {{
            let __len = <#r as ::shapegrad::Dim>::SIZE * <#c as ::shapegrad::Dim>::SIZE;
            let __channels = <#channels as ::shapegrad::Dim>::SIZE;
            let __stats = &#s[2 * __len..];
            __out.#field.record(&__stats[..__channels], &__stats[__channels..2 * __channels], __len / __channels);
        }})
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(op.arg(0))
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let op = g.op(n);
        let codes = ["bn_train_dx", "bn_train_dgamma", "bn_train_dbeta"];
        let grads = codes.map(|code| g.mk(Op::with(code, &[n, d], op.attr)));
        op.operands().iter().copied().zip(grads).collect()
    }

    fn scratch(&self, cx: &dyn EmitCx, n: NodeId) -> Option<TokenStream> {
        let (g, rows, cols) = layout(cx, n);
        Some(quote!(2 * #rows * #cols + 5 * (#rows / #g)))
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let (g, rows, cols) = layout(cx, n);
        let (x, gamma, beta, p, s) =
            (cx.val(op.arg(0)), cx.val(op.arg(1)), cx.val(op.arg(2)), place.tokens, cx.scratch(n));
        quote! {{
            let __channels = #rows / #g;
            let (__xhat, __rest) = #s.split_at_mut(#rows * #cols);
            let (_, __rest) = __rest.split_at_mut(#rows * #cols);
            let (__m, __rest) = __rest.split_at_mut(__channels);
            let (__v, __rest) = __rest.split_at_mut(__channels);
            let __fits = ::shapegrad::ops::normalize(::shapegrad::ops::Groups::Rows(#g), (#rows, #cols), (#x).as_slice(), __xhat, (__m, __v, &mut __rest[..__channels]));
            ::core::debug_assert!(__fits, "net!: sizes of a batchnorm do not fit (a bug in shapegrad)");
            ::shapegrad::ops::channel_affine(#g, (#rows, #cols), __xhat, (#gamma).as_slice(), (#beta).as_slice(), #p.as_mut_slice());
        }}
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        call(cx, "batchnorm", "\\operatorname{batchnorm}", cx.g().op(n).operands())
    }
}

/// The adjoints of batchnorm in training, each `(y, ∂y)`:
/// `∂x = (∂x̂ − mean(∂x̂) − x̂ ⊙ mean(∂x̂ ⊙ x̂))/σ` with `∂x̂ = γ ⊙ ∂y`,
/// `∂γ = Σ ∂y ⊙ x̂`, `∂β = Σ ∂y`, sums and means per channel over the batch.
struct TrainGrad(&'static str);

impl OpDef for TrainGrad {
    fn code(&self) -> &'static str {
        self.0
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let i = ["bn_train_dx", "bn_train_dgamma", "bn_train_dbeta"]
            .iter()
            .position(|c| *c == self.0)
            .unwrap_or(0);
        operand_shape(g, op.arg(0), i)
    }

    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        let op = cx.g().op(n);
        let bn = cx.g().op(op.arg(0));
        vec![op.arg(0), bn.arg(1), op.arg(1)]
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let y = op.arg(0);
        let (g, rows, cols) = layout(cx, y);
        let (gamma, dy, p, s) = (cx.val(cx.g().op(y).arg(1)), cx.val(op.arg(1)), place.tokens, cx.scratch(y));
        // The buffer of `y`: x̂, room for γ ⊙ ∂y, then per channel mean,
        // variance, 1/σ and two sums (see `TrainNorm`).
        match self.0 {
            "bn_train_dx" => quote! {{
                let __channels = #rows / #g;
                let (__xhat, __rest) = #s.split_at_mut(#rows * #cols);
                let (__dxhat, __rest) = __rest.split_at_mut(#rows * #cols);
                ::shapegrad::ops::channel_scale(#g, (#rows, #cols), (#dy).as_slice(), (#gamma).as_slice(), __dxhat);
                let (__stats, __sums) = __rest.split_at_mut(3 * __channels);
                let __fits = ::shapegrad::ops::normalize_vjp(::shapegrad::ops::Groups::Rows(#g), (#rows, #cols), __xhat, &__stats[2 * __channels..], __dxhat, #p.as_mut_slice(), __sums);
                ::core::debug_assert!(__fits, "net!: sizes of a batchnorm do not fit (a bug in shapegrad)");
            }},
            "bn_train_dgamma" => quote! {
                ::shapegrad::ops::channel_sums(#g, (#rows, #cols), (#dy).as_slice(), ::core::option::Option::Some(&#s[..#rows * #cols]), #p.as_mut_slice());
            },
            _ => quote! {
                ::shapegrad::ops::channel_sums(#g, (#rows, #cols), (#dy).as_slice(), ::core::option::Option::None, #p.as_mut_slice());
            },
        }
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let dy = cx.print(op.arg(1)).0;
        (format!("{}({dy})", self.0), Prec::Atom)
    }
}
