//! Stage 4: reverse-mode differentiation by source transformation.
//!
//! Walks the forward graph from the loss back to the params, building the
//! adjoint of every value that depends on a param as new graph nodes. Each
//! rule is a vector-Jacobian product, so no Jacobian is ever formed; a value
//! used twice receives the sum of both contributions (W in WᵀWx); values that
//! do not depend on a param (inputs, labels, constants) get no adjoint.

use std::collections::HashMap;

use super::model::{Graph, NodeId, ONE, Op, Shape};

/// The adjoint of every node that has one, and the order in which they were
/// completed (from the loss towards the params).
pub struct Adjoints {
    pub of: HashMap<NodeId, NodeId>,
    pub order: Vec<NodeId>,
}

/// Differentiates `loss` (a scalar or 1×1 node) with respect to `params`.
pub fn backward(g: &mut Graph, loss: NodeId, params: &[NodeId]) -> Adjoints {
    let forward_len = g.nodes.len();
    // A node needs an adjoint when a param is among its ancestors.
    let mut needs = vec![false; forward_len];
    for n in 0..forward_len {
        needs[n] = params.contains(&n) || g.op(n).operands().iter().any(|&a| needs[a]);
    }
    let mut contributions: HashMap<NodeId, Vec<(NodeId, NodeId)>> = HashMap::new();
    let one = g.constant(1.0);
    let seed = match g.shape(loss) {
        Shape::Mat(ONE, ONE) => g.mk(Op::Fill(one, ONE, ONE)),
        _ => one,
    };
    contributions.insert(loss, vec![(loss, seed)]);
    let mut adj = Adjoints { of: HashMap::new(), order: Vec::new() };
    for n in (0..forward_len).rev() {
        let Some(mut parts) = contributions.remove(&n) else { continue };
        if !needs[n] {
            continue;
        }
        // Sum in the order of the consumers in the forward pass, so the
        // derivation reads in the order the value was used.
        parts.sort_by_key(|&(consumer, _)| consumer);
        let mut d = parts[0].1;
        for &(_, p) in &parts[1..] {
            d = g.mk(Op::Add(d, p));
        }
        adj.of.insert(n, d);
        adj.order.push(n);
        for (operand, part) in vjp(g, n, d) {
            if needs[operand] {
                contributions.entry(operand).or_default().push((n, part));
            }
        }
    }
    adj
}

