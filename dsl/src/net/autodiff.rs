//! Stage 4: reverse-mode differentiation by source transformation.
//!
//! Walks the forward graph from the loss back to the params, building the
//! adjoint of every value that depends on a param as new graph nodes. Each
//! op's rule (`OpDef::vjp`, in the registry) is a vector-Jacobian product,
//! so no Jacobian is ever formed; a value
//! used twice receives the sum of both contributions (W in WᵀWx); values that
//! do not depend on a param (inputs, labels, constants) get no adjoint.

use std::collections::HashMap;

use super::model::{Attr, Graph, NodeId, ONE, Op, Shape};
use super::ops::def;

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
        Shape::Mat(ONE, ONE) => g.mk(Op::with("fill", &[one], Attr::Dims(ONE, ONE))),
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
            d = g.mk(Op::new("add", &[d, p]));
        }
        adj.of.insert(n, d);
        adj.order.push(n);
        let op = g.op(n);
        for (operand, part) in def(op.code).vjp(g, n, d) {
            if needs[operand] {
                contributions.entry(operand).or_default().push((n, part));
            }
        }
    }
    adj
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
        let sum = g.op(adj.of[&w]);
        assert!(sum.is("add"), "∂W is not a sum");
        assert!(g.op(sum.arg(0)).is("matmul") && g.op(sum.arg(1)).is("matmul"));
    }

    #[test]
    fn cross_entropy_is_fused() {
        let (m, adj) = derive(quote! {
            net N { param W: [C, D]; input x: [D]; label y: C; loss softmax_cross_entropy(W @ x, y); }
        });
        let g = &m.graph;
        let z = g.find(Op::new("matmul", &[m.params[0].node.unwrap(), m.args[0].1.node.unwrap()])).unwrap();
        assert!(g.op(adj.of[&z]).is("softmax_cross_entropy′"));
    }
}
