//! Weights saved and loaded as safetensors: one tensor per param, named as
//! the param, a matrix as a 2-D tensor and a column vector (`[N]`) as a 1-D
//! one, in the net's element type (`F32` or `F64`). `net!` generates `save`
//! and `load` methods that call these functions.
//!
//! A file records the net that saved it (its name and a hash of its
//! structure, in the safetensors metadata), and loading checks it: the
//! weights of another net are an error naming both ([`Identity::Ignore`]
//! loads them anyway). Loading checks every tensor: a missing or unexpected
//! tensor, a wrong shape, a wrong dtype, a NaN or an infinity, or a corrupt
//! file is an error that names the tensor and says what was expected and
//! what was found. [`save_optimizer`] and [`load_optimizer`] do the same for
//! an optimizer's state, so a training run can resume.
//!
//! ```
//! use shapegrad::prelude::*;
//! dims! { H = 3; D = 2; }
//! net! { net Layer { param W: [H, D]; param b: [H]; input x: [D]; loss sum(W @ x + b); } }
//!
//! let net = Layer::<f32>::init(7);
//! let bytes = shapegrad::io::to_bytes(&net);
//! let mut back = Layer::<f32>::zeros();
//! shapegrad::io::from_bytes(&mut back, &bytes).unwrap();
//! assert_eq!(back, net);
//!
//! let err = shapegrad::io::from_bytes(&mut Layer::<f64>::zeros(), &bytes).unwrap_err();
//! assert_eq!(err.to_string(), "tensor `W`: expected dtype F64 (the net's element type), found F32");
//! ```

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::Scalar;
use crate::optim::Params;

mod optimizer;
pub use optimizer::{load_optimizer, optimizer_from_bytes, optimizer_to_bytes, save_optimizer};

/// What went wrong reading or writing weights; its message names the tensor
/// and says what was expected and what was found.
///
/// ```
/// use shapegrad::io::WeightsError;
/// use shapegrad::prelude::*;
/// dims! { N = 2; }
/// net! { net Fit { param w: [N]; input c: [N]; loss sum(square(w - c)); } }
/// let err = Fit::<f32>::load("no-such-file.safetensors").unwrap_err();
/// assert!(matches!(err, WeightsError::Io { .. }));
/// let err = shapegrad::io::from_bytes(&mut Fit::<f32>::zeros(), b"junk").unwrap_err();
/// assert!(matches!(err, WeightsError::Corrupt { .. }));
/// ```
#[derive(Debug)]
pub enum WeightsError {
    /// The file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The bytes are not a valid safetensors file.
    Corrupt {
        /// What the safetensors reader said.
        reason: String,
    },
    /// A param of the net has no tensor in the file.
    MissingTensor {
        /// The param.
        name: &'static str,
        /// The tensors the file has.
        found: Vec<String>,
    },
    /// The file has a tensor that is not a param of the net.
    UnexpectedTensor {
        /// The tensor.
        name: String,
    },
    /// A tensor has the wrong shape.
    Shape {
        /// The tensor.
        name: &'static str,
        /// The param's shape.
        expected: Vec<usize>,
        /// The tensor's shape.
        found: Vec<usize>,
    },
    /// A tensor holds a NaN or an infinity (refused unless the caller
    /// allows it: [`from_bytes_with`] and [`Finite::Allow`]).
    NonFinite {
        /// The tensor.
        name: &'static str,
        /// The first such element, in row-major order.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// The file was saved by another net (another name, or the same name
    /// and another structure: other ops or shapes). [`load_with`] and
    /// [`Identity::Ignore`] load it anyway when its tensors fit.
    OtherNet {
        /// The net that saved the file, and the hash of its structure.
        file: (String, String),
        /// This net, and the hash of its structure.
        this: (&'static str, String),
    },
    /// An optimizer's state file is for another optimizer.
    OtherOptimizer {
        /// The optimizer that saved it.
        file: String,
        /// This one.
        this: &'static str,
    },
    /// A tensor has the wrong element type.
    Dtype {
        /// The tensor.
        name: &'static str,
        /// The net's element type.
        expected: &'static str,
        /// The tensor's element type.
        found: String,
    },
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeightsError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            WeightsError::Corrupt { reason } => write!(f, "not a valid safetensors file: {reason}"),
            WeightsError::MissingTensor { name, found } => {
                write!(f, "tensor `{name}` is missing; the file has {}", list(found))
            }
            WeightsError::UnexpectedTensor { name } => {
                write!(f, "tensor `{name}` is not a param of this net")
            }
            WeightsError::Shape { name, expected, found } => {
                write!(f, "tensor `{name}`: expected shape {expected:?}, found {found:?}")
            }
            WeightsError::NonFinite { name, index, value } => write!(
                f,
                "tensor `{name}`: element {index} (row-major) is {value}; weights must be finite (io::from_bytes_with and Finite::Allow accept it)"
            ),
            WeightsError::OtherNet { file, this } => {
                if file.0 == this.0 {
                    write!(
                        f,
                        "these weights are of another net `{}` (structure {}); this `{}` has structure {}: other ops or shapes under the same name (io::load_with and Identity::Ignore load them anyway)",
                        file.0, file.1, this.0, this.1
                    )
                } else {
                    write!(
                        f,
                        "these weights are of net `{}`, not `{}` (io::load_with and Identity::Ignore load them anyway)",
                        file.0, this.0
                    )
                }
            }
            WeightsError::OtherOptimizer { file, this } => {
                write!(f, "this optimizer state is of {file}, not {this}")
            }
            WeightsError::Dtype { name, expected, found } => {
                write!(
                    f,
                    "tensor `{name}`: expected dtype {expected} (the net's element type), found {found}"
                )
            }
        }
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "no tensors".into()
    } else {
        names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
    }
}

