//! An optimizer's state as a safetensors file: each buffer a tensor named
//! `PARAM.KIND` (`W1.m`, `W1.v` for Adam) with the param's shape, and its
//! hyperparameters and counters in the metadata, so that a training run
//! resumed from the net's weights and this file continues bit for bit.

use std::collections::HashMap;
use std::path::Path;

use safetensors::tensor::{SafeTensors, TensorView};

use super::{WeightsError, decode, dtype_of, encode};
use crate::Scalar;
use crate::optim::{OptimizerState, Params};

const OPTIMIZER_KEY: &str = "shapegrad.optimizer";

/// Each param's name and shape, in the order optimizers index them.
fn param_shapes<T: Scalar, P: Params<T>>(net: &P) -> Vec<(&'static str, Vec<usize>)> {
    let mut out = Vec::new();
    net.visit(&mut |p| out.push((p.name, p.shape.dims().to_vec())));
    out
}

/// The state of `optimizer`, training `net`, as the bytes of a safetensors
/// file.
pub fn optimizer_to_bytes<T: Scalar, O: OptimizerState<T>, P: Params<T>>(optimizer: &O, net: &P) -> Vec<u8> {
    let params = param_shapes(net);
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (kind, buffers) in optimizer.buffers() {
        for ((name, shape), values) in params.iter().zip(buffers) {
            if !values.is_empty() {
                tensors.push((format!("{name}.{kind}"), shape.clone(), encode(values)));
            }
        }
    }
    let views: Vec<(&str, TensorView<'_>)> = tensors
        .iter()
        .filter_map(|(name, shape, data)| {
            Some((name.as_str(), TensorView::new(dtype_of::<T>(), shape.clone(), data).ok()?))
        })
        .collect();
    let mut metadata = HashMap::from([(OPTIMIZER_KEY.to_string(), optimizer.name().to_string())]);
    for (name, value) in optimizer.numbers() {
        // Rust prints the shortest decimal that reads back to the same f64.
        metadata.insert(format!("shapegrad.{name}"), value.to_string());
    }
    safetensors::serialize(views, Some(metadata.into_iter().collect())).unwrap_or_default()
}

/// Restores `optimizer`'s state, training `net`, from the bytes of
/// [`optimizer_to_bytes`]: its numbers and every buffer.
///
/// ```
/// use shapegrad::io::{optimizer_from_bytes, optimizer_to_bytes};
/// use shapegrad::optim::{Adam, Momentum, Optimizer};
/// use shapegrad::prelude::*;
/// dims! { N = 2; }
/// net! { net Fit { param w: [N]; input c: [N]; loss sum(square(w - c)); } }
/// let (mut net, c) = (Fit::<f32>::zeros(), Vector::<N>::from_slice(&[1., 2.]).unwrap());
/// let mut adam = Adam::new(0.1);
/// let (_, g) = net.grad(&c);
/// adam.step(&mut net, &g);
/// let bytes = optimizer_to_bytes(&adam, &net);
/// let mut resumed = Adam::new(0.5); // its numbers come from the file
/// optimizer_from_bytes(&mut resumed, &net, &bytes).unwrap();
/// assert_eq!((resumed.steps(), resumed.lr), (1, 0.1));
/// let err = optimizer_from_bytes(&mut Momentum::new(0.1), &net, &bytes).unwrap_err();
/// assert_eq!(err.to_string(), "this optimizer state is of Adam, not Momentum");
/// ```
///
/// # Errors
/// [`WeightsError::Corrupt`] for bytes that are not such a file,
/// [`WeightsError::OtherOptimizer`] for another optimizer's state, and the
/// tensor errors of [`super::from_bytes`] (a buffer of the wrong shape or
/// dtype, a tensor that names no param, a non-finite value).
pub fn optimizer_from_bytes<T: Scalar, O: OptimizerState<T>, P: Params<T>>(
    optimizer: &mut O,
    net: &P,
    bytes: &[u8],
) -> Result<(), WeightsError> {
    let corrupt = |reason: String| WeightsError::Corrupt { reason };
    let file = SafeTensors::deserialize(bytes).map_err(|e| corrupt(e.to_string()))?;
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| corrupt(e.to_string()))?;
    let info = metadata.metadata().clone().unwrap_or_default();
    let saved_by = info.get(OPTIMIZER_KEY).cloned().unwrap_or_else(|| "no optimizer".into());
    if saved_by != optimizer.name() {
        return Err(WeightsError::OtherOptimizer { file: saved_by, this: optimizer.name() });
    }
    for (name, _) in optimizer.numbers() {
        let key = format!("shapegrad.{name}");
        let value = info.get(&key).and_then(|v| v.parse::<f64>().ok());
        let value = value.ok_or_else(|| corrupt(format!("the metadata has no number `{key}`")))?;
        optimizer.set_number(name, value);
    }
    let params = param_shapes(net);
    let mut expected = Vec::new();
    for (kind, buffers) in optimizer.buffers_mut() {
        buffers.resize_with(params.len(), Vec::new);
        for ((name, shape), values) in params.iter().zip(buffers.iter_mut()) {
            let tensor_name = format!("{name}.{kind}");
            values.clear();
            if let Ok(t) = file.tensor(&tensor_name) {
                if t.dtype() != dtype_of::<T>() {
                    return Err(WeightsError::Dtype {
                        name,
                        expected: T::NAME_UPPER,
                        found: format!("{:?}", t.dtype()),
                    });
                }
                if t.shape() != shape.as_slice() {
                    return Err(WeightsError::Shape {
                        name,
                        expected: shape.clone(),
                        found: t.shape().to_vec(),
                    });
                }
                if let Some((index, value)) = super::first_non_finite::<T>(t.data()) {
                    return Err(WeightsError::NonFinite { name, index, value });
                }
                values.resize(shape.iter().product(), T::ZERO);
                decode(t.data(), values);
            }
            expected.push(tensor_name);
        }
    }
    if let Some(extra) = file.names().into_iter().find(|n| !expected.iter().any(|e| e == n)) {
        return Err(WeightsError::UnexpectedTensor { name: extra.to_string() });
    }
    Ok(())
}

/// Writes `optimizer`'s state, training `net`, to a safetensors file.
///
/// # Errors
/// [`WeightsError::Io`] when the file cannot be written.
pub fn save_optimizer<T: Scalar, O: OptimizerState<T>, P: Params<T>>(
    optimizer: &O,
    net: &P,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    std::fs::write(path, optimizer_to_bytes(optimizer, net))
        .map_err(|source| WeightsError::Io { path: path.to_path_buf(), source })
}

/// Restores `optimizer`'s state, training `net`, from a file of
/// [`save_optimizer`].
///
/// # Errors
/// [`WeightsError::Io`] when the file cannot be read, and the errors of
/// [`optimizer_from_bytes`].
pub fn load_optimizer<T: Scalar, O: OptimizerState<T>, P: Params<T>>(
    optimizer: &mut O,
    net: &P,
    path: impl AsRef<Path>,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).map_err(|source| WeightsError::Io { path: path.to_path_buf(), source })?;
    optimizer_from_bytes(optimizer, net, &bytes)
}
