//! Large matrices never touch the stack: a 784×128 layer and its gradient,
//! in f64, inside a test thread (2 MiB of stack) of a debug build.

use shapegrad::ops::matmul_vjp;
use shapegrad::prelude::*;

dims! { D = 784; H = 128; }

#[test]
fn a_784_by_128_layer_and_its_gradient_fit_in_a_test_thread() {
    let w = Matrix::<H, D, f64>::from_fn(|i, j| ((i * 7 + j * 3) % 11) as f64 * 0.01);
    let x = Vector::<D, f64>::from_fn(|i, _| (i % 5) as f64);
    let z = &w * &x;
    let dz = Vector::<H, f64>::from_element(1.0);
    let (dw, dx) = matmul_vjp(&w, &x, &dz);
    // dW = dz xᵀ: every row is x; dx = Wᵀ dz: the column sums of W.
    assert_eq!(dw.row(17), x.as_slice());
    for j in [0, 1, 500, 783] {
        let col_sum: f64 = w.column_iter(j).sum();
        assert!((dx[j] - col_sum).abs() < 1e-9);
    }
    let expected_z0: f64 = (0..784).map(|j| w[(0, j)] * x[j]).sum();
    assert!((z[0] - expected_z0).abs() < 1e-9);
    let wt: Matrix<D, H, f64> = dw.t();
    assert_eq!(wt[(783, 127)], x[783]);
}
