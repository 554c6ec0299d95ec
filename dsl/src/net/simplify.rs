//! Stage 5: algebraic simplification, applied as each backward node is built.
//!
//! The rules are the ones a person applies when writing a derivation by hand,
//! so that the derived code does no needless work and `derivation()` reads
//! like the answer sheet: `1·x = x`, `c·(d·x) = (cd)·x`, `x + x = 2x`,
//! `(xᵀ)ᵀ = x`, `(AB)ᵀ = BᵀAᵀ`, `−(−x) = x`, constants pulled out of products,
//! and a filled matrix times `x` is a scalar times `x`.

use super::model::{Graph, NodeId, ONE, Op, Shape};

impl Graph {
    /// The node for `op` after simplification, with its shape inferred.
    /// Backward operations are built only from shapes that fit, so the
    /// inference never fails; see `infer`.
    pub fn mk(&mut self, op: Op) -> NodeId {
        match self.simplify(op) {
            Ok(n) => n,
            Err(op) => {
                let shape = self.infer(op);
                self.intern(op, shape)
            }
        }
    }

    /// `Ok(node)` when `op` simplifies to an existing or smaller node,
    /// `Err(op)` with the (possibly rewritten) operation to build otherwise.
    fn simplify(&mut self, op: Op) -> Result<NodeId, Op> {
        use Op::*;
        let c = |g: &Self, n: NodeId| g.op(n).constant();
        match op {
            Mul(a, b) => {
                // Constants go first: c·x.
                if c(self, b).is_some() && c(self, a).is_none() {
                    return Ok(self.mk(Mul(b, a)));
                }
                match (c(self, a), c(self, b)) {
                    (Some(x), Some(y)) => return Ok(self.constant(x * y)),
                    (Some(1.0), None) => return Ok(b),
                    (Some(x), None) => {
                        if let Mul(k, inner) = self.op(b) {
                            if let Some(y) = c(self, k) {
                                let k = self.constant(x * y);
                                return Ok(self.mk(Mul(k, inner)));
                            }
                        }
                        if let Neg(inner) = self.op(b) {
                            let k = self.constant(-x);
                            return Ok(self.mk(Mul(k, inner)));
                        }
                    }
                    _ => {}
                }
                // A filled matrix times x is a scalar times x.
                if let Fill(s, ..) = self.op(a) {
                    if self.shape(b) == self.shape(a) {
                        return Ok(self.mk(Mul(s, b)));
                    }
                }
                if let Fill(s, ..) = self.op(b) {
                    if self.shape(a) == self.shape(b) {
                        return Ok(self.mk(Mul(s, a)));
                    }
                }
                Err(op)
            }
            Add(a, b) => {
                if a == b {
                    let two = self.constant(2.0);
                    return Ok(self.mk(Mul(two, a)));
                }
                // c·x + d·x = (c + d)·x, and c·x + x = (c + 1)·x.
                let (ka, xa) = self.coefficient(a);
                let (kb, xb) = self.coefficient(b);
                if xa == xb && (ka.is_some() || kb.is_some()) {
                    let k = self.constant(ka.unwrap_or(1.0) + kb.unwrap_or(1.0));
                    return Ok(self.mk(Mul(k, xa)));
                }
                if let Neg(nb) = self.op(b) {
                    return Ok(self.mk(Sub(a, nb)));
                }
                Err(op)
            }
            Sub(a, b) => {
                if let Neg(nb) = self.op(b) {
                    return Ok(self.mk(Add(a, nb)));
                }
                Err(op)
            }
            Neg(a) => match self.op(a) {
                Neg(x) => Ok(x),
                Const(bits) => Ok(self.constant(-f64::from_bits(bits))),
                _ => Err(op),
            },
            Transpose(a) => match self.op(a) {
                Transpose(x) => Ok(x),
                MatMul(x, y) => {
                    let (yt, xt) = (self.mk(Transpose(y)), self.mk(Transpose(x)));
                    Ok(self.mk(MatMul(yt, xt)))
                }
                Mul(k, x) if self.op(k).constant().is_some() => {
                    let xt = self.mk(Transpose(x));
                    Ok(self.mk(Mul(k, xt)))
                }
                _ => Err(op),
            },
            // Every column scaled by one scalar is the matrix scaled by it.
            ColScale(a, r) => match self.op(r) {
                Fill(s, ..) => Ok(self.mk(Mul(s, a))),
                _ => Err(op),
            },
            MatMul(a, b) => {
                // Constants come out of products: (c·A) B = c·(A B).
                for (side, other, left) in [(a, b, true), (b, a, false)] {
                    if let Mul(k, inner) = self.op(side) {
                        if self.op(k).constant().is_some() {
                            let p = if left {
                                self.mk(MatMul(inner, other))
                            } else {
                                self.mk(MatMul(other, inner))
                            };
                            return Ok(self.mk(Mul(k, p)));
                        }
                    }
                }
                // A 1×1 filled matrix on the left of a product is a scalar factor.
                if let (Fill(s, ONE, ONE), Shape::Mat(ONE, _)) = (self.op(a), self.shape(b)) {
                    return Ok(self.mk(Mul(s, b)));
                }
                Err(op)
            }
            _ => Err(op),
        }
    }

