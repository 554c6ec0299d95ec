//! Losses: softmax cross-entropy (fused with its gradient), mean squared
//! error, and the multiclass SVM hinge loss. Batched forms take one example
//! per column and return the mean over the batch.

use crate::{Class, Classes, Dim, Matrix, One, Scalar, Vector};

/// `−log softmax(z)_y = log Σ exp(z) − z_y`, finite for any finite logits.
///
/// ```
/// use shapegrad::ops::softmax_cross_entropy; use shapegrad::prelude::*;
/// let z = Vector::<U3, f64>::from_slice(&[0.0, 0.0, 0.0]).unwrap();
/// let l = softmax_cross_entropy(&z, Class::new(1).unwrap());
/// assert!((l - 3f64.ln()).abs() < 1e-15);
/// ```
#[inline]
pub fn softmax_cross_entropy<C: Dim, T: Scalar>(z: &Vector<C, T>, y: Class<C>) -> T {
    column_cross_entropy(z, 0, y.index())
}

/// The loss and its gradient `softmax(z) − onehot(y)`, computed together.
#[inline]
pub fn softmax_cross_entropy_grad<C: Dim, T: Scalar>(z: &Vector<C, T>, y: Class<C>) -> (T, Vector<C, T>) {
    let mut dz = z.softmax();
    dz[y.index()] -= T::ONE;
    (softmax_cross_entropy(z, y), dz)
}

/// The mean over the batch of the cross-entropy of each column.
#[inline]
pub fn softmax_cross_entropy_batch<C: Dim, B: Dim, T: Scalar>(z: &Matrix<C, B, T>, ys: &Classes<C, B>) -> T {
    let total =
        ys.as_slice().iter().enumerate().fold(T::ZERO, |s, (j, &k)| s + column_cross_entropy(z, j, k));
    total / T::from_usize(B::SIZE)
}

/// The batch loss and its gradient `(softmax(Z) − onehot(Y)) / B`.
#[inline]
pub fn softmax_cross_entropy_batch_grad<C: Dim, B: Dim, T: Scalar>(
    z: &Matrix<C, B, T>,
    ys: &Classes<C, B>,
) -> (T, Matrix<C, B, T>) {
    let mut dz = z.softmax();
    for (j, &k) in ys.as_slice().iter().enumerate() {
        dz[(k, j)] -= T::ONE;
    }
    dz *= T::ONE / T::from_usize(B::SIZE);
    (softmax_cross_entropy_batch(z, ys), dz)
}

impl<C: Dim, T: Scalar> Vector<C, T> {
    /// `self ← softmax(z) − onehot(y)`: the gradient of the cross-entropy, in place.
    #[inline]
    pub fn set_softmax_cross_entropy_dz(&mut self, z: &Vector<C, T>, y: Class<C>) {
        self.set_softmax(z);
        self[y.index()] -= T::ONE;
    }

    /// `self ← ∇ svm(z, y)`, in place.
    #[inline]
    pub fn set_svm_dz(&mut self, z: &Vector<C, T>, y: Class<C>) {
        self.set_fill(T::ZERO);
        column_svm(z, 0, y.index(), Some((self, T::ONE)));
    }

    /// `self ← onehot(y)`, in place.
    #[inline]
    pub fn set_onehot(&mut self, y: Class<C>) {
        self.set_fill(T::ZERO);
        self[y.index()] = T::ONE;
    }
}

impl<C: Dim, B: Dim, T: Scalar> Matrix<C, B, T> {
    /// `self ← softmax(Z) − onehot(Y)` per column, in place.
    #[inline]
    pub fn set_softmax_cross_entropy_cols_dz(&mut self, z: &Self, ys: &Classes<C, B>) {
        self.set_softmax(z);
        for (j, &k) in ys.as_slice().iter().enumerate() {
            self[(k, j)] -= T::ONE;
        }
    }

    /// `self ← ∇ svm` per column, in place.
    #[inline]
    pub fn set_svm_cols_dz(&mut self, z: &Self, ys: &Classes<C, B>) {
        self.set_fill(T::ZERO);
        for (j, &k) in ys.as_slice().iter().enumerate() {
            column_svm(z, j, k, Some((self, T::ONE)));
        }
    }

