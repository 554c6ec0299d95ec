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
    /// A convolution's or a pool's output does not have the size its rule
    /// gives (boxed: the details are large and the error is rare).
    ConvOutput(Box<ConvMismatch>),
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
    /// A batch of label sequences had the wrong number of labels.
    SequenceCount {
        /// Name of the step dimension.
        steps: &'static str,
        /// Name of the batch dimension.
        batch: &'static str,
        /// Labels the batch holds (steps × examples).
        expected: usize,
        /// Labels given.
        found: usize,
    },
}

/// The details of [`ShapeError::ConvOutput`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvMismatch {
    /// `conv2d`, `maxpool2d` or `avgpool2d`.
    pub op: &'static str,
    /// The names of the input's height and width.
    pub input: [&'static str; 2],
    /// The kernel's (or the pool window's) height and width.
    pub kernel: [usize; 2],
    /// The stride.
    pub stride: usize,
    /// The zero padding.
    pub pad: usize,
    /// The output size the rule gives, `None` where the kernel does not fit.
    pub expected: (Option<usize>, Option<usize>),
    /// The names of the output's height and width.
    pub output: [&'static str; 2],
    /// The output's sizes.
    pub found: (usize, usize),
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
            ShapeError::ConvOutput(ref m) => {
                let ConvMismatch { op, input, kernel, stride, pad, expected, output, found } = **m;
                let side = |s: Option<usize>| {
                    s.map_or("nothing (the window does not fit)".to_string(), |s| s.to_string())
                };
                write!(
                    f,
                    "{op} of a [{}×{}] input with a {}×{} window, stride {stride}, pad {pad} gives [{}×{}], but the output is [{}×{}] = [{}×{}]",
                    input[0],
                    input[1],
                    kernel[0],
                    kernel[1],
                    side(expected.0),
                    side(expected.1),
                    output[0],
                    output[1],
                    found.0,
                    found.1
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
            ShapeError::SequenceCount { steps, batch, expected, found } => write!(
                f,
                "a batch of `{batch}` sequences of `{steps}` steps holds {expected} labels ([{steps}×{batch}], the example index last), found {found}"
            ),
        }
    }
}

impl std::error::Error for ShapeError {}
