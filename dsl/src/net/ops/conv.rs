//! Convolutional layers on rank-3 values `[C×H×W]` (held as a column of
//! `C×H×W`, a batch as `[C×H×W × B]`): `conv2d(x, K, b)` with optional
//! `stride` and `pad`, and its adjoints (the pools are in `pool`; what both
//! use is in `window`). Output sizes are derived from the user's dims (`sizes`); what
//! only the numbers decide is left to the compiler as a `SizeCheck`.
//!
//! The derivation writes `⋆` for the cross-correlation of `conv2d`:
//! `∂K = x ⋆ ∂z` is `∂K[f,c,u,v] = Σᵢⱼ ∂z[f,i,j]·x[c, s·i+u−p, s·j+v−p]`,
//! and `∂x = ∂z ⋆ᵀ K` is its transpose,
//! `∂x[c,h,w] = Σ ∂z[f,i,j]·K[f,c,u,v]` over `s·i+u−p = h`, `s·j+v−p = w`.

use proc_macro2::TokenStream;
use quote::quote;

use super::{
    Call, Check, EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, Signature, checked, cols,
    internal, literal, out_dim, rank3, size, usize_lit,
};
use crate::net::model::SizeBound;
use crate::net::model::{Attr, DimId, Graph, NodeId, ONE, Op, Shape};
use crate::net::sizes::Lin;

pub(super) static OPS: &[&dyn OpDef] =
    &[&Conv2d, &ConvGrad("conv2d_dx"), &ConvGrad("conv2d_dk"), &ConvGrad("conv2d_db")];

/// The dims of kernels `[F×C×KH×KW]`.
fn kernels(g: &Graph, n: NodeId) -> Option<(DimId, [DimId; 3])> {
    match g.shape(n) {
        Shape::Mat(f, s) => match g.parts(s)? {
            &[c, kh, kw] => Some((f, [c, kh, kw])),
            _ => None,
        },
        _ => None,
    }
}

/// Requires, through the compiler, that side `n` (`H`) with padding `pad`
/// fits kernel side `k`; the output side is `⌊(n + 2p − k)/s⌋ + 1`.
fn check_side(
    cx: &mut Check<'_>,
    call: &Call,
    what: &str,
    (n, k): (DimId, DimId),
    (s, p): (u32, u32),
) -> Result<DimId, String> {
    // A stride that does not step exactly to the edge leaves the last rows
    // and columns unread: `conv_side` floors the size, as PyTorch does.
    let (out, span) = cx.g.conv_side(n, k, u64::from(s), u64::from(p));
    let (nt, kt) = (cx.dim_text(n), cx.dim_text(k));
    let padded = cx.g.lin(n).plus(&Lin::number(2 * i64::from(p)), 1);
    let padded_text = if p == 0 { nt.clone() } else { format!("{nt} + 2·{p}") };
    let fits = format!(
        "`conv2d` in `{}`: the kernel's {what} {kt} is larger than the input's {what} {padded_text}, so the output would be empty; pad the input or use a smaller kernel",
        call.name
    );
    match span.value() {
        Some(v) if v < 0 => return Err(fits),
        Some(_) => {}
        None if span.terms.values().all(|&c| c > 0) && span.konst >= 0 => {}
        None => {
            let (a, b) = (cx.g.linear(&padded), k);
            let bound = SizeBound::AtLeast(cx.g.dims[a].tokens.clone(), cx.g.dims[b].tokens.clone());
            cx.require(call, what, fits, bound);
        }
    }
    Ok(out)
}

/// `conv2d(x, K, b, stride = s, pad = p)`: `[C×H×W]`, `[F×C×KH×KW]`, `[F]`
/// → `[F × (H+2p−KH)/s+1 × (W+2p−KW)/s+1]`.
struct Conv2d;

