//! The operations, one module per family. Each module holds the forward
//! computation (methods on [`Matrix`](crate::Matrix) and operator impls), its
//! vector-Jacobian product (`*_vjp`: given the upstream adjoint `dy` of the
//! output, the adjoints of the inputs) and the tests that check the latter
//! against central finite differences.
//!
//! No Jacobian is ever materialized: every rule is a product with `dy`.

mod broadcast;
mod conv;
mod elementwise;
mod gather;
mod loss;
mod matmul;
mod minmax;
pub(crate) mod norm;
mod reduce;
mod softmax;
mod transpose;
mod unary;

pub use broadcast::{add_bias_vjp, scale_cols_vjp, scale_rows_vjp};
pub use conv::{
    Conv2d, ConvGeometry, Pool, PoolGeometry, conv2d_bias_grad, conv2d_forward, conv2d_input_grad,
    conv2d_kernel_grad, im2col, pool_backward, pool_forward,
};
pub use elementwise::{add_vjp, hadamard_vjp, scale_vjp, sub_vjp};
pub use loss::{
    mse, mse_grad, softmax_cross_entropy, softmax_cross_entropy_batch, softmax_cross_entropy_batch_grad,
    softmax_cross_entropy_cols, softmax_cross_entropy_cols_dz, softmax_cross_entropy_grad, svm, svm_batch,
    svm_batch_grad, svm_cols, svm_cols_dz, svm_grad,
};
pub use matmul::matmul_vjp;
pub use minmax::{ge, gt};
pub use norm::{
    Groups, NORM_EPS, batchnorm_eval, batchnorm_eval_vjp, channel_affine, channel_scale, channel_sums,
    normalize, normalize_vjp,
};
pub use reduce::{col_sums_vjp, dot_vjp, mean_vjp, row_sums_vjp, sum_vjp};
pub use softmax::{log_softmax_vjp, softmax_vjp};
pub use transpose::transpose_vjp;
// Every elementwise function's marker type, so adding one touches only `unary.rs`.
pub use unary::*;
