//! The standard MNIST files (IDX format), read from a directory the user
//! names: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
//! `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each possibly
//! gzip-compressed (`….gz`). Pixel values 0–255 are scaled to [0, 1].

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use super::{DataError, Dataset, Digit};
use crate::Dim;

/// The 784 pixels of a 28×28 MNIST image, row by row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Pixels;

impl Dim for Pixels {
    type Size = typenum::U784;
    const NAME: &'static str = "Pixels";
}

/// Which half of MNIST.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// The 60,000 training images.
    Train,
    /// The 10,000 test images.
    Test,
}

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;
const HINT: &str = "put the four MNIST IDX files (optionally .gz) in this directory";

/// Reads one split of MNIST from `dir`.
///
/// ```
/// use shapegrad::data::mnist::{Split, load};
/// // With the four files in `dir`, this returns 10,000 test images;
/// // without them, an error that says which file is missing.
/// let err = load("no-such-dir", Split::Test).unwrap_err();
/// assert!(err.to_string().starts_with("no-such-dir/t10k-images-idx3-ubyte not found"));
/// ```
///
/// # Errors
/// [`DataError::Missing`] when a file is absent, [`DataError::BadMagic`] when
/// a file is not the IDX file it should be, [`DataError::Shape`] when the
/// images are not 28×28, a file is shorter than its header says, or the
/// image and label counts differ, [`DataError::Io`] on a read error.
pub fn load(dir: impl AsRef<Path>, split: Split) -> Result<Dataset<Pixels, Digit>, DataError> {
    let prefix = match split {
        Split::Train => "train",
        Split::Test => "t10k",
    };
    let dir = dir.as_ref();
    let (images_path, images) = read(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let (labels_path, labels) = read(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let (n_images, pixels) = parse_images(&images_path, &images)?;
    let labels = parse_labels(&labels_path, &labels)?;
    if labels.len() != n_images {
        return Err(DataError::Shape {
            what: format!(
                "{} has {} labels for the {} images of {}",
                labels_path.display(),
                labels.len(),
                n_images,
                images_path.display()
            ),
            expected: n_images,
            found: labels.len(),
        });
    }
    Dataset::new(pixels, labels)
}

/// The dataset in the bytes of an images file and a labels file, each
/// plain IDX or gzip-compressed (told apart by gzip's magic bytes), as
/// [`load`] reads them from files.
///
/// ```
/// use shapegrad::data::mnist::from_bytes;
/// let mut images = vec![0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28];
/// images.extend([255u8; 784]);
/// let labels = [0, 0, 8, 1, 0, 0, 0, 1, 7];
/// let set = from_bytes(&images, &labels).unwrap();
/// assert_eq!((set.len(), set.label(0).index(), set.features(0)[0]), (1, 7, 1.0));
/// assert!(from_bytes(&images[..100], &labels).is_err());
/// ```
///
/// # Errors
/// As [`load`], the paths named `images` and `labels`.
pub fn from_bytes(images: &[u8], labels: &[u8]) -> Result<Dataset<Pixels, Digit>, DataError> {
    let unzip = |name: &str, bytes: &[u8]| -> Result<(PathBuf, Vec<u8>), DataError> {
        let path = PathBuf::from(name);
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .map_err(|source| DataError::Io { path: path.clone(), source })?;
            Ok((path, out))
        } else {
            Ok((path, bytes.to_vec()))
        }
    };
    let (images_path, images) = unzip("images", images)?;
    let (labels_path, labels) = unzip("labels", labels)?;
    let (n_images, pixels) = parse_images(&images_path, &images)?;
    let labels = parse_labels(&labels_path, &labels)?;
    if labels.len() != n_images {
        return Err(DataError::Shape {
            what: format!("{} labels for {} images", labels.len(), n_images),
            expected: n_images,
            found: labels.len(),
        });
    }
    Dataset::new(pixels, labels)
}

/// The bytes of `name` in `dir`, or of `name.gz` decompressed.
fn read(dir: &Path, name: &str) -> Result<(PathBuf, Vec<u8>), DataError> {
    let plain = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    let io = |path: PathBuf| move |source| DataError::Io { path, source };
    if plain.exists() {
        let bytes = std::fs::read(&plain).map_err(io(plain.clone()))?;
        Ok((plain, bytes))
    } else if gz.exists() {
        let mut bytes = Vec::new();
        let file = std::fs::File::open(&gz).map_err(io(gz.clone()))?;
        GzDecoder::new(file).read_to_end(&mut bytes).map_err(io(gz.clone()))?;
        Ok((gz, bytes))
    } else {
        Err(DataError::Missing { path: plain, hint: HINT })
    }
}

/// The big-endian u32 at `offset`, if the file is long enough.
fn be_u32(bytes: &[u8], offset: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(offset..offset + 4)?.try_into().ok()?))
}

fn header(path: &Path, bytes: &[u8], magic: u32, fields: usize) -> Result<Vec<usize>, DataError> {
    let short = |expected: usize| DataError::Shape {
        what: format!("{}: file length in bytes", path.display()),
        expected,
        found: bytes.len(),
    };
    let found = be_u32(bytes, 0).ok_or_else(|| short(4 + 4 * fields))?;
    if found != magic {
        return Err(DataError::BadMagic { path: path.to_path_buf(), expected: magic, found });
    }
    (0..fields)
        .map(|i| be_u32(bytes, 4 + 4 * i).map(|v| v as usize).ok_or_else(|| short(4 + 4 * fields)))
        .collect()
}

fn parse_images(path: &Path, bytes: &[u8]) -> Result<(usize, Vec<f32>), DataError> {
    let dims = header(path, bytes, IMAGES_MAGIC, 3)?;
    let (n, rows, cols) = (dims[0], dims[1], dims[2]);
    if rows * cols != Pixels::SIZE {
        return Err(DataError::Shape {
            what: format!("{}: pixels per image ({rows}×{cols}; MNIST images are 28×28)", path.display()),
            expected: Pixels::SIZE,
            found: rows * cols,
        });
    }
    let body = &bytes[16..];
    if body.len() != n * Pixels::SIZE {
        return Err(DataError::Shape {
            what: format!("{}: file length in bytes for {n} images", path.display()),
            expected: 16 + n * Pixels::SIZE,
            found: bytes.len(),
        });
    }
    Ok((n, body.iter().map(|&p| f32::from(p) / 255.0).collect()))
}

fn parse_labels(path: &Path, bytes: &[u8]) -> Result<Vec<usize>, DataError> {
    let n = header(path, bytes, LABELS_MAGIC, 1)?[0];
    let body = &bytes[8..];
    if body.len() != n {
        return Err(DataError::Shape {
            what: format!("{}: file length in bytes for {n} labels", path.display()),
            expected: 8 + n,
            found: bytes.len(),
        });
    }
    Ok(body.iter().map(|&l| usize::from(l)).collect())
}