    /// `self ← onehot(Y)`, one column per label, in place.
    #[inline]
    pub fn set_onehot_cols(&mut self, ys: &Classes<C, B>) {
        self.set_fill(T::ZERO);
        for (j, &k) in ys.as_slice().iter().enumerate() {
            self[(k, j)] = T::ONE;
        }
    }
}

impl<B: Dim, T: Scalar> Matrix<One, B, T> {
    /// `self ← ` the cross-entropy of each column of `z`, in place.
    #[inline]
    pub fn set_softmax_cross_entropy_cols<C: Dim>(&mut self, z: &Matrix<C, B, T>, ys: &Classes<C, B>) {
        for (j, &k) in ys.as_slice().iter().enumerate() {
            self[(0, j)] = column_cross_entropy(z, j, k);
        }
    }

    /// `self ← ` the hinge loss of each column of `z`, in place.
    #[inline]
    pub fn set_svm_cols<C: Dim>(&mut self, z: &Matrix<C, B, T>, ys: &Classes<C, B>) {
        for (j, &k) in ys.as_slice().iter().enumerate() {
            self[(0, j)] = column_svm(z, j, k, None);
        }
    }
}

/// The cross-entropy of each column: `[C×B]` logits → `[1×B]` losses.
#[inline]
pub fn softmax_cross_entropy_cols<C: Dim, B: Dim, T: Scalar>(
    z: &Matrix<C, B, T>,
    ys: &Classes<C, B>,
) -> Matrix<One, B, T> {
    let mut out = Matrix::zeros();
    out.set_softmax_cross_entropy_cols(z, ys);
    out
}

/// `softmax(Z) − onehot(Y)`: the gradient of each column's cross-entropy
/// (not divided by the batch size).
#[inline]
pub fn softmax_cross_entropy_cols_dz<C: Dim, B: Dim, T: Scalar>(
    z: &Matrix<C, B, T>,
    ys: &Classes<C, B>,
) -> Matrix<C, B, T> {
    let mut dz = Matrix::zeros();
    dz.set_softmax_cross_entropy_cols_dz(z, ys);
    dz
}

/// The hinge loss of each column: `[C×B]` scores → `[1×B]` losses.
#[inline]
pub fn svm_cols<C: Dim, B: Dim, T: Scalar>(z: &Matrix<C, B, T>, ys: &Classes<C, B>) -> Matrix<One, B, T> {
    let mut out = Matrix::zeros();
    out.set_svm_cols(z, ys);
    out
}

/// The subgradient of each column's hinge loss (not divided by the batch size).
#[inline]
pub fn svm_cols_dz<C: Dim, B: Dim, T: Scalar>(z: &Matrix<C, B, T>, ys: &Classes<C, B>) -> Matrix<C, B, T> {
    let mut dz = Matrix::zeros();
    dz.set_svm_cols_dz(z, ys);
    dz
}

fn column_cross_entropy<C: Dim, B: Dim, T: Scalar>(z: &Matrix<C, B, T>, j: usize, k: usize) -> T {
    let m = z.column_iter(j).fold(T::from_f64(f64::NEG_INFINITY), T::max);
    // log Σ exp(z − m) − (z_k − m): shifting before the subtraction keeps the
    // digits when z_k is near m (no 1e4 + ln 2 − 1e4 in f32).
    let lse_shifted = z.column_iter(j).fold(T::ZERO, |s, x| s + (x - m).exp()).ln();
    lse_shifted - (z[(k, j)] - m)
}

/// Mean squared error `mean((p − t)²)` over every element.
#[inline]
pub fn mse<R: Dim, C: Dim, T: Scalar>(p: &Matrix<R, C, T>, t: &Matrix<R, C, T>) -> T {
    let total = p.as_slice().iter().zip(t.as_slice()).fold(T::ZERO, |s, (&p, &t)| s + (p - t) * (p - t));
    total / T::from_usize(Matrix::<R, C, T>::LEN)
}

