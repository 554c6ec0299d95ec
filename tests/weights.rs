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

/// Loads a file of another net the way a user who means to does, so that
/// the tensor checks are what answers (by default the net's identity is).
fn load_other(path: &PathBuf) -> Result<Layer<f32>, WeightsError> {
    let default = Layer::<f32>::load(path).unwrap_err();
    assert!(matches!(default, WeightsError::OtherNet { .. }), "{default}");
    let mut net = Layer::<f32>::zeros();
    let anyway = shapegrad::io::Checks { identity: shapegrad::io::Identity::Ignore, ..Default::default() };
    shapegrad::io::load_with(&mut net, path, anyway).map(|()| net)
}

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
    let err = load_other(&path).unwrap_err();
    assert!(matches!(err, WeightsError::Shape { name: "W", .. }));
    assert_eq!(err.to_string(), "tensor `W`: expected shape [4, 3], found [3, 4]");
}

#[test]
fn a_missing_tensor_is_named() {
    let path = temp("nobias.safetensors");
    NoBias::<f32>::init(1).save(&path).unwrap();
    let err = load_other(&path).unwrap_err();
    assert_eq!(err.to_string(), "tensor `b` is missing; the file has `W`");
}

#[test]
fn an_unexpected_tensor_is_named() {
    let path = temp("extra.safetensors");
    Extra::<f32>::init(1).save(&path).unwrap();
    let err = load_other(&path).unwrap_err();
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

/// A net with a convolution's kernel bank and a bias, its `Params` written by
/// hand (as `net!` will write it for rank-3 and rank-4 params).
#[derive(Clone, Debug, PartialEq)]
struct Conv {
    k: Tensor4<H, D, D, D, f32>,
    b: Vector<H, f32>,
}

impl shapegrad::optim::Params<f32> for Conv {
    type Grad = Conv;

    fn visit(&self, f: &mut dyn FnMut(shapegrad::optim::ParamRef<'_, f32>)) {
        use shapegrad::optim::{ParamRef, ParamShape};
        f(ParamRef {
            name: "k",
            shape: ParamShape::new(&Tensor4::<H, D, D, D>::SHAPE),
            values: self.k.as_slice(),
        });
        f(ParamRef { name: "b", shape: ParamShape::new(&[H::SIZE]), values: self.b.as_slice() });
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(shapegrad::optim::ParamMut<'_, f32>)) {
        use shapegrad::optim::{ParamMut, ParamShape};
        f(ParamMut {
            name: "k",
            shape: ParamShape::new(&Tensor4::<H, D, D, D>::SHAPE),
            values: self.k.as_mut_slice(),
        });
        f(ParamMut { name: "b", shape: ParamShape::new(&[H::SIZE]), values: self.b.as_mut_slice() });
    }

    fn visit_with_grad(&mut self, g: &Conv, f: &mut dyn FnMut(shapegrad::optim::ParamMut<'_, f32>, &[f32])) {
        use shapegrad::optim::{ParamMut, ParamShape};
        let k = ParamMut {
            name: "k",
            shape: ParamShape::new(&Tensor4::<H, D, D, D>::SHAPE),
            values: self.k.as_mut_slice(),
        };
        f(k, g.k.as_slice());
        f(
            ParamMut { name: "b", shape: ParamShape::new(&[H::SIZE]), values: self.b.as_mut_slice() },
            g.b.as_slice(),
        );
    }
}

#[test]
fn rank_4_params_save_load_and_step() {
    use shapegrad::optim::{Optimizer, Sgd};
    let net = Conv {
        k: Tensor4::from_fn(|f, c, h, w| (f * 27 + c * 9 + h * 3 + w) as f32),
        b: Vector::from_element(0.5),
    };
    let bytes = shapegrad::io::to_bytes(&net);
    let mut back = Conv { k: Tensor4::zeros(), b: Vector::zeros() };
    shapegrad::io::from_bytes(&mut back, &bytes).unwrap();
    assert_eq!(back, net);
    // The file holds the kernel bank as a [4, 3, 3, 3] tensor: a bank of
    // another shape is refused, naming the tensor and both shapes.
    #[derive(Clone)]
    struct Wrong(Tensor4<H, D, D, H, f32>);
    impl shapegrad::optim::Params<f32> for Wrong {
        type Grad = ();
        fn visit(&self, _: &mut dyn FnMut(shapegrad::optim::ParamRef<'_, f32>)) {}
        fn visit_mut(&mut self, f: &mut dyn FnMut(shapegrad::optim::ParamMut<'_, f32>)) {
            let shape = shapegrad::optim::ParamShape::new(&Tensor4::<H, D, D, H>::SHAPE);
            f(shapegrad::optim::ParamMut { name: "k", shape, values: self.0.as_mut_slice() });
        }
        fn visit_with_grad(
            &mut self,
            _: &(),
            _: &mut dyn FnMut(shapegrad::optim::ParamMut<'_, f32>, &[f32]),
        ) {
        }
    }
    let err = shapegrad::io::from_bytes(&mut Wrong(Tensor4::zeros()), &bytes).unwrap_err();
    assert!(err.to_string().contains("tensor `k`: expected shape [4, 3, 3, 4], found [4, 3, 3, 3]"), "{err}");
    // One SGD step moves each element by −lr·g.
    let mut stepped = net.clone();
    let grad = Conv { k: Tensor4::from_element(1.0), b: Vector::from_element(2.0) };
    Sgd::new(0.5).step(&mut stepped, &grad);
    assert_eq!(stepped.k[(3, 2, 2, 2)], net.k[(3, 2, 2, 2)] - 0.5);
    assert_eq!(stepped.b[0], -0.5);
}

#[test]
fn non_finite_weights_are_refused_naming_the_tensor_and_element() {
    let path = temp("non-finite.safetensors");
    let mut net = Layer::<f64>::init(3);
    net.W[(2, 1)] = f64::INFINITY;
    net.save(&path).unwrap();
    let err = Layer::<f64>::load(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tensor `W`: element 7 (row-major) is inf; weights must be finite (io::from_bytes_with and Finite::Allow accept it)"
    );
    // The tensor holding it is not written; with Finite::Allow it loads as it is.
    let bytes = std::fs::read(&path).unwrap();
    let mut fresh = Layer::<f64>::zeros();
    assert!(shapegrad::io::from_bytes(&mut fresh, &bytes).is_err());
    assert!(fresh.W.as_slice().iter().all(|&w| w == 0.0));
    shapegrad::io::from_bytes_with(&mut fresh, &bytes, shapegrad::io::Finite::Allow).unwrap();
    assert_eq!(fresh.W[(2, 1)], f64::INFINITY);
}