impl std::error::Error for WeightsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WeightsError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn dtype_of<T: Scalar>() -> Dtype {
    if T::NAME == "f64" { Dtype::F64 } else { Dtype::F32 }
}

fn encode<T: Scalar>(values: &[T]) -> Vec<u8> {
    if T::NAME == "f64" {
        values.iter().flat_map(|x| x.to_f64().to_le_bytes()).collect()
    } else {
        values.iter().flat_map(|x| (x.to_f64() as f32).to_le_bytes()).collect()
    }
}

fn decode<T: Scalar>(bytes: &[u8], out: &mut [T]) {
    if T::NAME == "f64" {
        for (o, b) in out.iter_mut().zip(bytes.chunks_exact(8)) {
            *o = T::from_f64(f64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
        }
    } else {
        for (o, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
            *o = T::from_f64(f64::from(f32::from_le_bytes(b.try_into().unwrap_or([0; 4]))));
        }
    }
}

/// The first element of a tensor's bytes (of `T`'s dtype) that is a NaN or
/// an infinity, with its value.
fn first_non_finite<T: Scalar>(bytes: &[u8]) -> Option<(usize, f64)> {
    let values: Box<dyn Iterator<Item = f64>> = if T::NAME == "f64" {
        Box::new(bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))))
    } else {
        Box::new(bytes.chunks_exact(4).map(|b| f64::from(f32::from_le_bytes(b.try_into().unwrap_or([0; 4])))))
    };
    values.enumerate().find(|(_, v)| !v.is_finite())
}

/// The params as the bytes of a safetensors file.
pub fn to_bytes<T: Scalar, P: Params<T>>(params: &P) -> Vec<u8> {
    let mut tensors: Vec<(&'static str, Vec<usize>, Vec<u8>)> = Vec::new();
    params.visit(&mut |p| tensors.push((p.name, p.shape.dims().to_vec(), encode(p.values))));
    params.visit_state(&mut |p| tensors.push((p.name, p.shape.dims().to_vec(), encode(p.values))));
    let views: Vec<(&str, TensorView<'_>)> = tensors
        .iter()
        .filter_map(|(name, shape, data)| {
            Some((*name, TensorView::new(dtype_of::<T>(), shape.clone(), data).ok()?))
        })
        .collect();
    let metadata = params.identity().map(|(name, hash)| {
        HashMap::from([(NET_KEY.to_string(), name.to_string()), (STRUCTURE_KEY.to_string(), hex(hash))])
    });
    // The views are built from the params' own sizes, so the writer cannot fail.
    safetensors::serialize(views, metadata.map(|m| m.into_iter().collect())).unwrap_or_default()
}

/// The metadata keys of a net's identity in a weights file.
const NET_KEY: &str = "shapegrad.net";
const STRUCTURE_KEY: &str = "shapegrad.structure";

fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}

/// Whether a weights file must have been saved by this net.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Identity {
    /// A file saved by a net of another name or structure is an error
    /// ([`WeightsError::OtherNet`]); a file that records no net (written
    /// by other tools) is checked by its tensors alone.
    #[default]
    Require,
    /// Any file whose tensors fit is loaded.
    Ignore,
}

