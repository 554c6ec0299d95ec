//! Saving and loading weights: a round trip, and every way a file can be
//! wrong, each an error naming the tensor, never a panic.

use std::path::PathBuf;

use shapegrad::io::WeightsError;
use shapegrad::prelude::*;

dims! { D = 3; H = 4; }

net! { net Layer { param W: [H, D]; param b: [H]; input x: [D]; loss sum(W @ x + b); } }
net! { net Transposed { param W: [D, H]; param b: [H]; input x: [H]; loss sum(W @ x) + sum(b); } }
net! { net NoBias { param W: [H, D]; input x: [D]; loss sum(W @ x); } }
net! { net Extra { param W: [H, D]; param b: [H]; param c: [D]; input x: [D]; loss sum(W @ x + b) + sum(c); } }

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shapegrad-weights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn round_trip_keeps_every_value() {
    let path = temp("layer.safetensors");
    let mut net = Layer::<f32>::init(11);
    net.b = Vector::from_slice(&[0.5, -1.25, 3.0, 1e-7]).unwrap();
    net.save(&path).unwrap();
    assert_eq!(Layer::<f32>::load(&path).unwrap(), net);
    let net64 = net.cast::<f64>();
    net64.save(&path).unwrap();
    assert_eq!(Layer::<f64>::load(&path).unwrap(), net64);
}

#[test]
fn a_wrong_shape_names_the_tensor_and_both_shapes() {
    let path = temp("transposed.safetensors");
    Transposed::<f32>::init(1).save(&path).unwrap();
    let err = Layer::<f32>::load(&path).unwrap_err();
    assert!(matches!(err, WeightsError::Shape { name: "W", .. }));
    assert_eq!(err.to_string(), "tensor `W`: expected shape [4, 3], found [3, 4]");
}

#[test]
fn a_missing_tensor_is_named() {
    let path = temp("nobias.safetensors");
    NoBias::<f32>::init(1).save(&path).unwrap();
    let err = Layer::<f32>::load(&path).unwrap_err();
    assert_eq!(err.to_string(), "tensor `b` is missing; the file has `W`");
}

#[test]
fn an_unexpected_tensor_is_named() {
    let path = temp("extra.safetensors");
    Extra::<f32>::init(1).save(&path).unwrap();
    let err = Layer::<f32>::load(&path).unwrap_err();
    assert_eq!(err.to_string(), "tensor `c` is not a param of this net");
}

#[test]
fn a_wrong_dtype_is_named() {
    let path = temp("f64.safetensors");
    Layer::<f64>::init(1).save(&path).unwrap();
    let err = Layer::<f32>::load(&path).unwrap_err();
    assert_eq!(err.to_string(), "tensor `W`: expected dtype F32 (the net's element type), found F64");
}

#[test]
fn corrupt_and_missing_files_are_errors() {
    let path = temp("corrupt.safetensors");
    let bytes = shapegrad::io::to_bytes(&Layer::<f32>::init(1));
    for cut in [0, 7, 8, 20, bytes.len() - 1] {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let err = Layer::<f32>::load(&path).unwrap_err();
        assert!(matches!(err, WeightsError::Corrupt { .. }), "cut at {cut}: {err}");
        assert!(err.to_string().starts_with("not a valid safetensors file: "));
    }
    let mut garbage = bytes.clone();
    garbage[10] ^= 0xff;
    std::fs::write(&path, &garbage).unwrap();
    assert!(Layer::<f32>::load(&path).is_err());

    let missing = temp("does-not-exist.safetensors");
    let err = Layer::<f32>::load(&missing).unwrap_err();
    assert!(matches!(err, WeightsError::Io { .. }));
    assert!(err.to_string().contains("does-not-exist.safetensors"), "{err}");
}
