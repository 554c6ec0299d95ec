//! Numerical gradients: the reference every derived gradient is tested against.

use crate::{Dim, Matrix};

/// The gradient of `f` at `x` by central differences,
/// `(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h` for every element `i`, in `f64`.
///
/// The error is O(h²); `h = 1e-5` suits functions of order one.
///
/// ```
/// use shapegrad_core::{check::numeric_gradient, Vector, typenum::U2};
/// let x = Vector::<U2, f64>::from_slice(&[1.0, -3.0]).unwrap();
/// // f(x) = x₀² + 5x₁, so ∇f = (2x₀, 5).
/// let g = numeric_gradient(&x, |x| x[0] * x[0] + 5.0 * x[1], 1e-5);
/// assert!((g[0] - 2.0).abs() < 1e-8 && (g[1] - 5.0).abs() < 1e-8);
/// ```
pub fn numeric_gradient<R: Dim, C: Dim>(
    x: &Matrix<R, C, f64>,
    mut f: impl FnMut(&Matrix<R, C, f64>) -> f64,
    h: f64,
) -> Matrix<R, C, f64> {
    let mut probe = x.clone();
    let mut grad = Matrix::<R, C, f64>::zeros();
    for i in 0..x.as_slice().len() {
        let x_i = x.as_slice()[i];
        probe.as_mut_slice()[i] = x_i + h;
        let up = f(&probe);
        probe.as_mut_slice()[i] = x_i - h;
        let down = f(&probe);
        probe.as_mut_slice()[i] = x_i;
        grad.as_mut_slice()[i] = (up - down) / (2.0 * h);
    }
    grad
}
