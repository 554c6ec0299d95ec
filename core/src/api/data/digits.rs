//! The handwritten digits set: 1,797 images of 8×8 pixels, 10 classes,
//! embedded in the library (57 KB, see `core/data/README.md` for its source
//! and licence). Pixel values 0–16 are scaled to [0, 1].

use std::io::Read;

use flate2::read::GzDecoder;

use super::{DataError, Dataset, Digit};
use crate::Dim;

/// The 64 pixels of an 8×8 digit, row by row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Pixels;

impl Dim for Pixels {
    type Size = typenum::U64;
    const NAME: &'static str = "Pixels";
}

/// The 8 rows of a digit's image, `[Rows, Cols]` = `[8, 8]`: a digit as a
/// rank-3 value is `[One, Rows, Cols]` (see `Dataset::images_into`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rows;

impl Dim for Rows {
    type Size = typenum::U8;
    const NAME: &'static str = "Rows";
}

/// The 8 columns of a digit's image.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Cols;

impl Dim for Cols {
    type Size = typenum::U8;
    const NAME: &'static str = "Cols";
}

/// The digits set's type: 64 pixels, a label in 0..10.
pub type Digits = Dataset<Pixels, Digit>;

/// The file as shipped by scikit-learn: one example per line, 64 pixels then the label.
const DIGITS_CSV_GZ: &[u8] = include_bytes!("../../../data/digits.csv.gz");

/// The seed of the shuffle before the fixed split.
pub const SPLIT_SEED: u64 = 2024;
/// The number of test examples in the fixed split (20%).
pub const TEST_SIZE: usize = 360;

/// All 1,797 examples, in the file's order.
///
/// ```
/// let digits = shapegrad::data::digits::load().unwrap();
/// assert_eq!(digits.len(), 1797);
/// assert_eq!(digits.label(0).index(), 0);
/// ```
///
/// # Errors
/// [`DataError::Parse`] if the embedded file were damaged (it is checked by
/// this crate's tests).
pub fn load() -> Result<Digits, DataError> {
    parse(DIGITS_CSV_GZ)
}

/// The fixed split: the examples shuffled with [`SPLIT_SEED`], then the
/// first 1,437 for training and the last [`TEST_SIZE`] (360) for testing.
///
/// ```
/// let (train, test) = shapegrad::data::digits::train_test().unwrap();
/// assert_eq!((train.len(), test.len()), (1437, 360));
/// ```
///
/// # Errors
/// As [`load`].
pub fn train_test() -> Result<(Digits, Digits), DataError> {
    let all = load()?.shuffled(SPLIT_SEED);
    Ok(all.split_at(all.len() - TEST_SIZE))
}

fn parse(gz: &[u8]) -> Result<Digits, DataError> {
    let mut text = String::new();
    GzDecoder::new(gz)
        .read_to_string(&mut text)
        .map_err(|e| DataError::Parse { line: 0, reason: format!("not a gzip-compressed text file: {e}") })?;
    let mut features = Vec::new();
    let mut labels = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let values: Vec<&str> = line.split(',').collect();
        if values.len() != Pixels::SIZE + 1 {
            return Err(DataError::Parse {
                line: n + 1,
                reason: format!("{} values, expected 65", values.len()),
            });
        }
        for v in &values[..Pixels::SIZE] {
            let pixel: f32 = v
                .trim()
                .parse()
                .map_err(|_| DataError::Parse { line: n + 1, reason: format!("`{v}` is not a number") })?;
            features.push(pixel / 16.0);
        }
        let label = values[Pixels::SIZE].trim();
        labels.push(label.parse().map_err(|_| DataError::Parse {
            line: n + 1,
            reason: format!("label `{label}` is not a digit"),
        })?);
    }
    Dataset::new(features, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_file_has_every_digit() {
        let d = load().unwrap();
        assert_eq!(d.len(), 1797);
        let mut counts = [0; 10];
        for i in 0..d.len() {
            counts[d.label(i).index()] += 1;
            assert!(d.features(i).iter().all(|&p| (0.0..=1.0).contains(&p)));
        }
        assert!(counts.iter().all(|&c| (174..=183).contains(&c)), "{counts:?}");
        // The first image of the file is a 0: a ring of ink around an empty centre.
        assert_eq!(d.label(0).index(), 0);
        assert_eq!(d.features(0)[..8], [0.0, 0.0, 5.0 / 16.0, 13.0 / 16.0, 9.0 / 16.0, 1.0 / 16.0, 0.0, 0.0]);
        assert_eq!(d.features(0)[3 * 8 + 3], 0.0);
    }

    #[test]
    fn the_split_is_fixed_and_disjoint() {
        let (train, test) = train_test().unwrap();
        assert_eq!((train.len(), test.len()), (1437, 360));
        assert_eq!(train_test().unwrap().1, test);
        let key = |d: &Digits, i: usize| d.features(i).iter().map(|p| p.to_bits()).collect::<Vec<_>>();
        let train_keys: std::collections::HashSet<_> = (0..train.len()).map(|i| key(&train, i)).collect();
        let overlap = (0..test.len()).filter(|&i| train_keys.contains(&key(&test, i))).count();
        assert!(overlap <= 1, "{overlap} test images also in the training set");
    }

    #[test]
    fn damaged_files_are_errors() {
        assert!(matches!(parse(b"not gzip"), Err(DataError::Parse { line: 0, .. })));
        let gz = |s: &str| {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(s.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let err = parse(&gz("1,2,3\n")).unwrap_err();
        assert_eq!(err.to_string(), "line 1: 3 values, expected 65");
        let row = |label: &str| format!("{}{label}\n", "0,".repeat(64));
        assert_eq!(
            parse(&gz(&(row("3") + &row("x")))).unwrap_err().to_string(),
            "line 2: label `x` is not a digit"
        );
        assert_eq!(
            parse(&gz(&row("12"))).unwrap_err().to_string(),
            "label 12 of example 0 is not below the 10 classes"
        );
    }
}
