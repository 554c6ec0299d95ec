//! Normalization to zero mean and unit variance, the core of `layernorm`
//! (each example over its features) and of `batchnorm` in training (each
//! feature, or each channel, over the batch), and the inverted dropout mask.
//!
//! `x̂ = (x − μ)/σ` with μ the mean and σ² the biased variance of a group,
//! plus `eps` = 1e-5 under the root. Its vector-Jacobian product, per group
//! of `n` values, without a Jacobian:
//! `∂x = (∂x̂ − mean(∂x̂) − x̂ ⊙ mean(∂x̂ ⊙ x̂)) / σ`.
//!
//! Values are row-major `[R × C]`; a group is either one column
//! ([`Groups::Columns`]) or `g` consecutive rows across every column
//! ([`Groups::Rows`]: with `g = 1` a feature over a batch of columns, with
//! `g = H·W` a channel of `[C×H×W × B]`).

use rand::Rng;
use rand_pcg::Pcg64Mcg;

use crate::Scalar;

/// ε under the square root of a normalization, as PyTorch's default.
pub const NORM_EPS: f64 = 1e-5;

/// How the values of a `[R × C]` matrix form groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Groups {
    /// Each column is a group (`layernorm`).
    Columns,
    /// Each run of `g` consecutive rows, across every column, is a group
    /// (`batchnorm` over a batch of columns).
    Rows(usize),
}

impl Groups {
    fn count(self, rows: usize, cols: usize) -> usize {
        match self {
            Groups::Columns => cols,
            Groups::Rows(g) => rows / g.max(1),
        }
    }

    /// Calls `f(group, index)` for every element, by group.
    #[inline(always)]
    fn each(self, rows: usize, cols: usize, mut f: impl FnMut(usize, usize)) {
        match self {
            Groups::Columns => {
                for r in 0..rows {
                    for c in 0..cols {
                        f(c, r * cols + c);
                    }
                }
            }
            Groups::Rows(g) => {
                for r in 0..rows {
                    let base = r * cols;
                    for k in base..base + cols {
                        f(r / g.max(1), k);
                    }
                }
            }
        }
    }
}

/// `xhat ← (x − μ)/σ` per group of the `[rows × cols]` values `x`, with
/// each group's mean, biased variance and `1/σ` written into `mean`, `var`
/// and `rstd` (one value per group). Returns `false`, computing nothing,
/// when a length does not fit.
pub fn normalize<T: Scalar>(
    groups: Groups,
    (rows, cols): (usize, usize),
    x: &[T],
    xhat: &mut [T],
    (mean, var, rstd): (&mut [T], &mut [T], &mut [T]),
) -> bool {
    let n = groups.count(rows, cols);
    if x.len() != rows * cols
        || xhat.len() != x.len()
        || [mean.len(), var.len(), rstd.len()] != [n; 3]
        || n == 0
    {
        return false;
    }
    if let Groups::Rows(g) = groups
        && (g == 0 || rows % g != 0)
    {
        return false;
    }
    let per = T::from_usize(rows * cols / n);
    let eps = T::from_f64(NORM_EPS);
    // A group of whole rows is contiguous: its sums in lanes, its values in one pass.
    if let Groups::Rows(g) = groups {
        for (k, (xg, hg)) in x.chunks_exact(g * cols).zip(xhat.chunks_exact_mut(g * cols)).enumerate() {
            let m = lanes_sum(xg, |v| v) / per;
            let v = lanes_sum(xg, |v| (v - m) * (v - m)) / per;
            let r = T::ONE / (v + eps).sqrt();
            (mean[k], var[k], rstd[k]) = (m, v, r);
            for (h, &v) in hg.iter_mut().zip(xg) {
                *h = (v - m) * r;
            }
        }
        return true;
    }
    mean.fill(T::ZERO);
    var.fill(T::ZERO);
    groups.each(rows, cols, |k, i| mean[k] += x[i]);
    mean.iter_mut().for_each(|m| *m /= per);
    groups.each(rows, cols, |k, i| {
        let d = x[i] - mean[k];
        var[k] += d * d;
    });
    for ((v, r), _) in var.iter_mut().zip(rstd.iter_mut()).zip(0..n) {
        *v /= per;
        *r = T::ONE / (*v + eps).sqrt();
    }
    groups.each(rows, cols, |k, i| xhat[i] = (x[i] - mean[k]) * rstd[k]);
    true
}

/// `∂x ← (∂x̂ − mean(∂x̂) − x̂ ⊙ mean(∂x̂ ⊙ x̂)) / σ` per group, from the
/// normalized values `xhat` and `rstd` = 1/σ as [`normalize`] left them;
/// `sums` is scratch, two values per group.
pub fn normalize_vjp<T: Scalar>(
    groups: Groups,
    (rows, cols): (usize, usize),
    xhat: &[T],
    rstd: &[T],
    dxhat: &[T],
    dx: &mut [T],
    sums: &mut [T],
) -> bool {
    let n = groups.count(rows, cols);
    let len = rows * cols;
    if n == 0 || [xhat.len(), dxhat.len(), dx.len()] != [len; 3] || rstd.len() != n || sums.len() != 2 * n {
        return false;
    }
    let per = T::from_usize(len / n);
    if let Groups::Rows(g) = groups {
        let groups =
            xhat.chunks_exact(g * cols).zip(dxhat.chunks_exact(g * cols)).zip(dx.chunks_exact_mut(g * cols));
        for (k, ((hg, dhg), dg)) in groups.enumerate() {
            let md = lanes_sum(dhg, |v| v) / per;
            let mdx = lanes_dot(dhg, hg) / per;
            let r = rstd[k];
            for ((d, &dh), &h) in dg.iter_mut().zip(dhg).zip(hg) {
                *d = (dh - md - h * mdx) * r;
            }
        }
        return true;
    }
    sums.fill(T::ZERO);
    let (mean_d, mean_dx) = sums.split_at_mut(n);
    groups.each(rows, cols, |k, i| {
        mean_d[k] += dxhat[i];
        mean_dx[k] += dxhat[i] * xhat[i];
    });
    mean_d.iter_mut().chain(mean_dx.iter_mut()).for_each(|m| *m /= per);
    groups.each(rows, cols, |k, i| dx[i] = (dxhat[i] - mean_d[k] - xhat[i] * mean_dx[k]) * rstd[k]);
    true
}