/// The loss and its gradient with respect to the prediction, `2(p − t)/n`.
/// (The gradient with respect to the target is its negative.)
#[inline]
pub fn mse_grad<R: Dim, C: Dim, T: Scalar>(p: &Matrix<R, C, T>, t: &Matrix<R, C, T>) -> (T, Matrix<R, C, T>) {
    let k = T::from_f64(2.0) / T::from_usize(Matrix::<R, C, T>::LEN);
    (mse(p, t), p.zip_map(t, |p, t| k * (p - t)))
}

/// The multiclass hinge loss `Σ_{j≠y} max(0, z_j − z_y + 1)`.
///
/// ```
/// use shapegrad::ops::svm; use shapegrad::prelude::*;
/// let z = Vector::<U3, f64>::from_slice(&[2.0, 1.5, -1.0]).unwrap();
/// // margins against class 0: 1.5 − 2 + 1 = 0.5 and −1 − 2 + 1 < 0
/// assert_eq!(svm(&z, Class::new(0).unwrap()), 0.5);
/// ```
#[inline]
pub fn svm<C: Dim, T: Scalar>(z: &Vector<C, T>, y: Class<C>) -> T {
    column_svm(z, 0, y.index(), None)
}

/// The hinge loss and its subgradient: 1 for every class with a positive
/// margin, minus their count at the label.
#[inline]
pub fn svm_grad<C: Dim, T: Scalar>(z: &Vector<C, T>, y: Class<C>) -> (T, Vector<C, T>) {
    let mut dz = Vector::zeros();
    let l = column_svm(z, 0, y.index(), Some((&mut dz, T::ONE)));
    (l, dz)
}

/// The mean over the batch of the hinge loss of each column.
#[inline]
pub fn svm_batch<C: Dim, B: Dim, T: Scalar>(z: &Matrix<C, B, T>, ys: &Classes<C, B>) -> T {
    let total = ys.as_slice().iter().enumerate().fold(T::ZERO, |s, (j, &k)| s + column_svm(z, j, k, None));
    total / T::from_usize(B::SIZE)
}

/// The batch hinge loss and its subgradient (divided by the batch size).
#[inline]
pub fn svm_batch_grad<C: Dim, B: Dim, T: Scalar>(
    z: &Matrix<C, B, T>,
    ys: &Classes<C, B>,
) -> (T, Matrix<C, B, T>) {
    let mut dz = Matrix::zeros();
    let w = T::ONE / T::from_usize(B::SIZE);
    let total = ys
        .as_slice()
        .iter()
        .enumerate()
        .fold(T::ZERO, |s, (j, &k)| s + column_svm(z, j, k, Some((&mut dz, w))));
    (total * w, dz)
}

