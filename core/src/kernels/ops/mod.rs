//! The operations, one module per family. Each module holds the forward
//! computation (methods on [`Matrix`](crate::Matrix) and operator impls), its
//! vector-Jacobian product (`*_vjp`: given the upstream adjoint `dy` of the
//! output, the adjoints of the inputs) and the tests that check the latter
//! against central finite differences.
//!
//! No Jacobian is ever materialized: every rule is a product with `dy`.
//!
//! The modules are named as the families of `net!`'s op registry
//! (`dsl/src/net/ops/`): `arith` (`+ − ⊙`, scaling), `neg`, `div`, `matmul`
//! (with the transpose), `broadcast`, `unary`, `parametric` (`leaky_relu`,
//! `pow`), `minmax`, `reduce`, `linalg` (norms, trace), `softmax`, `loss`,
//! `index` (gathers), `slice` (slices and fixed steps), `norm` (layernorm,
//! dropout), `batchnorm`, `conv` and `pool`. A family's rules and its
//! kernels are found under one name, and a test of the registry fails when a
//! module here has no family of its name.

mod arith;
mod batchnorm;
mod broadcast;
mod conv;
mod div;
mod index;
mod linalg;
mod loss;
mod matmul;
mod minmax;
mod neg;
pub(crate) mod norm;
mod parametric;
mod pool;
mod reduce;
mod slice;
mod softmax;
mod unary;

pub use arith::{add_vjp, hadamard_vjp, scale_vjp, sub_vjp};
pub use batchnorm::{batchnorm_eval, batchnorm_eval_vjp, channel_affine, channel_scale, channel_sums};
pub use broadcast::{add_bias_vjp, scale_cols_vjp, scale_rows_vjp};
pub use conv::{
    Conv2d, ConvGeometry, conv2d_bias_grad, conv2d_forward, conv2d_input_grad, conv2d_kernel_grad, im2col,
};
pub use loss::{
    mse, mse_grad, softmax_cross_entropy, softmax_cross_entropy_batch, softmax_cross_entropy_batch_grad,
    softmax_cross_entropy_cols, softmax_cross_entropy_cols_dz, softmax_cross_entropy_grad, svm, svm_batch,
    svm_batch_grad, svm_cols, svm_cols_dz, svm_grad,
};
pub use matmul::{matmul_vjp, transpose_vjp};
pub use minmax::{ge, gt};
pub use norm::{Groups, NORM_EPS, normalize, normalize_vjp};
pub use parametric::{leaky_relu, leaky_relu_df, pow, pow_df};
pub use pool::{Pool, PoolGeometry, pool_backward, pool_forward};
pub use reduce::{col_sums_vjp, dot_vjp, mean_vjp, row_sums_vjp, sum_vjp};
pub use softmax::{log_softmax_vjp, softmax_vjp};
// Every elementwise function's marker type, so adding one touches only `unary.rs`.
pub use unary::*;
