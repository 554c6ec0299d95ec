//! Errors for values whose shape is only known at run time (slices, labels, files).

use core::fmt;

/// A run-time value did not fit the shape its type demands.
///
/// Every variant names the dimensions involved, so the message reads in the
/// user's own notation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShapeError {
    /// A slice had the wrong number of elements for a matrix.
    Length {
        /// Name of the row dimension.
        rows: &'static str,
        /// Name of the column dimension.
        cols: &'static str,
        /// Elements the matrix holds (rows × columns).
        expected: usize,
        /// Elements the slice had.
        found: usize,
    },
    /// A slice had the wrong number of elements for a tensor.
    TensorLength {
        /// The names of its dims (the first `rank`).
        dims: [&'static str; 4],
        /// How many dims it has (3 or 4).
        rank: usize,
        /// Elements the tensor holds (the product of its dims).
        expected: usize,
        /// Elements the slice had.
        found: usize,
    },
    /// A class index was not below the number of classes.
    ClassOutOfRange {
        /// Name of the class dimension.
        classes: &'static str,
        /// Number of classes.
        size: usize,
        /// The offending index.
        index: usize,
        /// Position of the label in a batch (`None` for a single label).
        position: Option<usize>,
    },
    /// A batch of labels had the wrong number of labels.
    LabelCount {
        /// Name of the batch dimension.
        batch: &'static str,
        /// Labels the batch holds.
        expected: usize,
        /// Labels given.
        found: usize,
    },
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ShapeError::Length { rows, cols: "1", expected, found } => {
                write!(f, "a [{rows}] vector holds {expected} values, found {found}")
            }
            ShapeError::Length { rows, cols, expected, found } => {
                write!(f, "a [{rows}×{cols}] matrix holds {expected} values (row-major), found {found}")
            }
            ShapeError::TensorLength { dims, rank, expected, found } => {
                let shape = dims[..rank.min(4)].join("×");
                write!(
                    f,
                    "a [{shape}] tensor holds {expected} values (row-major, the last index fastest), found {found}"
                )
            }
            ShapeError::ClassOutOfRange { classes, size, index, position } => {
                write!(f, "class index {index}")?;
                if let Some(p) = position {
                    write!(f, " (label {p})")?;
                }
                write!(f, " is out of range: `{classes}` has {size} classes, indices 0..{size}")
            }
            ShapeError::LabelCount { batch, expected, found } => {
                write!(f, "a batch of `{batch}` holds {expected} labels, found {found}")
            }
        }
    }
}

impl std::error::Error for ShapeError {}