/// The checks of loading; the default checks everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checks {
    /// Whether NaN and infinities are refused.
    pub finite: Finite,
    /// Whether the file must be of this net.
    pub identity: Identity,
}

/// The net a weights file records, if any: its name and structure hash.
fn file_identity(bytes: &[u8]) -> Option<(String, String)> {
    let (_, metadata) = SafeTensors::read_metadata(bytes).ok()?;
    let info = metadata.metadata().as_ref()?;
    Some((info.get(NET_KEY)?.clone(), info.get(STRUCTURE_KEY)?.clone()))
}

/// Whether weights may hold NaN or infinities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Finite {
    /// A NaN or an infinity is an error naming the tensor and the element.
    #[default]
    Require,
    /// Any value is loaded as it is.
    Allow,
}

/// Reads every param from the bytes of a safetensors file; a NaN or an
/// infinity is an error ([`WeightsError::NonFinite`]).
///
/// # Errors
/// See [`WeightsError`]; on error the params may be partly overwritten (a
/// tensor holding a non-finite value is not written).
pub fn from_bytes<T: Scalar, P: Params<T>>(params: &mut P, bytes: &[u8]) -> Result<(), WeightsError> {
    from_bytes_with(params, bytes, Finite::Require)
}

/// [`from_bytes`], with non-finite values allowed or not.
///
/// ```
/// use shapegrad::io::{Finite, WeightsError, from_bytes, from_bytes_with, to_bytes};
/// use shapegrad::prelude::*;
/// dims! { N = 3; }
/// net! { net Fit { param w: [N]; input c: [N]; loss sum(square(w - c)); } }
/// let mut net = Fit::<f32>::zeros();
/// net.w[1] = f32::NAN;
/// let bytes = to_bytes(&net);
/// let err = from_bytes(&mut Fit::<f32>::zeros(), &bytes).unwrap_err();
/// assert!(matches!(err, WeightsError::NonFinite { name: "w", index: 1, .. }));
/// assert!(from_bytes_with(&mut Fit::<f32>::zeros(), &bytes, Finite::Allow).is_ok());
/// ```
///
/// # Errors
/// As [`from_bytes`].
pub fn from_bytes_with<T: Scalar, P: Params<T>>(
    params: &mut P,
    bytes: &[u8],
    finite: Finite,
) -> Result<(), WeightsError> {
    from_bytes_checked(params, bytes, Checks { finite, identity: Identity::Require })
}

