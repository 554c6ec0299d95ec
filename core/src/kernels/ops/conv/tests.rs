//! The convolution and pools against independent references and finite differences.
use super::*;
use crate::ops::{Pool, PoolGeometry, pool_backward, pool_forward};
use crate::testing::rng;
use rand::Rng;

crate::test_dims! { C = 2; H = 5; W = 7; F = 3; K = 3; OH = 3; OW = 4; PH = 5; PW = 7; H4 = 4; W6 = 6; H2 = 2; W3 = 3; }

fn random3<A: Dim, B: Dim, D: Dim>(g: &mut rand_pcg::Pcg64Mcg) -> Tensor3<A, B, D, f64> {
    Tensor3::from_fn(|_, _, _| g.random_range(-1.0..1.0))
}

/// The convolution written independently: the input copied into a
/// zero-padded array first, then seven plain loops with no bounds test.
fn reference(
    x: &Tensor3<C, H, W, f64>,
    k: &Tensor4<F, C, K, K, f64>,
    b: &[f64],
    s: usize,
    p: usize,
) -> Vec<f64> {
    let (hp, wp) = (H::SIZE + 2 * p, W::SIZE + 2 * p);
    let mut padded = vec![0.0; C::SIZE * hp * wp];
    for c in 0..C::SIZE {
        for h in 0..H::SIZE {
            for w in 0..W::SIZE {
                padded[(c * hp + h + p) * wp + w + p] = x[(c, h, w)];
            }
        }
    }
    let (oh, ow) = ((hp - K::SIZE) / s + 1, (wp - K::SIZE) / s + 1);
    let mut y = vec![0.0; F::SIZE * oh * ow];
    for f in 0..F::SIZE {
        for i in 0..oh {
            for j in 0..ow {
                let mut acc = b[f];
                for c in 0..C::SIZE {
                    for u in 0..K::SIZE {
                        for v in 0..K::SIZE {
                            acc += k[(f, c, u, v)] * padded[(c * hp + s * i + u) * wp + s * j + v];
                        }
                    }
                }
                y[(f * oh + i) * ow + j] = acc;
            }
        }
    }
    y
}

/// Central differences of `loss` in each element of `values`.
fn numeric(values: &mut [f64], mut loss: impl FnMut(&[f64]) -> f64) -> Vec<f64> {
    let eps = 1e-6;
    (0..values.len())
        .map(|i| {
            let keep = values[i];
            values[i] = keep + eps;
            let up = loss(values);
            values[i] = keep - eps;
            let down = loss(values);
            values[i] = keep;
            (up - down) / (2.0 * eps)
        })
        .collect()
}

fn close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= 1e-7 * (1.0 + y.abs()), "{what}[{i}]: {x} vs {y}");
    }
}

/// Forward against the reference, and the three adjoints against finite
/// differences of `Σ dy ⊙ conv2d(x, K) + b`, for one stride and padding.
fn check<OHt: Dim, OWt: Dim>(conv: Conv2d) {
    for seed in 0..4 {
        let mut g = rng(seed);
        let x: Tensor3<C, H, W, f64> = random3(&mut g);
        let k = Tensor4::<F, C, K, K, f64>::from_fn(|_, _, _, _| g.random_range(-1.0..1.0));
        let b = Vector::<F, f64>::from_fn(|_, _| g.random_range(-1.0..1.0));
        let dy: Tensor3<F, OHt, OWt, f64> = random3(&mut g);
        let mut y = Tensor3::<F, OHt, OWt, f64>::zeros();
        conv.forward_into(&x, &k, &b, &mut y).unwrap();
        close(y.as_slice(), &reference(&x, &k, b.as_slice(), conv.stride, conv.pad), "y");
        let (mut dx, mut dk, mut db) = (Tensor3::zeros(), Tensor4::zeros(), Vector::zeros());
        conv.vjp_into(&x, &k, &dy, &mut dx, &mut dk, &mut db).unwrap();
        let weighted = |y: Vec<f64>| y.iter().zip(dy.as_slice()).map(|(a, b)| a * b).sum::<f64>();
        let (s, p) = (conv.stride, conv.pad);
        let nx = numeric(&mut x.as_slice().to_vec(), |v| {
            weighted(reference(&Tensor3::from_slice(v).unwrap(), &k, b.as_slice(), s, p))
        });
        let nk = numeric(&mut k.as_slice().to_vec(), |v| {
            weighted(reference(&x, &Tensor4::from_slice(v).unwrap(), b.as_slice(), s, p))
        });
        let nb = numeric(&mut b.as_slice().to_vec(), |v| weighted(reference(&x, &k, v, s, p)));
        close(dx.as_slice(), &nx, "dx");
        close(dk.as_slice(), &nk, "dK");
        close(db.as_slice(), &nb, "db");
    }
}