/// The hinge loss of column `j` with label `k`; adds `w` times its
/// subgradient into `grad` when given.
fn column_svm<C: Dim, B: Dim, T: Scalar>(
    z: &Matrix<C, B, T>,
    j: usize,
    k: usize,
    mut grad: Option<(&mut Matrix<C, B, T>, T)>,
) -> T {
    let mut loss = T::ZERO;
    for i in (0..C::SIZE).filter(|&i| i != k) {
        let margin = z[(i, j)] - z[(k, j)] + T::ONE;
        if margin > T::ZERO {
            loss += margin;
            if let Some((g, w)) = grad.as_mut() {
                g[(i, j)] += *w;
                g[(k, j)] -= *w;
            }
        }
    }
    loss
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_gradient, random, rng};

    crate::test_dims! { C = 4; B = 3; }

    #[test]
    fn cross_entropy_matches_its_definition_and_gradient() {
        for seed in 0..5 {
            let mut g = rng(seed);
            let z = random::<C, One>(&mut g, -3.0, 3.0);
            let y = Class::<C>::new(seed as usize % 4).unwrap();
            let p = z.softmax();
            let (l, dz) = softmax_cross_entropy_grad(&z, y);
            assert!((l + p[y.index()].ln()).abs() < 1e-12);
            assert_gradient(&z, |z| softmax_cross_entropy(z, y), &dz, 1e-7);
            let zs = random::<C, B>(&mut g, -3.0, 3.0);
            let ys = Classes::<C, B>::from_slice(&[1, 3, 0]).unwrap();
            let (l, dz) = softmax_cross_entropy_batch_grad(&zs, &ys);
            let mean = (0..3).map(|j| softmax_cross_entropy(&zs.column(j), ys.get(j))).sum::<f64>() / 3.0;
            assert!((l - mean).abs() < 1e-12);
            assert_gradient(&zs, |z| softmax_cross_entropy_batch(z, &ys), &dz, 1e-7);
        }
    }

    #[test]
    fn cross_entropy_is_finite_for_logits_of_1e4_in_f32() {
        let z = Vector::<C, f32>::from_slice(&[1e4, -1e4, 0.0, 1e4]).unwrap();
        let (l, dz) = softmax_cross_entropy_grad(&z, Class::new(1).unwrap());
        // log(2e^{1e4}) − (−1e4) = 2e4 + ln 2; f32 spacing at 2e4 is about 0.002.
        assert!(l.is_finite());
        assert!((f64::from(l) - (2e4 + 2f64.ln())).abs() < 4e-3, "{l}");
        assert_eq!(dz.as_slice(), &[0.5, -1.0, 0.0, 0.5]);
        let (l, dz) = softmax_cross_entropy_grad(&z, Class::new(0).unwrap());
        assert!((l - 2f32.ln()).abs() < 1e-6);
        assert!(dz.as_slice().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn per_column_losses_match_single_examples() {
        let mut g = rng(4);
        let zs = random::<C, B>(&mut g, -2.0, 2.0);
        let ys = Classes::<C, B>::from_slice(&[3, 1, 1]).unwrap();
        let (ce, dce) = (softmax_cross_entropy_cols(&zs, &ys), softmax_cross_entropy_cols_dz(&zs, &ys));
        let (sv, dsv) = (svm_cols(&zs, &ys), svm_cols_dz(&zs, &ys));
        for j in 0..3 {
            let (l, d) = softmax_cross_entropy_grad(&zs.column(j), ys.get(j));
            assert!((ce[(0, j)] - l).abs() < 1e-15 && d.approx_eq(&dce.column(j), 1e-15));
            let (l, d) = svm_grad(&zs.column(j), ys.get(j));
            assert!((sv[(0, j)] - l).abs() < 1e-15 && d.approx_eq(&dsv.column(j), 1e-15));
        }
    }

    #[test]
    fn mse_matches_its_definition_and_gradient() {
        for seed in 0..5 {
            let mut g = rng(seed);
            let p = random::<C, B>(&mut g, -2.0, 2.0);
            let t = random::<C, B>(&mut g, -2.0, 2.0);
            let (l, dp) = mse_grad(&p, &t);
            let direct =
                p.as_slice().iter().zip(t.as_slice()).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / 12.0;
            assert!((l - direct).abs() < 1e-14);
            assert_gradient(&p, |p| mse(p, &t), &dp, 1e-8);
            assert_gradient(&t, |t| mse(&p, t), &-&dp, 1e-8);
        }
    }

    #[test]
    fn svm_matches_its_definition_and_subgradient() {
        for seed in 0..5 {
            let mut g = rng(seed);
            let z = random::<C, One>(&mut g, -2.0, 2.0);
            let y = Class::<C>::new(seed as usize % 4).unwrap();
            let (l, dz) = svm_grad(&z, y);
            let direct: f64 =
                (0..4).filter(|&i| i != y.index()).map(|i| (z[i] - z[y.index()] + 1.0).max(0.0)).sum();
            assert_eq!(l, direct);
            assert_gradient(&z, |z| svm(z, y), &dz, 1e-7);
            let zs = random::<C, B>(&mut g, -2.0, 2.0);
            let ys = Classes::<C, B>::from_slice(&[2, 0, 3]).unwrap();
            let (l, dz) = svm_batch_grad(&zs, &ys);
            let mean = (0..3).map(|j| svm(&zs.column(j), ys.get(j))).sum::<f64>() / 3.0;
            assert!((l - mean).abs() < 1e-14);
            assert_gradient(&zs, |z| svm_batch(z, &ys), &dz, 1e-7);
        }
    }
}
