use std::fmt;
use std::path::PathBuf;

/// What went wrong reading a dataset; its message names the file and says
/// what was expected and what was found.
///
/// ```
/// use shapegrad::data::mnist::{Split, load};
/// use shapegrad::data::DataError;
/// match load("no-such-dir", Split::Train) {
///     Err(DataError::Missing { path, .. }) => assert!(path.ends_with("train-images-idx3-ubyte")),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug)]
pub enum DataError {
    /// A file the dataset needs does not exist.
    Missing {
        /// The file looked for.
        path: PathBuf,
        /// Where to get it.
        hint: &'static str,
    },
    /// A file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file does not start with the magic number of its format.
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The magic number of the format.
        expected: u32,
        /// The file's first four bytes.
        found: u32,
    },
    /// A size in a file, or of the data, is not what it must be.
    Shape {
        /// What was measured, in words.
        what: String,
        /// The size it must be.
        expected: usize,
        /// The size found.
        found: usize,
    },
    /// A label is not below the number of classes.
    Label {
        /// The example.
        position: usize,
        /// Its label.
        label: usize,
        /// The number of classes.
        classes: usize,
    },
    /// A line of a text file could not be read.
    Parse {
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Missing { path, hint } => write!(f, "{} not found; {hint}", path.display()),
            DataError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            DataError::BadMagic { path, expected, found } => write!(
                f,
                "{}: wrong magic number {found:#010x}, expected {expected:#010x}; is it the right IDX file?",
                path.display()
            ),
            DataError::Shape { what, expected, found } => {
                write!(f, "{what}: expected {expected}, found {found}")
            }
            DataError::Label { position, label, classes } => {
                write!(f, "label {label} of example {position} is not below the {classes} classes")
            }
            DataError::Parse { line, reason } => write!(f, "line {line}: {reason}"),
        }
    }
}

impl std::error::Error for DataError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DataError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
