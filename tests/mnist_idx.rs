//! The MNIST IDX reader on small files written here: the values it reads,
//! and an error naming the file for each way the files can be wrong.

use std::io::Write;
use std::path::{Path, PathBuf};

use shapegrad::data::DataError;
use shapegrad::data::mnist::{Split, load};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("shapegrad-mnist-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn images(n: u32, rows: u32, cols: u32, magic: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    for v in [magic, n, rows, cols] {
        bytes.extend(v.to_be_bytes());
    }
    for i in 0..n * rows * cols {
        bytes.push((i % 256) as u8);
    }
    bytes
}

fn labels(values: &[u8], magic: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend(magic.to_be_bytes());
    bytes.extend((values.len() as u32).to_be_bytes());
    bytes.extend(values);
    bytes
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn reads_images_and_labels_plain_and_gzipped() {
    let d = dir("ok");
    write(&d, "t10k-images-idx3-ubyte", &images(3, 28, 28, 0x803));
    write(&d, "t10k-labels-idx1-ubyte", &labels(&[7, 2, 1], 0x801));
    let test = load(&d, Split::Test).unwrap();
    assert_eq!(test.len(), 3);
    assert_eq!(test.label(2).index(), 1);
    // Image 1 starts at pixel 784, whose value is 784 % 256 = 16.
    assert_eq!(test.features(1)[0], 16.0 / 255.0);
    assert_eq!(test.features(0)[255], 1.0);

    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&images(2, 28, 28, 0x803)).unwrap();
    write(&d, "train-images-idx3-ubyte.gz", &gz.finish().unwrap());
    write(&d, "train-labels-idx1-ubyte", &labels(&[0, 9], 0x801));
    let train = load(&d, Split::Train).unwrap();
    assert_eq!((train.len(), train.label(1).index()), (2, 9));
}

#[test]
fn a_missing_file_says_which_and_where() {
    let d = dir("missing");
    write(&d, "t10k-images-idx3-ubyte", &images(1, 28, 28, 0x803));
    let err = load(&d, Split::Test).unwrap_err();
    assert!(matches!(err, DataError::Missing { .. }));
    let msg = err.to_string();
    assert!(msg.contains(&d.join("t10k-labels-idx1-ubyte").display().to_string()), "{msg}");
    assert!(
        msg.ends_with("not found; put the four MNIST IDX files (optionally .gz) in this directory"),
        "{msg}"
    );
}

#[test]
fn a_wrong_magic_number_names_the_file() {
    let d = dir("magic");
    // The label file given in place of the image file.
    write(&d, "t10k-images-idx3-ubyte", &labels(&[1, 2], 0x801));
    write(&d, "t10k-labels-idx1-ubyte", &labels(&[1, 2], 0x801));
    let err = load(&d, Split::Test).unwrap_err();
    assert!(matches!(err, DataError::BadMagic { expected: 0x803, found: 0x801, .. }));
    assert!(
        err.to_string()
            .contains("t10k-images-idx3-ubyte: wrong magic number 0x00000801, expected 0x00000803"),
        "{err}"
    );
}

#[test]
fn size_mismatches_are_named() {
    let d = dir("sizes");
    write(&d, "t10k-labels-idx1-ubyte", &labels(&[1, 2], 0x801));
    write(&d, "t10k-images-idx3-ubyte", &images(2, 32, 32, 0x803));
    let err = load(&d, Split::Test).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("pixels per image (32×32; MNIST images are 28×28): expected 784, found 1024"),
        "{err}"
    );

    let mut truncated = images(2, 28, 28, 0x803);
    truncated.truncate(100);
    write(&d, "t10k-images-idx3-ubyte", &truncated);
    let err = load(&d, Split::Test).unwrap_err();
    assert!(
        err.to_string().ends_with("file length in bytes for 2 images: expected 1584, found 100"),
        "{err}"
    );

    write(&d, "t10k-images-idx3-ubyte", &[0, 0]);
    let err = load(&d, Split::Test).unwrap_err();
    assert!(err.to_string().ends_with("file length in bytes: expected 16, found 2"), "{err}");

    write(&d, "t10k-images-idx3-ubyte", &images(3, 28, 28, 0x803));
    let err = load(&d, Split::Test).unwrap_err();
    assert!(err.to_string().contains("has 2 labels for the 3 images"), "{err}");
}
