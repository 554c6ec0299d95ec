//! What the code of a run-time loop over steps (`for t in T` with `init`
//! in `net!`) reads and writes: step `t` of a sequence `[T, R]` (row `t`)
//! as a column `[R]`, and the sums a backward loop collects.
//!
//! Each step value of a loop lives in one buffer of one step's shape,
//! overwritten at every step; a sequence keeps every step, one per row.

use crate::dim::Dim;
use crate::{Classes, Matrix, Scalar, Sequences};

/// `dst ← step t of seq`: row `t` of a `[T, R]` sequence as a column
/// `[R]`, or block `t` (`[R×B]`) of a batch of sequences, `T` such blocks.
///
/// ```
/// use shapegrad::prelude::*;
/// let seq = Matrix::<U3, U2>::from_fn(|t, j| (10 * t + j) as f32);
/// let mut x = Matrix::<U2, One>::zeros();
/// shapegrad::steps::read(&mut x, &seq, 2);
/// assert_eq!(x.as_slice(), &[20.0, 21.0]);
/// ```
#[inline]
pub fn read<R: Dim, C: Dim, T: Dim, W: Dim, S: Scalar>(
    dst: &mut Matrix<R, C, S>,
    seq: &Matrix<T, W, S>,
    t: usize,
) {
    let r = dst.as_slice().len();
    dst.as_mut_slice().copy_from_slice(&seq.as_slice()[t * r..(t + 1) * r]);
}

/// `step t of seq ← src` (see [`read`]).
#[inline]
pub fn write<T: Dim, W: Dim, R: Dim, C: Dim, S: Scalar>(
    seq: &mut Matrix<T, W, S>,
    t: usize,
    src: &Matrix<R, C, S>,
) {
    let r = src.as_slice().len();
    seq.as_mut_slice()[t * r..(t + 1) * r].copy_from_slice(src.as_slice());
}

/// `dst ← step t` of a batch of label sequences: each example's label `t`.
#[inline]
pub fn read_labels<V: Dim, T: Dim, B: Dim>(dst: &mut Classes<V, B>, seq: &Sequences<V, T, B>, t: usize) {
    for b in 0..B::SIZE {
        dst.set(b, seq.get(t, b));
    }
}

/// `dst ← dst + src`: a step's part of a sum over steps.
#[inline]
pub fn add<R: Dim, C: Dim, S: Scalar>(dst: &mut Matrix<R, C, S>, src: &Matrix<R, C, S>) {
    for (d, &s) in dst.as_mut_slice().iter_mut().zip(src.as_slice()) {
        *d += s;
    }
}

/// `dst ← rows[t]` of a carry buffer of `T` rows of `dst`'s length.
#[inline]
pub fn read_carry<R: Dim, C: Dim, S: Scalar>(dst: &mut Matrix<R, C, S>, rows: &[S], t: usize) {
    let r = dst.as_slice().len();
    dst.as_mut_slice().copy_from_slice(&rows[t * r..(t + 1) * r]);
}

/// `rows[t] ← rows[t] + src` in a carry buffer: what an earlier step's
/// adjoint receives from the step that read it.
#[inline]
pub fn add_carry<R: Dim, C: Dim, S: Scalar>(rows: &mut [S], t: usize, src: &Matrix<R, C, S>) {
    let r = src.as_slice().len();
    for (d, &s) in rows[t * r..(t + 1) * r].iter_mut().zip(src.as_slice()) {
        *d += s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dim::One;
    use typenum::{U2, U3};

    #[test]
    fn rows_are_read_written_and_summed() {
        let mut seq = Matrix::<U3, U2, f64>::zeros();
        let x = Matrix::<U2, One, f64>::from_fn(|i, _| i as f64 + 1.0);
        write(&mut seq, 1, &x);
        assert_eq!(seq.as_slice(), &[0.0, 0.0, 1.0, 2.0, 0.0, 0.0]);
        let mut y = Matrix::<U2, One, f64>::zeros();
        read(&mut y, &seq, 1);
        add(&mut y, &x);
        assert_eq!(y.as_slice(), &[2.0, 4.0]);
        let mut carry = vec![0.0; 6];
        add_carry(&mut carry, 2, &y);
        add_carry(&mut carry, 2, &x);
        read_carry(&mut y, &carry, 2);
        assert_eq!(y.as_slice(), &[3.0, 6.0]);
    }
}
