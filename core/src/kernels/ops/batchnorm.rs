//! Batchnorm's per-channel kernels: the scale and shift of its output, the
//! sums over a channel its adjoints need, and its evaluation form (with the
//! running statistics) with that form's adjoints. Its training form
//! standardizes each channel over the batch with [`normalize`](super::normalize).
//! A channel is `g` consecutive rows of `[rows × cols]` values (`g = 1`: one
//! feature over a batch of columns; `g = H·W`: a channel of `[C×H×W × B]`).

use super::NORM_EPS;
use crate::Scalar;

/// `out[r, c] ← a[r/g]·x[r, c] + b[r/g]`: a per-channel scale and shift
/// of `[rows × cols]` values, channels of `g` rows (`g = 1`: per feature).
pub fn channel_affine<T: Scalar>(
    g: usize,
    (rows, cols): (usize, usize),
    x: &[T],
    a: &[T],
    b: &[T],
    out: &mut [T],
) {
    for r in 0..rows {
        let (s, t) = (a[r / g], b[r / g]);
        for (o, &v) in out[r * cols..(r + 1) * cols].iter_mut().zip(&x[r * cols..(r + 1) * cols]) {
            *o = s * v + t;
        }
    }
}

/// `out[r, c] ← a[r/g]·x[r, c]`: a per-channel scale.
pub fn channel_scale<T: Scalar>(g: usize, (rows, cols): (usize, usize), x: &[T], a: &[T], out: &mut [T]) {
    for r in 0..rows {
        let s = a[r / g];
        for (o, &v) in out[r * cols..(r + 1) * cols].iter_mut().zip(&x[r * cols..(r + 1) * cols]) {
            *o = s * v;
        }
    }
}

/// `out[k] ← Σ x` (or `Σ x ⊙ y`) over channel `k`'s `g` rows and all columns.
pub fn channel_sums<T: Scalar>(
    g: usize,
    (rows, cols): (usize, usize),
    x: &[T],
    y: Option<&[T]>,
    out: &mut [T],
) {
    out.fill(T::ZERO);
    for r in 0..rows {
        let row = r * cols..(r + 1) * cols;
        out[r / g] += match y {
            Some(y) => x[row.clone()].iter().zip(&y[row]).fold(T::ZERO, |s, (&a, &b)| s + a * b),
            None => x[row].iter().fold(T::ZERO, |s, &a| s + a),
        };
    }
}

/// The evaluation form of batchnorm: `out ← γ·(x − μ)/√(v + ε) + β` per
/// channel of `g` rows, with the running mean `μ` and variance `v`.
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_eval<T: Scalar>(
    g: usize,
    dims: (usize, usize),
    x: &[T],
    (gamma, beta): (&[T], &[T]),
    (mean, var): (&[T], &[T]),
    out: &mut [T],
) {
    let eps = T::from_f64(NORM_EPS);
    let scale: Vec<T> = gamma.iter().zip(var).map(|(&g, &v)| g / (v + eps).sqrt()).collect();
    let shift: Vec<T> = beta.iter().zip(&scale).zip(mean).map(|((&b, &s), &m)| b - s * m).collect();
    channel_affine(g, dims, x, &scale, &shift, out);
}

/// Where [`batchnorm_eval_vjp`] writes `∂x`, `∂γ` and `∂β`, each if asked.
pub type Adjoints<'a, T> = (Option<&'a mut [T]>, Option<&'a mut [T]>, Option<&'a mut [T]>);

/// The adjoints of [`batchnorm_eval`] given `dy`: `∂x = γ/√(v + ε) ⊙ dy`,
/// `∂γ = Σ dy ⊙ (x − μ)/√(v + ε)`, `∂β = Σ dy`, each written when asked.
#[allow(clippy::too_many_arguments)]
pub fn batchnorm_eval_vjp<T: Scalar>(
    g: usize,
    (rows, cols): (usize, usize),
    x: &[T],
    gamma: &[T],
    (mean, var): (&[T], &[T]),
    dy: &[T],
    (dx, dgamma, dbeta): Adjoints<'_, T>,
) {
    let eps = T::from_f64(NORM_EPS);
    let rstd: Vec<T> = var.iter().map(|&v| T::ONE / (v + eps).sqrt()).collect();
    if let Some(dx) = dx {
        let scale: Vec<T> = gamma.iter().zip(&rstd).map(|(&g, &r)| g * r).collect();
        channel_scale(g, (rows, cols), dy, &scale, dx);
    }
    if let Some(dgamma) = dgamma {
        dgamma.fill(T::ZERO);
        for r in 0..rows {
            let k = r / g;
            for c in 0..cols {
                let i = r * cols + c;
                dgamma[k] += dy[i] * (x[i] - mean[k]) * rstd[k];
            }
        }
    }
    if let Some(dbeta) = dbeta {
        channel_sums(g, (rows, cols), dy, None, dbeta);
    }
}
