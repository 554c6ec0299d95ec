//! Rows picked by index: an embedding lookup `E[w]` (`E: [V×M]`, `w` an
//! index in `0..V` → row `w` as a column `[M]`), a batch of them (`[M×B]`,
//! one column per index), a sequence's (`E[ws]`, one row per step), and
//! their adjoints, which add each column into the row its index picked (a
//! scatter-add: `∂E = onehot(w)·∂zᵀ`).

use crate::{Class, Classes, Dim, Matrix, Scalar, Vector};

impl<M: Dim, T: Scalar> Vector<M, T> {
    /// `self ← E[w]`: row `w` of `e`, as a column.
    #[inline]
    pub fn set_row_of<V: Dim>(&mut self, e: &Matrix<V, M, T>, w: Class<V>) {
        let row = w.index() * M::SIZE;
        self.as_mut_slice().copy_from_slice(&e.as_slice()[row..row + M::SIZE]);
    }
}

impl<M: Dim, B: Dim, T: Scalar> Matrix<M, B, T> {
    /// `self ← [E[ws₀] … E[ws_{B−1}]]`: column `b` is row `ws[b]` of `e`.
    #[inline]
    pub fn set_rows_of<V: Dim>(&mut self, e: &Matrix<V, M, T>, ws: &Classes<V, B>) {
        let (e, out) = (e.as_slice(), self.as_mut_slice());
        for (b, &w) in ws.as_slice().iter().enumerate() {
            for (i, &v) in e[w * M::SIZE..(w + 1) * M::SIZE].iter().enumerate() {
                out[i * B::SIZE + b] = v;
            }
        }
    }
}

impl<S: Dim, M: Dim, T: Scalar> Matrix<S, M, T> {
    /// `self ← E[ws]`: row `t` is row `ws[t]` of `e` (a sequence's
    /// embeddings, one row per step).
    #[inline]
    pub fn set_seq_rows_of<V: Dim>(&mut self, e: &Matrix<V, M, T>, ws: &Classes<V, S>) {
        let (e, out) = (e.as_slice(), self.as_mut_slice());
        for (row, &w) in out.chunks_exact_mut(M::SIZE).zip(ws.as_slice()) {
            row.copy_from_slice(&e[w * M::SIZE..(w + 1) * M::SIZE]);
        }
    }
}

impl<V: Dim, M: Dim, T: Scalar> Matrix<V, M, T> {
    /// `self ← Σ_t onehot(ws[t])·d[t]`: each row of `d` added into the row
    /// its step's index picks (the adjoint of [`Matrix::set_seq_rows_of`]).
    #[inline]
    pub fn set_scatter_seq<S: Dim>(&mut self, d: &Matrix<S, M, T>, ws: &Classes<V, S>) {
        let out = self.as_mut_slice();
        out.fill(T::ZERO);
        for (row, &w) in d.as_slice().chunks_exact(M::SIZE).zip(ws.as_slice()) {
            for (o, &v) in out[w * M::SIZE..(w + 1) * M::SIZE].iter_mut().zip(row) {
                *o += v;
            }
        }
    }

    /// `self ← onehot(w)·dᵀ`: zero but row `w`, which is `d` (the adjoint
    /// of `E[w]` with respect to `E`).
    #[inline]
    pub fn set_scatter_row(&mut self, d: &Vector<M, T>, w: Class<V>) {
        self.as_mut_slice().fill(T::ZERO);
        let row = w.index() * M::SIZE;
        self.as_mut_slice()[row..row + M::SIZE].copy_from_slice(d.as_slice());
    }

    /// `self ← Σ_b onehot(ws[b])·d[:, b]ᵀ`: each column of `d` added into
    /// the row its index picks (twice the same index, twice the column).
    #[inline]
    pub fn set_scatter_rows<B: Dim>(&mut self, d: &Matrix<M, B, T>, ws: &Classes<V, B>) {
        self.as_mut_slice().fill(T::ZERO);
        let (d, out) = (d.as_slice(), self.as_mut_slice());
        for (b, &w) in ws.as_slice().iter().enumerate() {
            for (i, o) in out[w * M::SIZE..(w + 1) * M::SIZE].iter_mut().enumerate() {
                *o += d[i * B::SIZE + b];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_gradient, random, rng, weighted_sum};
    use crate::{Class, Classes, Matrix, Vector};

    crate::test_dims! { V = 5; M = 3; B = 4; }

    #[test]
    fn a_lookup_is_the_row_and_a_batch_is_its_columns() {
        let e = random::<V, M>(&mut rng(1), -1.0, 1.0);
        let mut z = Vector::<M, f64>::zeros();
        z.set_row_of(&e, Class::new(3).unwrap());
        assert_eq!(z.as_slice(), &e.as_slice()[9..12]);
        let ws = Classes::<V, B>::from_slice(&[4, 0, 4, 2]).unwrap();
        let mut zs = Matrix::<M, B, f64>::zeros();
        zs.set_rows_of(&e, &ws);
        for (b, &w) in [4, 0, 4, 2].iter().enumerate() {
            for i in 0..3 {
                assert_eq!(zs[(i, b)], e[(w, i)]);
            }
        }
    }

    #[test]
    fn a_sequences_lookups_are_rows_and_their_adjoint_adds_into_each_row() {
        let mut g = rng(13);
        let e = random::<V, M>(&mut g, -1.0, 1.0);
        let ws = Classes::<V, B>::from_slice(&[2, 4, 2, 0]).unwrap();
        let mut x = Matrix::<B, M, f64>::zeros();
        x.set_seq_rows_of(&e, &ws);
        for (t, &w) in [2, 4, 2, 0].iter().enumerate() {
            for j in 0..3 {
                assert_eq!(x[(t, j)], e[(w, j)]);
            }
        }
        let d = random::<B, M>(&mut g, -1.0, 1.0);
        let mut de = Matrix::<V, M, f64>::zeros();
        de.set_scatter_seq(&d, &ws);
        let lookups = |e: &Matrix<V, M, f64>| {
            let mut x = Matrix::<B, M, f64>::zeros();
            x.set_seq_rows_of(e, &ws);
            weighted_sum(&d, &x)
        };
        assert_gradient(&e, lookups, &de, 1e-8);
    }

    #[test]
    fn the_scatter_is_the_lookups_vjp() {
        for seed in 0..5 {
            let mut g = rng(seed);
            let e = random::<V, M>(&mut g, -1.0, 1.0);
            let w = Class::<V>::new(seed as usize % 5).unwrap();
            let dz = random::<M, crate::One>(&mut g, -1.0, 1.0);
            let mut de = Matrix::<V, M, f64>::zeros();
            de.set_scatter_row(&dz, w);
            let lookup = |e: &Matrix<V, M, f64>| {
                let mut z = Vector::<M, f64>::zeros();
                z.set_row_of(e, w);
                weighted_sum(&dz, &z)
            };
            assert_gradient(&e, lookup, &de, 1e-8);
            // A batch with an index twice adds both columns into its row.
            let ws = Classes::<V, B>::from_slice(&[1, seed as usize % 5, 1, 3]).unwrap();
            let dzs = random::<M, B>(&mut g, -1.0, 1.0);
            let mut des = Matrix::<V, M, f64>::zeros();
            des.set_scatter_rows(&dzs, &ws);
            let lookups = |e: &Matrix<V, M, f64>| {
                let mut zs = Matrix::<M, B, f64>::zeros();
                zs.set_rows_of(e, &ws);
                weighted_sum(&dzs, &zs)
            };
            assert_gradient(&e, lookups, &des, 1e-8);
        }
    }
}
