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
    /// The parts each adjoint sums, `(consumer, part)` in the order of the
    /// consumers: the derivation names a layer call's parts by the call.
    pub parts: HashMap<NodeId, Vec<(NodeId, NodeId)>>,
}

/// Differentiates `loss` (a scalar or 1×1 node) with respect to `params`.
///
/// A run-time loop (`Graph::loops`) is differentiated as a whole when the
/// walk reaches its last step value: its step values in reverse, which
/// become the body of the backward loop; then the adjoints of the values
/// outside it, summed over the steps (`sum_steps`, `stack`, `init_adjoint`),
/// built after every node that body reads, so that it runs as one loop.
pub fn backward(g: &mut Graph, loss: NodeId, params: &[NodeId]) -> Adjoints {
    let forward_len = g.nodes.len();
    let loop_of = g.loop_of();
    let needs = needs_adjoint(g, params);
    let mut contributions: HashMap<NodeId, Vec<(NodeId, NodeId)>> = HashMap::new();
    let one = g.constant(1.0);
    let seed = match g.shape(loss) {
        Shape::Mat(ONE, ONE) => g.mk(Op::with("fill", &[one], Attr::Dims(ONE, ONE))),
        _ => one,
    };
    contributions.insert(loss, vec![(loss, seed)]);
    let mut adj = Adjoints { of: HashMap::new(), order: Vec::new(), parts: HashMap::new() };
    let mut done = vec![false; g.loops.len()];
    for n in (0..forward_len).rev() {
        match loop_of[n] {
            Some(k) if !done[k] => {
                done[k] = true;
                let steps: Vec<NodeId> = (0..=n).rev().filter(|&m| loop_of[m] == Some(k)).collect();
                let mut deferred = Vec::new();
                for m in steps {
                    adjoint(g, m, &needs, &loop_of, &mut contributions, &mut adj, &mut deferred);
                }
                // The adjoints of values outside the loop, over all steps.
                for (operand, consumer, part) in deferred {
                    let code = if g.op(consumer).is("step") { "stack" } else { "sum_steps" };
                    // Of the operand's shape: a sequence's `[T, R]` (`T` blocks of
                    // `[R×B]` in a batched graph), a param's own.
                    let sum = g.intern(Op::with(code, &[part], Attr::Loop(k)), g.shape(operand));
                    contributions.entry(operand).or_default().push((consumer, sum));
                }
                for s in 0..g.loops[k].states.len() {
                    let state = &g.loops[k].states[s];
                    let init = state.init;
                    let read = g.loops[k].prev_adjoints.iter().any(|&(st, ..)| st == s);
                    if read && needs[init] {
                        let op = Op::with("init_adjoint", &[], Attr::State(k, s, 0));
                        let d = g.mk(op);
                        contributions.entry(init).or_default().push((forward_len, d));
                    }
                }
            }
            Some(_) => {}
            None => {
                let mut none = Vec::new();
                adjoint(g, n, &needs, &loop_of, &mut contributions, &mut adj, &mut none);
            }
        }
    }
    adj
}

/// Whether each node has a param among its ancestors; a read of an earlier
/// step of a state has those of the state's `init` and steps.
fn needs_adjoint(g: &Graph, params: &[NodeId]) -> Vec<bool> {
    let len = g.nodes.len();
    let mut needs = vec![false; len];
    loop {
        let mut changed = false;
        for n in 0..len {
            let op = g.op(n);
            let mut v = params.contains(&n) || op.operands().iter().any(|&a| needs[a]);
            if let (true, Attr::State(k, s, _)) = (op.is("prev"), op.attr) {
                let state = &g.loops[k].states[s];
                v |= needs[state.init] || state.step.is_some_and(|st| needs[st]);
            }
            // A stack's members' params, which it names by index.
            if op.is("members") {
                v |= g.reads(n).iter().any(|&p| needs[p]);
            }
            if v && !needs[n] {
                needs[n] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    needs
}

/// Completes the adjoint of node `n` from its contributions and passes its
/// own on to its operands; a step value's parts for values outside its
/// loop go to `deferred` (operand, consumer, part).
fn adjoint(
    g: &mut Graph,
    n: NodeId,
    needs: &[bool],
    loop_of: &[Option<usize>],
    contributions: &mut HashMap<NodeId, Vec<(NodeId, NodeId)>>,
    adj: &mut Adjoints,
    deferred: &mut Vec<(NodeId, NodeId, NodeId)>,
) {
    if !needs[n] {
        contributions.remove(&n);
        return;
    }
    // A state's step also receives what the later steps' reads sent back.
    if let Some(k) = loop_of[n]
        && let Some(s) = g.loops[k].states.iter().position(|st| st.step == Some(n))
    {
        let carried = g.mk(Op::with("carried", &[], Attr::State(k, s, 0)));
        contributions.entry(n).or_default().push((usize::MAX, carried));
    }
    let Some(mut parts) = contributions.remove(&n) else { return };
    // Sum in the order of the consumers in the forward pass, so the
    // derivation reads in the order the value was used.
    parts.sort_by_key(|&(consumer, _)| consumer);
    let mut d = parts[0].1;
    for &(_, p) in &parts[1..] {
        d = g.mk(Op::new("add", &[d, p]));
    }
    adj.of.insert(n, d);
    adj.order.push(n);
    adj.parts.insert(n, parts);
    let op = g.op(n);
    if let (true, Attr::State(k, s, lag)) = (op.is("prev"), op.attr) {
        g.loops[k].prev_adjoints.push((s, lag, d));
        return;
    }
    // A call of a function elementwise in one value (`hardswish(z)`): its
    // derivative, built once, times the adjoint.
    let parts = match g.applied.iter().find(|a| a.node == n).map(|a| (a.arg, a.deriv)) {
        Some((x, deriv)) => vec![(x, g.mk(Op::new("mul", &[d, deriv])))],
        None => def(op.code).vjp(g, n, d),
    };
    for (operand, part) in parts {
        if !needs[operand] {
            continue;
        }
        if loop_of[n].is_some() && loop_of[operand].is_none() {
            deferred.push((operand, n, part));
        } else {
            contributions.entry(operand).or_default().push((n, part));
        }
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
