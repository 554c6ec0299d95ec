//! Pooling on rank-3 values `[C×H×W]`: `maxpool2d(x, k)` and
//! `avgpool2d(x, k)` over k×k windows with stride k, and their adjoint (the
//! rank-3 helpers are `conv`'s).

use proc_macro2::TokenStream;
use quote::quote;

use super::{
    Call, Check, EmitCx, Kind, LiftCx, Lifted, OnnxCx, OpDef, Place, Prec, PrintCx, Signature, checked, cols,
    internal, literal, out_dim, rank3, size, usize_lit,
};
use crate::net::model::SizeBound;
use crate::net::model::{Attr, Graph, NodeId, ONE, Op, Shape};

pub(super) static OPS: &[&dyn OpDef] = &[&Pool("maxpool2d"), &Pool("avgpool2d"), &PoolGrad];

/// `maxpool2d(x, k)`, `avgpool2d(x, k)`: `[C×H×W]` → `[C×H/k×W/k]`, k×k
/// windows with stride k; k must divide H and W.
struct Pool(&'static str);

impl OpDef for Pool {
    fn code(&self) -> &'static str {
        self.0
    }

    fn signature(&self) -> Option<Signature> {
        Some(Signature { arity: 2, label_last: false })
    }

    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        let (name, x) = (self.0, call.nodes[0]);
        let Some(([c, h, w], ONE)) = rank3(cx.g, x) else {
            let msg = format!(
                "`{name}` takes a rank-3 input [C×H×W], but `{}` is {}",
                call.src(0),
                cx.text(cx.g.shape(x))
            );
            return cx.error(&call.args[0], msg);
        };
        // Rule: the window is an integer literal of at least 1.
        let Some(k) = literal(&call.args[1]).filter(|&k| k >= 1) else {
            let msg = format!(
                "the window of `{name}` is a whole number of at least 1, written as a literal (`{name}({}, 2)`)",
                call.src(0)
            );
            return cx.error(&call.args[1], msg);
        };
        // Rule: the window divides the height and the width.
        let shape = cx.text(cx.g.shape(x));
        let mut sides = Vec::new();
        for (what, d) in [("height", h), ("width", w)] {
            let dt = cx.dim_text(d);
            let msg = format!(
                "`{name}({}, {k})` in `{}`: the window {k} must divide the {what} {dt} of `{}` {shape}; pool with a window that divides {dt}, or pad before",
                call.src(0),
                call.name,
                call.src(0)
            );
            match cx.g.value(d) {
                Some(v) if v % i64::from(k) != 0 => return cx.error(&call.expr, msg),
                Some(_) => {}
                None if cx.g.lin(d).terms.values().all(|c| c % i64::from(k) == 0)
                    && cx.g.lin(d).konst % i64::from(k) == 0 => {}
                None => {
                    let bound = SizeBound::Divides(cx.g.dims[d].tokens.clone(), u64::from(k));
                    cx.require(call, what, msg, bound);
                }
            }
            sides.push(cx.g.quot(d, u64::from(k)));
        }
        let out = cx.g.shaped(&[c, sides[0], sides[1]]);
        let max = u32::from(name == "maxpool2d");
        let kn = cx.g.constant(f64::from(k));
        Some(cx.g.intern(Op::with(name, &[x, kn], Attr::Window(k, max, out)), Shape::Mat(out, ONE)))
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        let cols = cols(g, op.arg(0));
        Shape::Mat(out_dim(op).unwrap_or(ONE), cols)
    }

    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let op = g.op(n);
        vec![(op.arg(0), g.mk(Op::with("pool_dx", &[n, d], op.attr)))]
    }

    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let (op, shape, b) = (cx.src().op(n), cx.src().shape(n), cx.batch());
        match (args, shape) {
            ([(x, Kind::Column), (k, _)], Shape::Mat(out, ONE)) => {
                let node = cx.g().intern(Op::with(self.0, &[*x, *k], op.attr), Shape::Mat(out, b));
                Ok((node, Kind::Column))
            }
            _ => Err(format!("{} pools a value that is not one per example", cx.name(n))),
        }
    }

    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        vec![cx.g().op(n).arg(0)]
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let (geo, max) = (pool_geometry(cx, n), self.0 == "maxpool2d");
        let (x, p) = (cx.val(op.arg(0)), place.tokens);
        checked(quote!(::shapegrad::ops::pool_forward(&#geo, #max, (#x).as_slice(), #p.as_mut_slice())))
    }

    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let op = cx.g().op(n);
        let Attr::Window(k, ..) = op.attr else { return None };
        let [c, h, w] = cx.image(op.arg(0))?;
        let (x, k) = (cx.v(op.arg(0)), i64::from(k));
        let name = if self.0 == "maxpool2d" { "MaxPool" } else { "AveragePool" };
        Some(quote!(__g.on_images(#name, &#x, [#c, #h, #w], &[], ::std::vec![
            ::shapegrad::onnx::Attr::Ints("kernel_shape", ::std::vec![#k, #k]),
            ::shapegrad::onnx::Attr::Ints("strides", ::std::vec![#k, #k]),
        ])))
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let k = match op.attr {
            Attr::Window(k, ..) => k,
            _ => 0,
        };
        let x = cx.print(op.arg(0)).0;
        let f = if cx.latex() { format!("\\operatorname{{{}}}", self.0) } else { self.0.to_string() };
        (format!("{f}({x}, {k})"), Prec::Atom)
    }
}

/// The `PoolGeometry` of pool node `y` (or of the pool a `pool_dx` undoes).
fn pool_geometry(cx: &dyn EmitCx, y: NodeId) -> TokenStream {
    let g = cx.g();
    let op = g.op(y);
    let (Some(([c, h, w], b)), Attr::Window(k, ..)) = (rank3(g, op.arg(0)), op.attr) else {
        return internal(&format!("pool node {y} without a rank-3 input"));
    };
    let [c, h, w, b] = [c, h, w, b].map(|d| size(cx, d));
    let k = usize_lit(k);
    quote!(::shapegrad::ops::PoolGeometry { c: #c, h: #h, w: #w, k: #k, batch: #b })
}

/// The adjoint of a pool `p = pool(x, k)` given `∂p`, as `(p, ∂p)`: for a
/// max, `∂p` routed to the first maximum of each window; for a mean, spread
/// over it.
struct PoolGrad;

impl OpDef for PoolGrad {
    fn code(&self) -> &'static str {
        "pool_dx"
    }

    fn infer(&self, g: &Graph, op: &Op) -> Shape {
        g.shape(g.op(op.arg(0)).arg(0))
    }

    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        let op = cx.g().op(n);
        vec![cx.g().op(op.arg(0)).arg(0), op.arg(0), op.arg(1)]
    }

    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let op = cx.g().op(n);
        let pool = op.arg(0);
        let max = matches!(op.attr, Attr::Window(_, 1, _));
        let geo = pool_geometry(cx, pool);
        let (x, y, dy, p) = (cx.val(cx.g().op(pool).arg(0)), cx.val(pool), cx.val(op.arg(1)), place.tokens);
        checked(
            quote!(::shapegrad::ops::pool_backward(&#geo, #max, (#x).as_slice(), (#y).as_slice(), (#dy).as_slice(), #p.as_mut_slice())),
        )
    }

    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec) {
        let op = cx.g().op(n);
        let pool = op.arg(0);
        let (k, max) = match op.attr {
            Attr::Window(k, m, _) => (k, m == 1),
            _ => (0, false),
        };
        let latex = cx.latex();
        let up = |v: String| {
            if latex {
                format!("\\operatorname{{up}}_{{{k}}}({v})")
            } else {
                format!("up{}({v})", subscript(k))
            }
        };
        let dy = up(cx.print(op.arg(1)).0);
        if max {
            let (x, y) = (cx.print(cx.g().op(pool).arg(0)).0, up(cx.print(pool).0));
            let odot = if latex { "\\odot" } else { "⊙" };
            (format!("[{x} = {y}] {odot} {dy}"), Prec::Hadamard)
        } else if latex {
            (format!("\\tfrac{{1}}{{{}}} {dy}", k * k), Prec::Scale)
        } else {
            (format!("{dy}/{}", k * k), Prec::Ratio)
        }
    }
}

/// `n` as subscript digits: `₂`.
fn subscript(n: u32) -> String {
    n.to_string().chars().map(|c| char::from_u32(0x2080 + c.to_digit(10).unwrap_or(0)).unwrap_or(c)).collect()
}