#[test]
fn conv2d_matches_a_padded_reference_and_finite_differences() {
    // H ≠ W, C > 1: stride 1 pad 0 (3×5), stride 2 pad 0 (2×3), stride 2 pad 1 (3×4), stride 1 pad 1 (5×7).
    crate::test_dims! { O3 = 3; O5 = 5; O2 = 2; }
    check::<O3, O5>(Conv2d { stride: 1, pad: 0 });
    check::<O2, W3>(Conv2d { stride: 2, pad: 0 });
    check::<OH, OW>(Conv2d { stride: 2, pad: 1 });
    check::<PH, PW>(Conv2d { stride: 1, pad: 1 });
}

#[test]
fn a_wrong_output_size_is_an_error_naming_the_dims() {
    let (x, k, b) = (Tensor3::<C, H, W>::zeros(), Tensor4::<F, C, K, K>::zeros(), Vector::<F>::zeros());
    let err = Conv2d::default().forward_into(&x, &k, &b, &mut Tensor3::<F, H, W>::zeros()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "conv2d of a [H×W] input with a 3×3 window, stride 1, pad 0 gives [3×5], but the output is [H×W] = [5×7]"
    );
    let err = Pool::Max.forward_into(3, &Tensor3::<C, H4, W6>::zeros(), &mut Tensor3::<C, H2, W3>::zeros());
    assert!(err.unwrap_err().to_string().contains("gives [nothing (the window does not fit)×"));
    assert_eq!(Conv2d { stride: 0, pad: 0 }.out_size(5, 3), None);
    assert_eq!(Conv2d::default().out_size(2, 3), None);
}

#[test]
fn pools_take_the_max_or_mean_and_route_the_gradient() {
    let x = Tensor3::<C, H4, W6, f64>::from_fn(|c, h, w| ((c * 31 + h * 7 + w * 3) % 11) as f64);
    let mut hi = Tensor3::<C, H2, W3, f64>::zeros();
    let mut mean = hi.clone();
    Pool::Max.forward_into(2, &x, &mut hi).unwrap();
    Pool::Avg.forward_into(2, &x, &mut mean).unwrap();
    for (c, i, j) in [(0, 0, 0), (1, 1, 2)] {
        let w = [
            x[(c, 2 * i, 2 * j)],
            x[(c, 2 * i, 2 * j + 1)],
            x[(c, 2 * i + 1, 2 * j)],
            x[(c, 2 * i + 1, 2 * j + 1)],
        ];
        assert_eq!(hi[(c, i, j)], w.iter().cloned().fold(f64::MIN, f64::max));
        assert_eq!(mean[(c, i, j)], w.iter().sum::<f64>() / 4.0);
    }
    // Gradients against finite differences (random inputs: no ties).
    let mut g = rng(9);
    let x: Tensor3<C, H4, W6, f64> = random3(&mut g);
    let dy: Tensor3<C, H2, W3, f64> = random3(&mut g);
    for pool in [Pool::Max, Pool::Avg] {
        let mut dx = Tensor3::zeros();
        pool.vjp_into(2, &x, &dy, &mut dx).unwrap();
        let n = numeric(&mut x.as_slice().to_vec(), |v| {
            let mut y = Tensor3::<C, H2, W3, f64>::zeros();
            pool.forward_into(2, &Tensor3::<C, H4, W6, f64>::from_slice(v).unwrap(), &mut y).unwrap();
            y.as_slice().iter().zip(dy.as_slice()).map(|(a, b)| a * b).sum()
        });
        close(dx.as_slice(), &n, "pool dx");
    }
    // A tie: the gradient goes to the first maximum of the window.
    let flat = Tensor3::<C, H4, W6, f64>::from_element(1.0);
    let mut dx = Tensor3::zeros();
    Pool::Max.vjp_into(2, &flat, &Tensor3::<C, H2, W3, f64>::from_element(1.0), &mut dx).unwrap();
    assert_eq!((dx[(0, 0, 0)], dx[(0, 0, 1)], dx[(0, 1, 0)], dx[(0, 1, 1)]), (1.0, 0.0, 0.0, 0.0));
}