/// The contributions of node `n`, whose adjoint is `d`, to its operands.
fn vjp(g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
    use Op::*;
    let is_scalar = |g: &Graph, x: NodeId| g.shape(x) == Shape::Scalar;
    match g.op(n) {
        // Y = A B: dA = dY Bᵀ, dB = Aᵀ dY.
        MatMul(a, b) => {
            let bt = g.mk(Transpose(b));
            let at = g.mk(Transpose(a));
            vec![(a, g.mk(MatMul(d, bt))), (b, g.mk(MatMul(at, d)))]
        }
        // Y = Aᵀ: dA = dYᵀ.
        Transpose(a) => vec![(a, g.mk(Transpose(d)))],
        // Y = A ± B: dA = dY, dB = ±dY, summed over the broadcast when a side is a scalar.
        Add(a, b) | Sub(a, b) => {
            let sign_b = matches!(g.op(n), Sub(..));
            let mut out = Vec::new();
            for (x, negate) in [(a, false), (b, sign_b)] {
                let mut part = if is_scalar(g, x) && !is_scalar(g, n) { g.mk(Sum(d)) } else { d };
                if negate {
                    part = g.mk(Neg(part));
                }
                out.push((x, part));
            }
            out
        }
        // Y = A ⊙ B: dA = dY ⊙ B, dB = dY ⊙ A; a scalar side gets Σ dY ⊙ (other side).
        Mul(a, b) => {
            let mut out = Vec::new();
            for (x, other) in [(a, b), (b, a)] {
                let part = if is_scalar(g, x) && !is_scalar(g, n) {
                    let p = g.mk(Mul(d, other));
                    g.mk(Sum(p))
                } else {
                    g.mk(Mul(d, other))
                };
                out.push((x, part));
            }
            out
        }
        // Y = A + b𝟙ᵀ: dA = dY, db = dY 𝟙 (the sum of each row).
        AddBias(a, b) => vec![(a, d), (b, g.mk(RowSums(d)))],
        Neg(a) => vec![(a, g.mk(Neg(d)))],
        // Y = f(A): dA = dY ⊙ f′(A).
        Map(f, a) => {
            let df = g.mk(Deriv(f, a));
            vec![(a, g.mk(Mul(d, df)))]
        }
        // y = Σ A: dA = dy 𝟙𝟙ᵀ.
        Sum(a) => vec![(a, fill(g, d, a))],
        // y = mean A: dA = dy/n 𝟙𝟙ᵀ.
        Mean(a) => {
            let Shape::Mat(r, c) = g.shape(a) else { return vec![(a, d)] };
            let count = g.mk(Count(r, c));
            let s = g.mk(Div(d, count));
            vec![(a, fill(g, s, a))]
        }
        Softmax(a) => vec![(a, g.mk(SoftmaxVjp(n, d)))],
        LogSoftmax(a) => vec![(a, g.mk(LogSoftmaxVjp(a, d)))],
        // ℓ = softmax_cross_entropy(z, y): dz = dℓ (softmax(z) − onehot(y)).
        SoftmaxCe(z, y) => {
            let grad = g.mk(SoftmaxCeGrad(z, y));
            vec![(z, g.mk(Mul(d, grad)))]
        }
        Svm(z, y) => {
            let grad = g.mk(SvmGrad(z, y));
            vec![(z, g.mk(Mul(d, grad)))]
        }
        // ℓ = per-column losses [1×B]: dZ = (per-column gradients) diag(dℓ).
        SoftmaxCeCols(z, y) => {
            let grad = g.mk(SoftmaxCeGrad(z, y));
            vec![(z, g.mk(ColScale(grad, d)))]
        }
        SvmCols(z, y) => {
            let grad = g.mk(SvmGrad(z, y));
            vec![(z, g.mk(ColScale(grad, d)))]
        }
        // Y = diag(s) A: dA = diag(s) dY, ds = rowsums(dY ⊙ A).
        RowScale(a, s) => {
            let prod = g.mk(Mul(d, a));
            vec![(a, g.mk(RowScale(d, s))), (s, g.mk(RowSums(prod)))]
        }
        // Y = A diag(r): dA = dY diag(r), dr = 𝟙ᵀ(dY ⊙ A).
        ColScale(a, r) => {
            let da = g.mk(ColScale(d, r));
            let prod = g.mk(Mul(d, a));
            let Shape::Mat(rows, _) = g.shape(a) else { return vec![(a, da)] };
            let one = g.constant(1.0);
            let ones = g.mk(Fill(one, ONE, rows));
            vec![(a, da), (r, g.mk(MatMul(ones, prod)))]
        }
        Param(_) | Input(_) | Label(_) | Const(_) | OneHot(_) | Count(..) | Div(..) | RowSums(_)
        | Fill(..) | Deriv(..) | SoftmaxCeGrad(..) | SvmGrad(..) | SoftmaxVjp(..) | LogSoftmaxVjp(..) => {
            vec![]
        }
    }
}

/// The scalar `s` broadcast to the shape of `like`.
fn fill(g: &mut Graph, s: NodeId, like: NodeId) -> NodeId {
    match g.shape(like) {
        Shape::Mat(r, c) => g.mk(Op::Fill(s, r, c)),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenStream;
    use quote::quote;

    fn derive(tokens: TokenStream) -> (crate::net::check::Model, Adjoints) {
        let (m, adj, _) = crate::net::derived(tokens);
        (m, adj)
    }

    #[test]
    fn fan_out_is_summed_and_inputs_get_no_adjoint() {
        let (m, adj) = derive(quote! {
            net Autoencoder<M, N> {
                param W: [M, N]; input x: [N];
                let z = W @ x;
                let v = W.T @ z - x;
                loss 0.5 * sum(v * v);
            }
        });
        let g = &m.graph;
        let w = m.params[0].node.unwrap();
        let x = m.args[0].1.node.unwrap();
        assert!(!adj.of.contains_key(&x));
        // ∂v = v: ½ (v ⊙ 1 + 1 ⊙ v) simplified.
        let v = *m.names.iter().find(|(_, n)| *n == "v").unwrap().0;
        assert_eq!(adj.of[&v], v);
        // ∂W is a sum of two products: one per use of W.
        let Op::Add(p, q) = g.op(adj.of[&w]) else { panic!("∂W is not a sum") };
        assert!(matches!(g.op(p), Op::MatMul(..)) && matches!(g.op(q), Op::MatMul(..)));
    }

    #[test]
    fn cross_entropy_is_fused() {
        let (m, adj) = derive(quote! {
            net N { param W: [C, D]; input x: [D]; label y: C; loss softmax_cross_entropy(W @ x, y); }
        });
        let g = &m.graph;
        let z = g.find(Op::MatMul(m.params[0].node.unwrap(), m.args[0].1.node.unwrap())).unwrap();
        assert!(matches!(g.op(adj.of[&z]), Op::SoftmaxCeGrad(..)));
    }
}