    /// `(Some(c), x)` for `c·x` with a constant `c`, else `(None, n)`.
    fn coefficient(&self, n: NodeId) -> (Option<f64>, NodeId) {
        if let Op::Mul(k, x) = self.op(n) {
            if let Some(c) = self.op(k).constant() {
                return (Some(c), x);
            }
        }
        (None, n)
    }

    /// The shape of a backward operation whose operands fit by construction.
    fn infer(&self, op: Op) -> Shape {
        use Op::*;
        let s = |n: NodeId| self.shape(n);
        let rows_cols = |n: NodeId| match s(n) {
            Shape::Mat(r, c) => (r, c),
            _ => (ONE, ONE),
        };
        match op {
            MatMul(a, b) => Shape::Mat(rows_cols(a).0, rows_cols(b).1),
            Transpose(a) => match s(a) {
                Shape::Mat(r, c) => Shape::Mat(c, r),
                other => other,
            },
            Add(a, b) | Sub(a, b) | Mul(a, b) => {
                if s(a) == Shape::Scalar {
                    s(b)
                } else {
                    s(a)
                }
            }
            RowSums(a) => Shape::Mat(rows_cols(a).0, ONE),
            Fill(_, r, c) => Shape::Mat(r, c),
            OneHot(y) => match s(y) {
                Shape::Label(d) => Shape::Mat(d, ONE),
                other => other,
            },
            Sum(_) | Mean(_) | SoftmaxCe(..) | Svm(..) | Count(..) | Div(..) | Const(_) => Shape::Scalar,
            SoftmaxCeCols(z, _) | SvmCols(z, _) => Shape::Mat(ONE, rows_cols(z).1),
            ColScale(a, _) | RowScale(a, _) => s(a),
            AddBias(a, _)
            | Neg(a)
            | Map(_, a)
            | Softmax(a)
            | LogSoftmax(a)
            | Deriv(_, a)
            | SoftmaxCeGrad(a, _)
            | SvmGrad(a, _)
            | SoftmaxVjp(a, _)
            | LogSoftmaxVjp(a, _) => s(a),
            Param(_) | Input(_) | Label(_) => Shape::Scalar,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn graph() -> (Graph, NodeId, NodeId) {
        let mut g = Graph::default();
        let n = g.dim("N".into(), quote!(N));
        let m = g.dim("M".into(), quote!(M));
        let v = g.intern(Op::Input(0), Shape::Mat(n, ONE));
        let w = g.intern(Op::Param(0), Shape::Mat(m, n));
        (g, v, w)
    }

    #[test]
    fn half_v_plus_half_v_is_v() {
        let (mut g, v, _) = graph();
        let half = g.constant(0.5);
        let fill = g.mk(Op::Fill(half, 1, ONE));
        let a = g.mk(Op::Mul(fill, v));
        let b = g.mk(Op::Mul(v, fill));
        assert_eq!(a, b);
        assert_eq!(g.mk(Op::Add(a, b)), v);
    }

    #[test]
    fn transposes_cancel_and_distribute() {
        let (mut g, v, w) = graph();
        let wt = g.mk(Op::Transpose(w));
        assert_eq!(g.mk(Op::Transpose(wt)), w);
        // (v zᵀ)ᵀ = z vᵀ
        let z = g.mk(Op::MatMul(w, v));
        let zt = g.mk(Op::Transpose(z));
        let outer = g.mk(Op::MatMul(v, zt));
        let t = g.mk(Op::Transpose(outer));
        let vt = g.mk(Op::Transpose(v));
        assert_eq!(g.op(t), Op::MatMul(z, vt));
    }

    #[test]
    fn constants_fold_and_move_out() {
        let (mut g, v, w) = graph();
        let one = g.constant(1.0);
        assert_eq!(g.mk(Op::Mul(one, v)), v);
        let two = g.constant(2.0);
        let half = g.constant(0.5);
        let hv = g.mk(Op::Mul(half, v));
        assert_eq!(g.mk(Op::Mul(two, hv)), v);
        let p = g.mk(Op::MatMul(w, hv));
        let wv = g.mk(Op::MatMul(w, v));
        assert_eq!(g.op(p), Op::Mul(half, wv));
        let nv = g.mk(Op::Neg(v));
        assert_eq!(g.mk(Op::Neg(nv)), v);
        let u = g.intern(Op::Input(1), g.shape(v));
        let sum = g.mk(Op::Add(u, nv));
        assert_eq!(g.op(sum), Op::Sub(u, v));
    }
}