/// A batch of three, one example per column, against the per-example
/// results: outputs and input gradients column by column, kernel and
/// bias gradients summed; pools likewise.
#[test]
fn batches_are_their_examples_side_by_side() {
    const B: usize = 3;
    let conv = Conv2d { stride: 2, pad: 1 };
    let mut g = rng(4);
    let xs: Vec<Tensor3<C, H, W, f64>> = (0..B).map(|_| random3(&mut g)).collect();
    let dys: Vec<Tensor3<F, OH, OW, f64>> = (0..B).map(|_| random3(&mut g)).collect();
    let k = Tensor4::<F, C, K, K, f64>::from_fn(|_, _, _, _| g.random_range(-1.0..1.0));
    let b = Vector::<F, f64>::from_fn(|_, _| g.random_range(-1.0..1.0));
    // Example `e`'s element `i` is at `i·B + e`.
    let interleave =
        |parts: Vec<&[f64]>| -> Vec<f64> { (0..parts[0].len() * B).map(|q| parts[q % B][q / B]).collect() };
    let x = interleave(xs.iter().map(|t| t.as_slice()).collect());
    let dy = interleave(dys.iter().map(|t| t.as_slice()).collect());
    let geo =
        ConvGeometry { c: 2, h: 5, w: 7, f: 3, kh: 3, kw: 3, oh: 3, ow: 4, batch: B, stride: 2, pad: 1 };
    let (mut y, mut col) = (vec![0.0; geo.y_len()], vec![7.0; geo.col_len()]);
    assert!(conv2d_forward(&geo, &x, k.as_slice(), b.as_slice(), &mut y, &mut col));
    let (mut dk, mut db, mut dx) = (vec![0.0; geo.k_len()], vec![0.0; 3], vec![0.0; geo.x_len()]);
    assert!(conv2d_kernel_grad(&geo, &col, &dy, &mut dk));
    assert!(conv2d_bias_grad(&geo, &dy, &mut db));
    assert!(conv2d_input_grad(&geo, k.as_slice(), &dy, &mut dx, &mut col));
    let (mut want_k, mut want_b) = (vec![0.0; geo.k_len()], vec![0.0; 3]);
    let mut want_y = Vec::new();
    let mut want_dx = Vec::new();
    for e in 0..B {
        let mut ye = Tensor3::<F, OH, OW, f64>::zeros();
        conv.forward_into(&xs[e], &k, &b, &mut ye).unwrap();
        let (mut dxe, mut dke, mut dbe) = (Tensor3::zeros(), Tensor4::zeros(), Vector::zeros());
        conv.vjp_into(&xs[e], &k, &dys[e], &mut dxe, &mut dke, &mut dbe).unwrap();
        want_k.iter_mut().zip(dke.as_slice()).for_each(|(a, b)| *a += b);
        want_b.iter_mut().zip(dbe.as_slice()).for_each(|(a, b)| *a += b);
        want_y.push(ye);
        want_dx.push(dxe);
    }
    close(&y, &interleave(want_y.iter().map(|t| t.as_slice()).collect()), "y");
    close(&dx, &interleave(want_dx.iter().map(|t| t.as_slice()).collect()), "dx");
    close(&dk, &want_k, "dK");
    close(&db, &want_b, "db");
    // A geometry that does not fit computes nothing.
    assert!(!conv2d_forward(
        &ConvGeometry { oh: 4, ..geo },
        &x,
        k.as_slice(),
        b.as_slice(),
        &mut y,
        &mut col
    ));

    for max in [true, false] {
        let pg = PoolGeometry { c: 2, h: 4, w: 6, k: 2, batch: B };
        let xs: Vec<Tensor3<C, H4, W6, f64>> = (0..B).map(|_| random3(&mut g)).collect();
        let dys: Vec<Tensor3<C, H2, W3, f64>> = (0..B).map(|_| random3(&mut g)).collect();
        let x = interleave(xs.iter().map(|t| t.as_slice()).collect());
        let dy = interleave(dys.iter().map(|t| t.as_slice()).collect());
        let (mut y, mut dx) = (vec![0.0; dy.len()], vec![0.0; x.len()]);
        assert!(pool_forward(&pg, max, &x, &mut y));
        assert!(pool_backward(&pg, max, &x, &y, &dy, &mut dx));
        let pool = if max { Pool::Max } else { Pool::Avg };
        let (mut want_y, mut want_dx) = (Vec::new(), Vec::new());
        for e in 0..B {
            let mut ye = Tensor3::<C, H2, W3, f64>::zeros();
            pool.forward_into(2, &xs[e], &mut ye).unwrap();
            let mut dxe = Tensor3::zeros();
            pool.vjp_into(2, &xs[e], &dys[e], &mut dxe).unwrap();
            want_y.push(ye);
            want_dx.push(dxe);
        }
        close(&y, &interleave(want_y.iter().map(|t| t.as_slice()).collect()), "pool y");
        close(&dx, &interleave(want_dx.iter().map(|t| t.as_slice()).collect()), "pool dx");
    }
}
