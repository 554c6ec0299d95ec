//! What a user of shapegrad calls: dims, matrices and tensors, classes and
//! sequences, the gradient check, data sets, training (`Fit`, optimizers,
//! schedules), weights files, ONNX export and the summary. Each module is
//! re-exported at the crate's root (`shapegrad::fit`, `shapegrad::Matrix`).

pub mod check;
pub(crate) mod class;
pub mod data;
pub mod derivation;
pub mod dim;
pub(crate) mod error;
pub mod eval;
pub mod fit;
mod fmt;
pub mod init;
pub mod io;
pub(crate) mod matrix;
pub mod model;
#[cfg(feature = "nalgebra")]
mod nalgebra;
pub mod onnx;
pub mod optim;
pub mod random;
pub mod running;
pub(crate) mod scalar;
pub mod sequences;
pub mod shape;
pub mod summary;
pub(crate) mod tensor;
