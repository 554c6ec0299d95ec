//! Stage 5: algebraic simplification, applied as each backward node is built.
//!
//! The rules are the ones a person applies when writing a derivation by hand,
//! so that the derived code does no needless work and `derivation()` reads
//! like the answer sheet: `1·x = x`, `c·(d·x) = (cd)·x`, `x + x = 2x`,
//! `(xᵀ)ᵀ = x`, `(AB)ᵀ = BᵀAᵀ`, `−(−x) = x`, constants pulled out of products,
//! and a filled matrix times `x` is a scalar times `x`. Each rule lives with
//! its op in the registry (`OpDef::simplify`); this stage applies them.

use super::model::{Graph, NodeId, Op};
use super::ops::def;

impl Graph {
    /// The node for `op` after simplification, with its shape inferred.
    /// Backward operations are built only from shapes that fit, so the
    /// inference never fails.
    pub fn mk(&mut self, op: Op) -> NodeId {
        let d = def(op.code);
        if let Some(n) = d.simplify(self, &op) {
            return n;
        }
        let shape = d.infer(self, &op);
        self.intern(op, shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::model::{Attr, ONE, Shape};
    use quote::quote;

    fn graph() -> (Graph, NodeId, NodeId) {
        let mut g = Graph::default();
        let n = g.dim("N".into(), quote!(N));
        let m = g.dim("M".into(), quote!(M));
        let v = g.intern(Op::with("input", &[], Attr::Index(0)), Shape::Mat(n, ONE));
        let w = g.intern(Op::with("param", &[], Attr::Index(0)), Shape::Mat(m, n));
        (g, v, w)
    }

    fn op(code: &'static str, args: &[NodeId]) -> Op {
        Op::new(code, args)
    }

    #[test]
    fn half_v_plus_half_v_is_v() {
        let (mut g, v, _) = graph();
        let half = g.constant(0.5);
        let fill = g.mk(Op::with("fill", &[half], Attr::Dims(1, ONE)));
        let a = g.mk(op("mul", &[fill, v]));
        let b = g.mk(op("mul", &[v, fill]));
        assert_eq!(a, b);
        assert_eq!(g.mk(op("add", &[a, b])), v);
    }

    #[test]
    fn like_terms_merge_at_the_end_of_a_sum() {
        let (mut g, v, _) = graph();
        let u = g.intern(Op::with("input", &[], Attr::Index(1)), g.shape(v));
        let half = g.constant(0.5);
        let hv = g.mk(op("mul", &[half, v]));
        let uv = g.mk(op("add", &[u, hv]));
        assert_eq!(g.mk(op("add", &[uv, hv])), g.mk(op("add", &[u, v])), "(u + ½v) + ½v = u + v");
    }

    #[test]
    fn transposes_cancel_and_distribute() {
        let (mut g, v, w) = graph();
        let wt = g.mk(op("transpose", &[w]));
        assert_eq!(g.mk(op("transpose", &[wt])), w);
        // (v zᵀ)ᵀ = z vᵀ
        let z = g.mk(op("matmul", &[w, v]));
        let zt = g.mk(op("transpose", &[z]));
        let outer = g.mk(op("matmul", &[v, zt]));
        let t = g.mk(op("transpose", &[outer]));
        let vt = g.mk(op("transpose", &[v]));
        assert_eq!(g.op(t), op("matmul", &[z, vt]));
    }

    #[test]
    fn constants_fold_and_move_out() {
        let (mut g, v, w) = graph();
        let one = g.constant(1.0);
        assert_eq!(g.mk(op("mul", &[one, v])), v);
        let two = g.constant(2.0);
        let half = g.constant(0.5);
        let hv = g.mk(op("mul", &[half, v]));
        assert_eq!(g.mk(op("mul", &[two, hv])), v);
        let p = g.mk(op("matmul", &[w, hv]));
        let wv = g.mk(op("matmul", &[w, v]));
        assert_eq!(g.op(p), op("mul", &[half, wv]));
        let nv = g.mk(op("neg", &[v]));
        assert_eq!(g.mk(op("neg", &[nv])), v);
        let u = g.intern(Op::with("input", &[], Attr::Index(1)), g.shape(v));
        let sum = g.mk(op("add", &[u, nv]));
        assert_eq!(g.op(sum), op("sub", &[u, v]));
    }
}