/// Lanes of a sum: eight partial sums, so the loop vectorizes (a single
/// running sum is a chain of dependent additions).
const LANES: usize = 8;

/// `Σ f(a[i])`, in lanes.
#[inline(always)]
fn lanes_sum<T: Scalar>(a: &[T], f: impl Fn(T) -> T) -> T {
    let mut acc = [T::ZERO; LANES];
    let chunks = a.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (s, &v) in acc.iter_mut().zip(c) {
            *s += f(v);
        }
    }
    acc.iter().fold(T::ZERO, |s, &v| s + v) + tail.iter().fold(T::ZERO, |s, &v| s + f(v))
}

/// `Σ a[i]·b[i]`, in lanes.
#[inline(always)]
fn lanes_dot<T: Scalar>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::ZERO; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail = ca.remainder().iter().zip(cb.remainder()).fold(T::ZERO, |s, (&x, &y)| s + x * y);
    for (x, y) in ca.zip(cb) {
        for ((s, &u), &v) in acc.iter_mut().zip(x).zip(y) {
            *s += u * v;
        }
    }
    acc.iter().fold(T::ZERO, |s, &v| s + v) + tail
}

/// Fills `mask` for inverted dropout: each value `1/(1 − p)` with
/// probability `1 − p`, else 0, from `rng`.
pub fn dropout_mask<T: Scalar>(rng: &mut Pcg64Mcg, p: f64, mask: &mut [T]) {
    let keep = T::from_f64(1.0 / (1.0 - p));
    for m in mask {
        *m = if rng.random::<f64>() < p { T::ZERO } else { keep };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each group standardized, checked by hand; the adjoint against central
    /// differences of `Σ w ⊙ normalize(x)` in f64.
    #[test]
    fn groups_are_standardized_and_the_adjoint_is_the_finite_difference() {
        let (rows, cols) = (4, 3);
        let x: Vec<f64> = (0..12).map(|i| ((i * 7 % 5) as f64 - 2.0) * 0.7 + i as f64 * 0.1).collect();
        let w: Vec<f64> = (0..12).map(|i| (i as f64 * 0.9).sin()).collect();
        for groups in [Groups::Columns, Groups::Rows(1), Groups::Rows(2)] {
            let n = groups.count(rows, cols);
            let run = |x: &[f64]| {
                let (mut xh, mut m, mut v, mut r) = (vec![0.0; 12], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
                assert!(normalize(groups, (rows, cols), x, &mut xh, (&mut m, &mut v, &mut r)));
                (xh, m, v, r)
            };
            let (xh, m, v, r) = run(&x);
            // By hand: the members of group 0 and their statistics.
            let members: Vec<usize> = match groups {
                Groups::Columns => (0..rows).map(|r| r * cols).collect(),
                Groups::Rows(g) => (0..g * cols).collect(),
            };
            let mu = members.iter().map(|&i| x[i]).sum::<f64>() / members.len() as f64;
            let var = members.iter().map(|&i| (x[i] - mu).powi(2)).sum::<f64>() / members.len() as f64;
            assert!((m[0] - mu).abs() < 1e-12 && (v[0] - var).abs() < 1e-12);
            assert!((xh[members[1]] - (x[members[1]] - mu) / (var + 1e-5).sqrt()).abs() < 1e-12);
            let (mut dx, mut sums) = (vec![0.0; 12], vec![0.0; 2 * n]);
            assert!(normalize_vjp(groups, (rows, cols), &xh, &r, &w, &mut dx, &mut sums));
            for i in 0..12 {
                let h = 1e-6;
                let (mut up, mut down) = (x.clone(), x.clone());
                up[i] += h;
                down[i] -= h;
                let f = |x: &[f64]| run(x).0.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
                let numeric = (f(&up) - f(&down)) / (2.0 * h);
                assert!((dx[i] - numeric).abs() < 1e-7, "{groups:?} [{i}]: {} vs {numeric}", dx[i]);
            }
        }
        assert!(!normalize(
            Groups::Rows(3),
            (4, 3),
            &x,
            &mut [0.0; 12],
            (&mut [0.0; 1], &mut [0.0; 1], &mut [0.0; 1])
        ));
    }

    #[test]
    fn dropout_keeps_the_mean_and_repeats_with_the_seed() {
        use rand::SeedableRng;
        let mut a = vec![0f64; 100_000];
        dropout_mask(&mut Pcg64Mcg::seed_from_u64(3), 0.3, &mut a);
        let mean = a.iter().sum::<f64>() / a.len() as f64;
        assert!((mean - 1.0).abs() < 0.01, "{mean}");
        assert!(a.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-12));
        let mut b = vec![0f64; 100_000];
        dropout_mask(&mut Pcg64Mcg::seed_from_u64(3), 0.3, &mut b);
        assert_eq!(a, b);
    }
}