/// [`from_bytes`] with the checks `checks`.
///
/// ```
/// use shapegrad::io::{Checks, Identity, WeightsError, from_bytes, from_bytes_checked, to_bytes};
/// use shapegrad::prelude::*;
/// dims! { N = 3; }
/// net! { net Swish { param w: [N]; input x: [N]; loss sum(swish(w * x)); } }
/// net! { net Relu { param w: [N]; input x: [N]; loss sum(relu(w * x)); } }
/// let bytes = to_bytes(&Swish::<f32>::init(1));
/// let err = from_bytes(&mut Relu::<f32>::zeros(), &bytes).unwrap_err();
/// assert!(err.to_string().starts_with("these weights are of net `Swish`, not `Relu`"));
/// let anyway = Checks { identity: Identity::Ignore, ..Checks::default() };
/// assert!(from_bytes_checked(&mut Relu::<f32>::zeros(), &bytes, anyway).is_ok());
/// ```
///
/// # Errors
/// As [`from_bytes`].
pub fn from_bytes_checked<T: Scalar, P: Params<T>>(
    params: &mut P,
    bytes: &[u8],
    checks: Checks,
) -> Result<(), WeightsError> {
    let finite = checks.finite;
    let file =
        SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Corrupt { reason: e.to_string() })?;
    if let (Identity::Require, Some((name, hash)), Some(file)) =
        (checks.identity, params.identity(), file_identity(bytes))
        && (file.0 != name || file.1 != hex(hash))
    {
        return Err(WeightsError::OtherNet { file, this: (name, hex(hash)) });
    }
    let mut names: Vec<String> = file.names().into_iter().map(String::from).collect();
    names.sort();
    let mut result = Ok(());
    let mut seen = Vec::new();
    let mut read = |p: crate::optim::ParamMut<'_, T>| {
        if result.is_err() {
            return;
        }
        seen.push(p.name);
        let expected = p.shape.dims().to_vec();
        result = match file.tensor(p.name) {
            Err(_) => Err(WeightsError::MissingTensor { name: p.name, found: names.clone() }),
            Ok(t) if t.dtype() != dtype_of::<T>() => Err(WeightsError::Dtype {
                name: p.name,
                expected: T::NAME_UPPER,
                found: format!("{:?}", t.dtype()),
            }),
            Ok(t) if t.shape() != expected.as_slice() => {
                Err(WeightsError::Shape { name: p.name, expected, found: t.shape().to_vec() })
            }
            Ok(t) => match first_non_finite::<T>(t.data()).filter(|_| finite == Finite::Require) {
                Some((index, value)) => Err(WeightsError::NonFinite { name: p.name, index, value }),
                None => {
                    decode(t.data(), p.values);
                    Ok(())
                }
            },
        };
    };
    params.visit_mut(&mut read);
    params.visit_state_mut(&mut read);
    result?;
    if let Some(extra) = names.into_iter().find(|n| !seen.contains(&n.as_str())) {
        return Err(WeightsError::UnexpectedTensor { name: extra });
    }
    Ok(())
}

/// Writes the params to a safetensors file.
///
/// ```
/// use shapegrad::prelude::*;
/// dims! { N = 2; }
/// net! { net Fit { param w: [N]; input c: [N]; loss sum(square(w - c)); } }
///
/// let path = std::env::temp_dir().join("shapegrad-doc-fit.safetensors");
/// let net = Fit::<f32>::init(1);
/// shapegrad::io::save(&net, &path).unwrap(); // or net.save(&path)
/// let mut back = Fit::<f32>::zeros();
/// shapegrad::io::load(&mut back, &path).unwrap(); // or Fit::load(&path)
/// assert_eq!(back, net);
/// ```
///
/// # Errors
/// [`WeightsError::Io`] when the file cannot be written.
pub fn save<T: Scalar, P: Params<T>>(params: &P, path: impl AsRef<Path>) -> Result<(), WeightsError> {
    let path = path.as_ref();
    std::fs::write(path, to_bytes(params))
        .map_err(|source| WeightsError::Io { path: path.to_path_buf(), source })
}

/// Reads every param from a safetensors file.
///
/// # Errors
/// [`WeightsError::Io`] when the file cannot be read, and the errors of [`from_bytes`].
pub fn load<T: Scalar, P: Params<T>>(params: &mut P, path: impl AsRef<Path>) -> Result<(), WeightsError> {
    load_with(params, path, Checks::default())
}

/// [`load`] with the checks `checks` (for example a file of another net
/// whose tensors fit: `Checks { identity: Identity::Ignore, ..Checks::default() }`).
///
/// # Errors
/// As [`load`].
pub fn load_with<T: Scalar, P: Params<T>>(
    params: &mut P,
    path: impl AsRef<Path>,
    checks: Checks,
) -> Result<(), WeightsError> {
    let path = path.as_ref();
    let bytes =
        std::fs::read(path).map_err(|source| WeightsError::Io { path: path.to_path_buf(), source })?;
    from_bytes_checked(params, &bytes, checks)
}
