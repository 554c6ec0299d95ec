//! Large matrices and tensors never touch the stack: a 784×128 layer and its
//! gradient, and a batch of 28×28 images with a bank of 5×5 kernels, in f64,
//! inside a test thread (2 MiB of stack) of a debug build.

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

dims! { F = 32; Ch = 16; Px = 28; K = 5; B = 64; }

#[test]
fn a_batch_of_images_and_a_kernel_bank_fit_in_a_test_thread() {
    // 16×28×28×64 f64 is 6.4 MB: three times a test thread's stack.
    let xs = Tensor4::<Ch, Px, Px, B, f64>::from_fn(|c, h, w, b| (c + h + w + b) as f64);
    let kernels = Tensor4::<F, Ch, K, K, f64>::from_element(0.5);
    let image = Tensor3::<Ch, Px, Px, f64>::from_fn(|c, h, w| xs[(c, h, w, 7)]);
    assert_eq!(xs.as_slice().len(), 16 * 28 * 28 * 64);
    assert_eq!(image[(15, 27, 27)], (15 + 27 + 27 + 7) as f64);
    assert_eq!(kernels.as_slice().iter().sum::<f64>(), 0.5 * (32 * 16 * 25) as f64);
    assert_eq!(xs.clone(), xs);
}