impl OpDef for Conv2d {
    fn code(&self) -> &'static str {
        "conv2d"
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 3, label_last: false })
    }

    fn named_args(&self) -> &'static [&'static str] {
        &["stride", "pad"]
    }

    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let (x, k, b) = (call.nodes[0], call.nodes[1], call.nodes[2]);
        // Rule: the input is one rank-3 value `[C×H×W]`.
        let Some(([c, h, w], ONE)) = rank3(cx.g, x) else {
            let msg = format!(
                "`conv2d` takes a rank-3 input [C×H×W], but `{}` is {}",
                call.src(0),
                cx.text(cx.g.shape(x))
            );
            return cx.error(&call.args[0], msg);
        };
        // Rule: the kernels are a rank-4 param `[F×C×KH×KW]` over the input's channels.
        let Some((f, [kc, kh, kw])) = kernels(cx.g, k) else {
            let msg = format!(
                "`conv2d` takes kernels [F×C×KH×KW] (a param `[F, C, KH, KW]`) as its second argument, but `{}` is {}",
                call.src(1),
                cx.text(cx.g.shape(k))
            );
            return cx.error(&call.args[1], msg);
        };
        if kc != c {
            let msg = format!(
                "the kernels `{}` {} take {} input channels, but `{}` {} has {}: the kernels' second dim must be the input's channels, `[{}, {}, {}, {}]`",
                call.src(1),
                cx.text(cx.g.shape(k)),
                cx.dim_text(kc),
                call.src(0),
                cx.text(cx.g.shape(x)),
                cx.dim_text(c),
                cx.dim_text(f),
                cx.dim_text(c),
                cx.dim_text(kh),
                cx.dim_text(kw)
            );
            return cx.error(&call.expr, msg);
        }
        // Rule: one bias per kernel, `[F]`.
        if !matches!(cx.g.shape(b), Shape::Mat(r, ONE) if r == f) {
            let msg = format!(
                "the bias `{}` of `conv2d` must be [{}], one per kernel of `{}`, but it is {}",
                call.src(2),
                cx.dim_text(f),
                call.src(1),
                cx.text(cx.g.shape(b))
            );
            return cx.error(&call.args[2], msg);
        }
        // Rule: `stride` (at least 1) and `pad` are integer literals.
        let mut sp = [1u32, 0];
        for (i, key) in ["stride", "pad"].into_iter().enumerate() {
            if let Some(e) = call.named(key) {
                match literal(e).filter(|&v| i == 1 || v >= 1) {
                    Some(v) => sp[i] = v,
                    None => {
                        let want = if i == 0 { "a whole number of at least 1" } else { "a whole number" };
                        return cx.error(e, format!("`{key}` of `conv2d` is {want}, written as a literal"));
                    }
                }
            }
        }
        let (s, p) = (sp[0], sp[1]);
        let sides = [("height", h, kh), ("width", w, kw)]
            .map(|(what, n, kn)| check_side(cx, call, what, (n, kn), (s, p)));
        let [oh, ow] = match sides {
            [Ok(oh), Ok(ow)] => [oh, ow],
            [Err(msg), _] | [_, Err(msg)] => return cx.error(&call.expr, msg),
        };
        let out = cx.g.shaped(&[f, oh, ow]);
        Some(cx.g.intern(Op::with("conv2d", &[x, k, b], Attr::Window(s, p, out)), Shape::Mat(out, ONE)))
    }

    fn guess(&self, _: &Graph, _: &[NodeId]) -> Option<Shape> {
        None
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let cols = cols(g, op.arg(0));
        Shape::Mat(out_dim(op).unwrap_or(ONE), cols)
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let op = g.op(n);
        let grads =
            ["conv2d_dx", "conv2d_dk", "conv2d_db"].map(|code| g.mk(Op::with(code, &[n, d], op.attr)));
        op.operands().iter().copied().zip(grads).collect()
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let (op, shape, b) = (cx.src().op(n), cx.src().shape(n), cx.batch());
        match (args, shape) {
            ([(x, Kind::Column), (k, Kind::Shared), (bias, Kind::Shared)], Shape::Mat(out, ONE)) => {
                let node = cx.g().intern(Op::with("conv2d", &[*x, *k, *bias], op.attr), Shape::Mat(out, b));
                Ok((node, Kind::Column))
            }
            _ => Err(format!(
                "{} is a convolution of a value that is not one per example, or with kernels that are",
                cx.name(n)
            )),
        }
    }

    fn scratch(&self, cx: &dyn EmitCx, n: NodeId) -> Option<TokenStream> {
        col_len(cx, n)
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let (geo, col) = (geometry(cx, n), cx.scratch(n));
        let (x, k, b, p) = (cx.val(op.arg(0)), cx.val(op.arg(1)), cx.val(op.arg(2)), place.tokens);
        checked(
            quote!(::shapegrad::ops::conv2d_forward(&#geo, (#x).as_slice(), (#k).as_slice(), (#b).as_slice(), #p.as_mut_slice(), #col.as_mut_slice())),
        )
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let op = cx.g().op(n);
        let Attr::Window(s, p, _) = op.attr else { return None };
        let [c, h, w] = cx.image(op.arg(0))?;
        let (x, k, b) = (cx.v(op.arg(0)), cx.v(op.arg(1)), cx.v(op.arg(2)));
        let (s, p) = (i64::from(s), i64::from(p));
        Some(quote!({
            // Conv takes the bias as a vector.
            let __b = __g.reshape(&#b, &[-1]);
            __g.on_images("Conv", &#x, [#c, #h, #w], &[&#k, &__b], ::std::vec![
                ::shapegrad::onnx::Attr::Ints("strides", ::std::vec![#s, #s]),
                ::shapegrad::onnx::Attr::Ints("pads", ::std::vec![#p, #p, #p, #p]),
            ])
        }))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let args: Vec<String> = op.operands().iter().map(|&a| cx.print(a).0).collect();
        let mut text = args.join(", ");
        if let Attr::Window(s, p, _) = op.attr {
            if s != 1 {
                text += &format!(", stride = {s}");
            }
            if p != 0 {
                text += &format!(", pad = {p}");
            }
        }
        let f = if cx.latex() { "\\operatorname{conv2d}" } else { "conv2d" };
        (format!("{f}({text})"), Prec::Atom)
    }
}

/// `C·KH·KW · OH·OW·B`: the length of the im2col buffer of conv2d node `y`.
fn col_len(cx: &dyn EmitCx, y: NodeId) -> Option<TokenStream> {
    let g = cx.g();
    let op = g.op(y);
    let (_, [_, kh, kw]) = kernels(g, op.arg(1))?;
    let ([c, ..], b) = rank3(g, op.arg(0))?;
    let ([_, oh, ow], _) = rank3(g, y)?;
    let sizes = [c, kh, kw, oh, ow, b].map(|d| size(cx, d));
    Some(quote!(1 #(* #sizes)*))
}

/// The `ConvGeometry` of conv2d node `y`, as an expression.
fn geometry(cx: &dyn EmitCx, y: NodeId) -> TokenStream {
    let g = cx.g();
    let op = g.op(y);
    let (Some(([c, h, w], b)), Some((f, [_, kh, kw])), Some(([_, oh, ow], _)), Attr::Window(s, p, _)) =
        (rank3(g, op.arg(0)), kernels(g, op.arg(1)), rank3(g, y), op.attr)
    else {
        return internal(&format!("conv2d node {y} without rank-3 shapes"));
    };
    let [c, h, w, f, kh, kw, oh, ow, b] = [c, h, w, f, kh, kw, oh, ow, b].map(|d| size(cx, d));
    let (s, p) = (usize_lit(s), usize_lit(p));
    quote!(::shapegrad::ops::ConvGeometry { c: #c, h: #h, w: #w, f: #f, kh: #kh, kw: #kw, oh: #oh, ow: #ow, batch: #b, stride: #s, pad: #p })
}

/// The adjoints of `y = conv2d(x, K, b)` given `∂y`, each `(y, ∂y)`:
/// `conv2d_dx` (`∂y ⋆ᵀ K`), `conv2d_dk` (`x ⋆ ∂y`), `conv2d_db` (`Σ_hw ∂y`).
struct ConvGrad(&'static str);

impl OpDef for ConvGrad {
    fn code(&self) -> &'static str {
        self.0
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let i = match self.0 {
            "conv2d_dx" => 0,
            "conv2d_dk" => 1,
            _ => 2,
        };
        g.shape(g.op(op.arg(0)).arg(i))
    }

    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        let op = cx.g().op(n);
        let (y, dy) = (op.arg(0), op.arg(1));
        match self.0 {
            // Kernels and ∂y; the input's adjoint needs neither x nor y.
            "conv2d_dx" => vec![cx.g().op(y).arg(1), dy],
            // y's im2col buffer, filled when y was computed.
            "conv2d_dk" => vec![y, dy],
            _ => vec![dy],
        }
    }

    fn scratch(&self, cx: &dyn EmitCx, n: NodeId) -> Option<TokenStream> {
        (self.0 == "conv2d_dx").then(|| col_len(cx, cx.g().op(n).arg(0))).flatten()
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let (y, dy) = (op.arg(0), cx.val(op.arg(1)));
        let (geo, p) = (geometry(cx, y), place.tokens);
        let call = match self.0 {
            "conv2d_dx" => {
                let (k, dcol) = (cx.val(cx.g().op(y).arg(1)), cx.scratch(n));
                quote!(::shapegrad::ops::conv2d_input_grad(&#geo, (#k).as_slice(), (#dy).as_slice(), #p.as_mut_slice(), #dcol.as_mut_slice()))
            }
            "conv2d_dk" => {
                let col = cx.scratch(y);
                quote!(::shapegrad::ops::conv2d_kernel_grad(&#geo, #col.as_slice(), (#dy).as_slice(), #p.as_mut_slice()))
            }
            _ => quote!(::shapegrad::ops::conv2d_bias_grad(&#geo, (#dy).as_slice(), #p.as_mut_slice())),
        };
        checked(call)
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let y = cx.g().op(op.arg(0));
        let dy = cx.print(op.arg(1)).0;
        let latex = cx.latex();
        // The stride and padding, where not the defaults: `⋆[s=2,p=1]`.
        let mut params = Vec::new();
        if let Attr::Window(s, p, _) = y.attr {
            if s != 1 {
                params.push(format!("s={s}"));
            }
            if p != 0 {
                params.push(format!("p={p}"));
            }
        }
        let star = match (params.is_empty(), latex) {
            (true, true) => "\\star".to_string(),
            (true, false) => "⋆".to_string(),
            (false, true) => format!("\\star_{{{}}}", params.join(",")),
            (false, false) => format!("⋆[{}]", params.join(",")),
        };
        let operand = |a: NodeId| match cx.print(a) {
            (s, Prec::Atom | Prec::Post) => s,
            (s, _) => format!("({s})"),
        };
        match self.0 {
            "conv2d_dx" => {
                let k = operand(y.arg(1));
                let t = if latex { format!("{star}^{{\\top}}") } else { format!("{star}ᵀ") };
                (format!("{} {t} {k}", operand(op.arg(1))), Prec::MatMul)
            }
            "conv2d_dk" => (format!("{} {star} {}", operand(y.arg(0)), operand(op.arg(1))), Prec::MatMul),
            _ if latex => (format!("\\textstyle\\sum_{{h,w}} {dy}"), Prec::Scale),
            _ => (format!("Σ_hw {dy}"), Prec::Scale),
        }
    }
}
