//! The statements that compute a set of nodes into a workspace.
//!
//! Every computed matrix has a buffer in the generated workspace and is
//! written there in place (`set_matmul`, `set_hadamard`, …), so a method that
//! is given a workspace allocates nothing; scalars are locals. Node ids are a
//! topological order, so statements are emitted in id order. A param's
//! gradient that nothing else reads is written straight into the gradient
//! struct; otherwise it is copied there at the end.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Codegen;
use crate::net::model::{Func, NodeId, Op, Shape};

impl Codegen<'_> {
    /// What node `n` needs evaluated before it, as generated: a transpose
    /// feeding a product is folded into the product, and `d ⊙ f′(x)` with
    /// `f(x)` at hand is one fused call.
    pub(super) fn deps(&self, n: NodeId) -> Vec<NodeId> {
        let g = &self.m.graph;
        let unfold = |x: NodeId| match g.op(x) {
            Op::Transpose(inner) => inner,
            _ => x,
        };
        if let Some((p, q)) = self.fused_sum(n) {
            return [p, q].into_iter().flat_map(|x| g.op(x).operands()).map(unfold).collect();
        }
        if let Some((a, b)) = self.fused_inner(n) {
            return vec![a, b];
        }
        match g.op(n) {
            Op::MatMul(a, b) => vec![unfold(a), unfold(b)],
            Op::Mul(a, b) => match self.fused_vjp(a, b) {
                Some((_, x, y, d)) => vec![x, y, d],
                None => vec![a, b],
            },
            op => op.operands(),
        }
    }

    /// Whether `x` is read by one node only and returned by no method, so it
    /// can be computed inside its reader rather than into a buffer of its own.
    fn private(&self, x: NodeId) -> bool {
        self.uses[x] == 1 && !self.pinned[x]
    }

    /// `P + Q` where both are products read nowhere else: `(P, Q)`, computed
    /// as one product into the buffer and the other accumulated onto it.
    fn fused_sum(&self, n: NodeId) -> Option<(NodeId, NodeId)> {
        let g = &self.m.graph;
        match g.op(n) {
            Op::Add(p, q)
                if p != q
                    && matches!((g.op(p), g.op(q)), (Op::MatMul(..), Op::MatMul(..)))
                    && self.private(p)
                    && self.private(q) =>
            {
                Some((p, q))
            }
            _ => None,
        }
    }

    /// `sum(a ⊙ b)` where the product is read nowhere else: `(a, b)`, one inner product.
    fn fused_inner(&self, n: NodeId) -> Option<(NodeId, NodeId)> {
        let g = &self.m.graph;
        let Op::Sum(x) = g.op(n) else { return None };
        let Op::Mul(a, b) = g.op(x) else { return None };
        let mats = matches!(g.shape(a), Shape::Mat(..)) && g.shape(a) == g.shape(b);
        (mats && self.private(x) && self.fused_vjp(a, b).is_none()).then_some((a, b))
    }

    /// `place ← op(a)·op(b)` (or `+=` when `accumulate`), transposes folded.
    fn product(
        &self,
        n: NodeId,
        place: &TokenStream,
        homes: &HashMap<NodeId, TokenStream>,
        accumulate: bool,
    ) -> TokenStream {
        let g = &self.m.graph;
        let v = |x: NodeId| self.val(x, homes);
        let Op::MatMul(a, b) = g.op(n) else { return quote!() };
        let (f, x, y) = match (g.op(a), g.op(b)) {
            (Op::Transpose(x), Op::Transpose(y)) => ("t_matmul_t", x, y),
            (Op::Transpose(x), _) => ("t_matmul", x, b),
            (_, Op::Transpose(y)) => ("matmul_t", a, y),
            _ => ("matmul", a, b),
        };
        let f = format_ident!("{}_{f}", if accumulate { "add" } else { "set" });
        let (x, y) = (v(x), v(y));
        quote!(#place.#f(#x, #y);)
    }

    /// `d ⊙ f′(x)` where `f(x)` exists, for matrices: `(f, x, f(x), d)`.
    /// (A scalar `d · f′(x)` is a plain product of two scalar locals.)
    fn fused_vjp(&self, a: NodeId, b: NodeId) -> Option<(Func, NodeId, NodeId, NodeId)> {
        let g = &self.m.graph;
        if g.shape(a) == Shape::Scalar || g.shape(b) == Shape::Scalar {
            return None;
        }
        for (d, deriv) in [(a, b), (b, a)] {
            if let Op::Deriv(f, x) = g.op(deriv) {
                if let Some(y) = g.find(Op::Map(f, x)) {
                    if g.shape(d) == g.shape(deriv) {
                        return Some((f, x, y, d));
                    }
                }
            }
        }
        None
    }

    /// Whether node `n` is a matrix computed into a buffer.
    pub(super) fn is_buffer(&self, n: NodeId) -> bool {
        let g = &self.m.graph;
        !matches!(g.op(n), Op::Param(_) | Op::Input(_) | Op::Label(_)) && matches!(g.shape(n), Shape::Mat(..))
    }

    /// The nodes `targets` need, by `deps`.
    pub(super) fn needed(&self, targets: &[NodeId]) -> Vec<bool> {
        self.m.graph.closure(targets, |n| self.deps(n))
    }

    /// The statements computing `targets` and writing `outs` (node, place),
    /// with elements of type `scalar`, into the workspace `__ws`.
    pub(super) fn program(
        &self,
        targets: &[NodeId],
        outs: &[(NodeId, TokenStream)],
        scalar: &TokenStream,
    ) -> TokenStream {
        let g = &self.m.graph;
        let mut all: Vec<NodeId> = targets.to_vec();
        all.extend(outs.iter().map(|(n, _)| *n));
        let needed = self.needed(&all);
        let mut readers = vec![0usize; g.nodes.len()];
        for n in (0..g.nodes.len()).filter(|&n| needed[n]) {
            for d in self.deps(n) {
                readers[d] += 1;
            }
        }
        let mut homes: HashMap<NodeId, TokenStream> = HashMap::new();
        for (n, place) in outs {
            let once = outs.iter().filter(|(m, _)| m == n).count() == 1;
            if self.is_buffer(*n) && readers[*n] == 0 && once && !targets.contains(n) {
                homes.insert(*n, place.clone());
            }
        }
        let mut body = TokenStream::new();
        for n in (0..g.nodes.len()).filter(|&n| needed[n]) {
            if self.is_buffer(n) {
                let place = homes.get(&n).cloned().unwrap_or_else(|| Self::slot(n));
                body.extend(self.statement(n, &place, &homes));
            } else if g.shape(n) == Shape::Scalar
                && !matches!(g.op(n), Op::Param(_) | Op::Input(_) | Op::Label(_))
            {
                let s = Self::scalar_var(n);
                let e = self.scalar_expr(n, &homes, scalar);
                body.extend(quote!(let #s: #scalar = #e;));
            }
        }
        for (n, place) in outs {
            if homes.get(n).map(|h| h.to_string()) != Some(place.to_string()) {
                let v = self.val(*n, &homes);
                body.extend(quote!(#place.copy_from(#v);));
            }
        }
        body
    }

    /// The workspace buffer of node `n`.
    pub(super) fn slot(n: NodeId) -> TokenStream {
        let f = format_ident!("n{}", n);
        quote!(__ws.#f)
    }

    fn scalar_var(n: NodeId) -> proc_macro2::Ident {
        format_ident!("__s{}", n)
    }

    /// Node `n`'s value as an argument: a reference to a matrix, a scalar, a label.
    pub(super) fn val(&self, n: NodeId, homes: &HashMap<NodeId, TokenStream>) -> TokenStream {
        let g = &self.m.graph;
        match g.op(n) {
            Op::Param(i) => {
                let name = &self.m.params[i].name;
                quote!(&self.#name)
            }
            Op::Input(i) | Op::Label(i) => {
                let name = &self.m.args[i].1.name;
                quote!(#name)
            }
            _ if g.shape(n) == Shape::Scalar => {
                let s = Self::scalar_var(n);
                quote!(#s)
            }
            _ => {
                let place = homes.get(&n).cloned().unwrap_or_else(|| Self::slot(n));
                quote!(&#place)
            }
        }
    }

    /// The statement writing matrix node `n` into `place`.
    fn statement(&self, n: NodeId, place: &TokenStream, homes: &HashMap<NodeId, TokenStream>) -> TokenStream {
        let g = &self.m.graph;
        let v = |x: NodeId| self.val(x, homes);
        let is_scalar = |x: NodeId| g.shape(x) == Shape::Scalar;
        let batched = |y: NodeId| matches!(g.shape(y), Shape::Labels(..));
        let ops = quote!(::shapegrad::ops);
        let unary = |f: Func| {
            let f = format_ident!("{}", f.type_name());
            quote!(<#ops::#f as #ops::Unary>)
        };
        if let Some((p, q)) = self.fused_sum(n) {
            let (first, then) = (self.product(p, place, homes, false), self.product(q, place, homes, true));
            return quote!(#first #then);
        }
        match g.op(n) {
            Op::MatMul(..) => self.product(n, place, homes, false),
            Op::Transpose(a) => {
                let a = v(a);
                quote!(#place.set_transpose(#a);)
            }
            Op::Add(a, b) => match (is_scalar(a), is_scalar(b)) {
                (true, _) => {
                    let (a, b) = (v(a), v(b));
                    quote!(#place.set_add_scalar(#b, #a);)
                }
                (_, true) => {
                    let (a, b) = (v(a), v(b));
                    quote!(#place.set_add_scalar(#a, #b);)
                }
                _ => {
                    let (a, b) = (v(a), v(b));
                    quote!(#place.set_add(#a, #b);)
                }
            },
            Op::Sub(a, b) => match (is_scalar(a), is_scalar(b)) {
                (true, _) => {
                    let (a, b) = (v(a), v(b));
                    quote!(#place.set_scalar_sub(#a, #b);)
                }
                (_, true) => {
                    let (a, b) = (v(a), v(b));
                    quote!(#place.set_add_scalar(#a, -#b);)
                }
                _ => {
                    let (a, b) = (v(a), v(b));
                    quote!(#place.set_sub(#a, #b);)
                }
            },
            Op::Mul(a, b) => {
                if let Some((f, x, y, d)) = self.fused_vjp(a, b) {
                    let (u, x, y, d) = (unary(f), v(x), v(y), v(d));
                    return quote!(#u::vjp_into(#x, #y, #d, &mut #place););
                }
                match (is_scalar(a), is_scalar(b)) {
                    (true, _) => {
                        let (a, b) = (v(a), v(b));
                        quote!(#place.set_scale(#b, #a);)
                    }
                    (_, true) => {
                        let (a, b) = (v(a), v(b));
                        quote!(#place.set_scale(#a, #b);)
                    }
                    _ => {
                        let (a, b) = (v(a), v(b));
                        quote!(#place.set_hadamard(#a, #b);)
                    }
                }
            }
            Op::AddBias(a, b) => {
                let (a, b) = (v(a), v(b));
                quote!(#place.set_add_bias(#a, #b);)
            }
            Op::Neg(a) => {
                let a = v(a);
                quote!(#place.set_neg(#a);)
            }
            Op::Map(f, a) => {
                let (u, a) = (unary(f), v(a));
                quote!(#u::map_into(#a, &mut #place);)
            }
            Op::Deriv(f, a) => {
                let (u, a) = (unary(f), v(a));
                quote!(#u::derivative_into(#a, &mut #place);)
            }
            Op::Softmax(a) => {
                let a = v(a);
                quote!(#place.set_softmax(#a);)
            }
            Op::LogSoftmax(a) => {
                let a = v(a);
                quote!(#place.set_log_softmax(#a);)
            }
            Op::OneHot(y) => {
                let f = if batched(y) { quote!(set_onehot_cols) } else { quote!(set_onehot) };
                let y = v(y);
                quote!(#place.#f(#y);)
            }
            Op::SoftmaxCeGrad(z, y) | Op::SvmGrad(z, y) => {
                let f = match (g.op(n), batched(y)) {
                    (Op::SvmGrad(..), true) => quote!(set_svm_cols_dz),
                    (Op::SvmGrad(..), false) => quote!(set_svm_dz),
                    (_, true) => quote!(set_softmax_cross_entropy_cols_dz),
                    (_, false) => quote!(set_softmax_cross_entropy_dz),
                };
                let (z, y) = (v(z), v(y));
                quote!(#place.#f(#z, #y);)
            }
            Op::SoftmaxCeCols(z, y) => {
                let (z, y) = (v(z), v(y));
                quote!(#place.set_softmax_cross_entropy_cols(#z, #y);)
            }
            Op::SvmCols(z, y) => {
                let (z, y) = (v(z), v(y));
                quote!(#place.set_svm_cols(#z, #y);)
            }
            Op::SoftmaxVjp(y, d) => {
                let (y, d) = (v(y), v(d));
                quote!(#place.set_softmax_vjp(#y, #d);)
            }
            Op::LogSoftmaxVjp(z, d) => {
                let (z, d) = (v(z), v(d));
                quote!(#place.set_log_softmax_vjp(#z, #d);)
            }
            Op::RowSums(a) => {
                let a = v(a);
                quote!(#place.set_row_sums(#a);)
            }
            Op::Fill(s, ..) => {
                let s = v(s);
                quote!(#place.set_fill(#s);)
            }
            Op::ColScale(a, r) => {
                let (a, r) = (v(a), v(r));
                quote!(#place.set_scale_cols(#a, #r);)
            }
            Op::RowScale(a, s) => {
                let (a, s) = (v(a), v(s));
                quote!(#place.set_scale_rows(#a, #s);)
            }
            // Scalar-valued ops never have a buffer.
            _ => quote!(),
        }
    }

    /// The expression computing scalar node `n`.
    fn scalar_expr(
        &self,
        n: NodeId,
        homes: &HashMap<NodeId, TokenStream>,
        scalar: &TokenStream,
    ) -> TokenStream {
        let g = &self.m.graph;
        let v = |x: NodeId| self.val(x, homes);
        let ops = quote!(::shapegrad::ops);
        let s = quote!(<#scalar as ::shapegrad::Scalar>);
        match g.op(n) {
            Op::Const(bits) => {
                let c = f64::from_bits(bits);
                quote!(#s::from_f64(#c))
            }
            Op::Add(a, b) => {
                let (a, b) = (v(a), v(b));
                quote!(#a + #b)
            }
            Op::Sub(a, b) => {
                let (a, b) = (v(a), v(b));
                quote!(#a - #b)
            }
            Op::Mul(a, b) => {
                let (a, b) = (v(a), v(b));
                quote!(#a * #b)
            }
            Op::Div(a, b) => {
                let (a, b) = (v(a), v(b));
                quote!(#a / #b)
            }
            Op::Neg(a) => {
                let a = v(a);
                quote!(-#a)
            }
            Op::Map(f, a) => {
                let f = format_ident!("{}", f.type_name());
                let a = v(a);
                quote!(<#ops::#f as #ops::Unary>::f(#a))
            }
            // f′(x) of a scalar: f(x) is evaluated again (one call) rather
            // than making the forward value a dependency of the backward pass.
            Op::Deriv(f, a) => {
                let f = format_ident!("{}", f.type_name());
                let x = v(a);
                quote!(<#ops::#f as #ops::Unary>::df(#x, <#ops::#f as #ops::Unary>::f(#x)))
            }
            Op::Sum(_) if self.fused_inner(n).is_some() => {
                let (a, b) = self.fused_inner(n).unwrap_or((n, n));
                let (a, b) = (v(a), v(b));
                quote!((#a).inner(#b))
            }
            Op::Sum(a) => {
                let a = v(a);
                quote!((#a).sum())
            }
            Op::Mean(a) => {
                let a = v(a);
                quote!((#a).mean())
            }
            Op::SoftmaxCe(z, y) => {
                let (z, y) = (v(z), v(y));
                quote!(#ops::softmax_cross_entropy(#z, #y))
            }
            Op::Svm(z, y) => {
                let (z, y) = (v(z), v(y));
                quote!(#ops::svm(#z, #y))
            }
            Op::Count(r, c) => {
                let (r, c) = (self.dim(r), self.dim(c));
                quote!(#s::from_usize(<#r as ::shapegrad::Dim>::SIZE * <#c as ::shapegrad::Dim>::SIZE))
            }
            // No other op has a scalar value; should one reach here, the
            // build fails loudly rather than computing a wrong value.
            op => {
                let msg = format!("internal error in `net!` (a bug in shapegrad): no scalar code for {op:?}");
                quote!(::core::compile_error!(#msg))
            }
        }
    }
}
