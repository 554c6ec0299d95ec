//! Convolutional nets in `net!`: `conv2d` against a naive seven-loop
//! reference written here, every new op's gradient against central finite
//! differences (f64) at random points, non-square inputs, several channels,
//! stride 2, pad 0 and 1, the batched methods against the mean of their
//! examples, and the derivation lines.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::prelude::*;
use shapegrad::typenum::U4;
use shapegrad::{DimProd, DimQuot};

dims! { C = 2; H = 5; W = 7; F = 3; G = 2; K = 4; B = 3; H8 = 8; W12 = 12; }

fn rng(seed: u64) -> Pcg64Mcg {
    Pcg64Mcg::seed_from_u64(seed)
}

fn tensor3<A: Dim, P: Dim, Q: Dim>(g: &mut Pcg64Mcg) -> Tensor3<A, P, Q, f64> {
    Tensor3::from_fn(|_, _, _| g.random_range(-1.0..1.0))
}

fn tensor4<A: Dim, P: Dim, Q: Dim, R: Dim>(g: &mut Pcg64Mcg) -> Tensor4<A, P, Q, R, f64> {
    Tensor4::from_fn(|_, _, _, _| g.random_range(-1.0..1.0))
}

fn vector<N: Dim>(g: &mut Pcg64Mcg) -> Vector<N, f64> {
    Vector::from_fn(|_, _| g.random_range(-1.0..1.0))
}

/// The convolution as the textbook writes it: seven loops over an explicitly
/// zero-padded copy of the input, `[c][h][w]` vectors, no shared code.
#[allow(clippy::needless_range_loop)]
fn conv_reference(
    x: &[Vec<Vec<f64>>],
    k: &[Vec<Vec<Vec<f64>>>],
    b: &[f64],
    s: usize,
    p: usize,
) -> Vec<Vec<Vec<f64>>> {
    let (c_in, h, w) = (x.len(), x[0].len(), x[0][0].len());
    let (kh, kw) = (k[0][0].len(), k[0][0][0].len());
    let mut padded = vec![vec![vec![0.0; w + 2 * p]; h + 2 * p]; c_in];
    for c in 0..c_in {
        for i in 0..h {
            for j in 0..w {
                padded[c][i + p][j + p] = x[c][i][j];
            }
        }
    }
    let (oh, ow) = ((h + 2 * p - kh) / s + 1, (w + 2 * p - kw) / s + 1);
    let mut y = vec![vec![vec![0.0; ow]; oh]; k.len()];
    for f in 0..k.len() {
        for i in 0..oh {
            for j in 0..ow {
                let mut acc = b[f];
                for c in 0..c_in {
                    for u in 0..kh {
                        for v in 0..kw {
                            acc += k[f][c][u][v] * padded[c][s * i + u][s * j + v];
                        }
                    }
                }
                y[f][i][j] = acc;
            }
        }
    }
    y
}

fn shape<A: Dim, P: Dim, Q: Dim>(_: &Tensor3<A, P, Q, f64>) -> [usize; 3] {
    Tensor3::<A, P, Q, f64>::SHAPE
}

fn nested3<A: Dim, P: Dim, Q: Dim>(t: &Tensor3<A, P, Q, f64>) -> Vec<Vec<Vec<f64>>> {
    (0..A::SIZE)
        .map(|a| (0..P::SIZE).map(|p| (0..Q::SIZE).map(|q| t[(a, p, q)]).collect()).collect())
        .collect()
}

fn nested4<A: Dim, P: Dim, Q: Dim, R: Dim>(t: &Tensor4<A, P, Q, R, f64>) -> Vec<Vec<Vec<Vec<f64>>>> {
    (0..A::SIZE).map(|a| nested3(&Tensor3::<P, Q, R, f64>::from_fn(|p, q, r| t[(a, p, q, r)]))).collect()
}

net! {
    /// One convolution, stride 2 and pad 1, on a non-square input with two
    /// channels: `L = ½ Σ conv2d(x, K, b)²`.
    net Strided {
        param K1: [F, C, 3, 3];
        param b1: [F];
        input x: [C, H, W];
        let z = conv2d(x, K1, b1, stride = 2, pad = 1);
        output z;
        loss 0.5 * sum(z * z);
    }
}

net! {
    /// No padding, stride 1: `[C×H×W]` → `[F×(H−2)×(W−2)]`.
    net Valid {
        param K1: [F, C, 3, 3];
        param b1: [F];
        input x: [C, H, W];
        let z = conv2d(x, K1, b1);
        output z;
        loss 0.5 * sum(z * z);
    }
}

net! {
    /// A 3×3, stride-2, pad-1 conv on 8×8, whose windows stop one row and
    /// column short of the padded edge: the size is floored to 4×4, as
    /// PyTorch does, and the last padded row and column are never read.
    net Floored {
        param K1: [F, C, 3, 3];
        param b1: [F];
        input x: [C, H8, H8];
        let z = conv2d(x, K1, b1, stride = 2, pad = 1);
        output z;
        loss 0.5 * sum(z * z);
    }
}

#[test]
fn a_stride_that_does_not_reach_the_edge_floors_the_size() {
    for seed in 0..5 {
        let mut g = rng(300 + seed);
        let x: Tensor3<C, H8, H8, f64> = tensor3(&mut g);
        let net = Floored::<f64> { K1: tensor4(&mut g), b1: vector(&mut g) };
        let want = conv_reference(&nested3(&x), &nested4(&net.K1), net.b1.as_slice(), 2, 1);
        let got = net.forward(&x);
        assert_eq!(shape(&got), [3, 4, 4], "⌊(8 + 2 − 3)/2⌋ + 1 = 4");
        for (a, b) in nested3(&got).iter().flatten().flatten().zip(want.iter().flatten().flatten()) {
            assert!((a - b).abs() < 1e-12, "seed {seed}: {a} vs {b}");
        }
        let report = net.gradcheck(&x);
        assert!(report.is_ok(1e-6) && report.all_zero().is_empty(), "{report}");
        // The batch is the mean of its examples.
        let xs = Tensor4::<C, H8, H8, U2, f64>::from_fn(|c, i, j, b| x[(c, i, j)] * (1.0 + b as f64));
        let per: f64 =
            (0..2).map(|b| net.loss(&Tensor3::from_fn(|c, i, j| xs[(c, i, j, b)]))).sum::<f64>() / 2.0;
        assert!((net.loss_batch(&xs) - per).abs() < 1e-10);
    }
}

#[test]
fn conv2d_is_the_seven_loop_reference() {
    for seed in 0..10 {
        let mut g = rng(seed);
        let x: Tensor3<C, H, W, f64> = tensor3(&mut g);
        let s = Strided::<f64> { K1: tensor4(&mut g), b1: vector(&mut g) };
        let v = Valid::<f64> { K1: tensor4(&mut g), b1: vector(&mut g) };
        let want = conv_reference(&nested3(&x), &nested4(&s.K1), s.b1.as_slice(), 2, 1);
        let got = s.forward(&x);
        assert_eq!(shape(&got), [3, 3, 4], "(5 + 2 − 3)/2 + 1 = 3, (7 + 2 − 3)/2 + 1 = 4");
        for (a, b) in nested3(&got).iter().flatten().flatten().zip(want.iter().flatten().flatten()) {
            assert!((a - b).abs() < 1e-12, "seed {seed}: {a} vs {b}");
        }
        let want = conv_reference(&nested3(&x), &nested4(&v.K1), v.b1.as_slice(), 1, 0);
        let got = v.forward(&x);
        assert_eq!(shape(&got), [3, 3, 5]);
        for (a, b) in got.as_slice().iter().zip(want.iter().flatten().flatten()) {
            assert!((a - b).abs() < 1e-12, "seed {seed}: {a} vs {b}");
        }
    }
}

/// `∂K[f,c,u,v] = Σᵢⱼ z[f,i,j]·x̃[c, s·i+u, s·j+v]` and `∂b[f] = Σᵢⱼ z[f,i,j]`
/// for `L = ½ Σ z²` (so `∂z = z`), worked out on the reference.
#[test]
#[allow(clippy::needless_range_loop)]
fn conv2d_gradients_are_the_closed_form() {
    for seed in 0..10 {
        let mut g = rng(100 + seed);
        let x: Tensor3<C, H, W, f64> = tensor3(&mut g);
        let net = Strided::<f64> { K1: tensor4(&mut g), b1: vector(&mut g) };
        let (loss, grad) = net.grad(&x);
        let z = conv_reference(&nested3(&x), &nested4(&net.K1), net.b1.as_slice(), 2, 1);
        let want_loss: f64 = 0.5 * z.iter().flatten().flatten().map(|v| v * v).sum::<f64>();
        assert!((loss - want_loss).abs() < 1e-12);
        let xp = |c: usize, h: usize, w: usize| {
            let (h, w) = (h.wrapping_sub(1), w.wrapping_sub(1));
            if h < H::SIZE && w < W::SIZE { x[(c, h, w)] } else { 0.0 }
        };
        for f in 0..F::SIZE {
            let db: f64 = z[f].iter().flatten().sum();
            assert!((grad.b1[(f, 0)] - db).abs() < 1e-12);
            for (c, u, v) in
                (0..C::SIZE).flat_map(|c| (0..3).flat_map(move |u| (0..3).map(move |v| (c, u, v))))
            {
                let mut dk = 0.0;
                for i in 0..3 {
                    for j in 0..4 {
                        dk += z[f][i][j] * xp(c, 2 * i + u, 2 * j + v);
                    }
                }
                assert!((grad.K1[(f, c, u, v)] - dk).abs() < 1e-12, "seed {seed} ∂K[{f},{c},{u},{v}]");
            }
        }
    }
}

net! {
    /// conv → relu → maxpool → conv (pad 1) → tanh → avgpool → flatten →
    /// dense: every new op, with `_` inferred from the dense layer's use.
    net Small {
        param K1: [F, C, 3, 3];
        param b1: [F];
        param K2: [G, F, 3, 3];
        param b2: [G];
        param W3: [K, _];
        param b3: [K];
        input x: [C, H8, W12];
        label y: K;
        let z1 = conv2d(x, K1, b1, pad = 1);
        let p1 = maxpool2d(relu(z1), 2);
        let z2 = conv2d(p1, K2, b2, pad = 1);
        let p2 = avgpool2d(tanh(z2), 2);
        let f = flatten(p2);
        let z3 = W3 @ f + b3;
        output z3;
        loss softmax_cross_entropy(z3, y) + 0.01 * sum(K1 * K1);
    }
}

type Flat = DimProd<G, DimProd<DimQuot<H8, U4>, DimQuot<W12, U4>>>;

fn small(seed: u64) -> Small<f64> {
    let mut g = rng(seed);
    Small {
        K1: tensor4(&mut g),
        b1: vector(&mut g),
        K2: tensor4(&mut g),
        b2: vector(&mut g),
        W3: Matrix::from_fn(|_, _| g.random_range(-1.0..1.0)),
        b3: vector(&mut g),
    }
}

#[test]
fn every_op_matches_finite_differences() {
    // `_` is G·(H8/4)·(W12/4), spelled through the user's dims.
    let w3: &Matrix<K, Flat, f64> = &small(0).W3;
    assert_eq!((Flat::SIZE, Flat::NAME), (2 * 2 * 3, "G·(H8/4)·(W12/4)"));
    assert_eq!(w3.as_slice().len(), 48);
    for seed in 0..10 {
        let net = small(seed);
        let mut g = rng(1000 + seed);
        let x: Tensor3<C, H8, W12, f64> = tensor3(&mut g);
        let y = Class::<K>::new(g.random_range(0..K::SIZE)).unwrap();
        let report = net.gradcheck(&x, y);
        assert!(report.is_ok(1e-7), "seed {seed}:\n{report}");
        assert_eq!(report.entries().len(), 6);
        let valid = Valid::<f64> { K1: tensor4(&mut g), b1: vector(&mut g) };
        let x: Tensor3<C, H, W, f64> = tensor3(&mut g);
        assert!(valid.gradcheck(&x).is_ok(1e-7), "seed {seed}");
        assert!(Strided::<f64> { K1: tensor4(&mut g), b1: vector(&mut g) }.gradcheck(&x).is_ok(1e-7));
    }
}

#[test]
fn batches_are_the_mean_of_their_examples() {
    for seed in 0..5 {
        let net = small(seed);
        let mut g = rng(2000 + seed);
        let xs: Tensor4<C, H8, W12, B, f64> = tensor4(&mut g);
        let labels: Vec<usize> = (0..B::SIZE).map(|_| g.random_range(0..K::SIZE)).collect();
        let ys = Classes::<K, B>::from_slice(&labels).unwrap();
        let (loss, grad) = net.grad_batch(&xs, &ys);
        let out = net.forward_batch(&xs);
        let mut mean = Small::<f64>::zeros();
        let mut mean_loss = 0.0;
        let scale = 1.0 / B::SIZE as f64;
        for b in 0..B::SIZE {
            let x = Tensor3::<C, H8, W12, f64>::from_fn(|c, h, w| xs[(c, h, w, b)]);
            let (l, gb) = net.grad(&x, ys.get(b));
            mean_loss += l * scale;
            let pairs = [
                (mean.K1.as_mut_slice(), gb.K1.as_slice()),
                (mean.b1.as_mut_slice(), gb.b1.as_slice()),
                (mean.K2.as_mut_slice(), gb.K2.as_slice()),
                (mean.b2.as_mut_slice(), gb.b2.as_slice()),
                (mean.W3.as_mut_slice(), gb.W3.as_slice()),
                (mean.b3.as_mut_slice(), gb.b3.as_slice()),
            ];
            for (m, v) in pairs {
                m.iter_mut().zip(v).for_each(|(m, v)| *m += scale * v);
            }
            assert!(out.column(b).approx_eq(&net.forward(&x), 1e-13), "seed {seed}, example {b}");
        }
        assert!((loss - mean_loss).abs() < 1e-12, "seed {seed}: {loss} vs {mean_loss}");
        assert!((net.loss_batch(&xs, &ys) - loss).abs() < 1e-14);
        assert!(grad.K1.approx_eq(&mean.K1, 1e-12) && grad.K2.approx_eq(&mean.K2, 1e-12), "seed {seed}");
        assert!(grad.b1.approx_eq(&mean.b1, 1e-12) && grad.b2.approx_eq(&mean.b2, 1e-12), "seed {seed}");
        assert!(grad.W3.approx_eq(&mean.W3, 1e-12) && grad.b3.approx_eq(&mean.b3, 1e-12), "seed {seed}");
    }
}

#[test]
fn f32_agrees_with_f64() {
    let net = small(7);
    let net32: Small<f32> = net.cast();
    let mut g = rng(7);
    let x: Tensor3<C, H8, W12, f64> = tensor3(&mut g);
    let y = Class::<K>::new(1).unwrap();
    let (l64, g64) = net.grad(&x, y);
    let (l32, g32) = net32.grad(&x.cast(), y);
    assert!((f64::from(l32) - l64).abs() < 1e-5);
    assert!(g32.K1.cast::<f64>().approx_eq(&g64.K1, 1e-5));
    assert!(g32.W3.cast::<f64>().approx_eq(&g64.W3, 1e-5));
}

#[test]
fn the_derivation_names_the_convolution_and_the_pools() {
    let text = Small::derivation();
    for line in [
        "∂f  = W3ᵀ ∂z3                                 [G·(H8/4)·(W12/4)]",
        "∂p2 = unflatten(∂f)                           [G×H8/4×W12/4]",
        "∂p1 = ∂z2 ⋆[p=1]ᵀ K2                          [F×H8/2×W12/2]",
        "∂K2 = p1 ⋆[p=1] ∂z2                           [G×F×3×3]",
        "∂b2 = Σ_hw ∂z2                                [G]",
    ] {
        // Lines compared with their columns' padding collapsed.
        let squeeze = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.lines().any(|l| squeeze(l) == squeeze(line)), "no line `{line}` in\n{text}");
    }
    assert!(text.contains("= [relu(z1) = up₂(p1)] ⊙ up₂(∂p1)"), "{text}");
    assert!(text.contains("up₂(∂p2)/4"), "{text}");
    // ∂z = z for L = ½ Σ z², and the sides (H − 1)/2 + 1 kept in the user's dims.
    let strided = Strided::derivation();
    assert!(strided.contains("∂K1 = x ⋆[s=2,p=1] z "), "{strided}");
    assert!(strided.contains("[F×((H−1)/2+1)×((W−1)/2+1)]"), "{strided}");
    let latex = Small::derivation_latex();
    assert!(latex.contains("p_{1} \\star_{p=1} \\partial z_{2}"), "{latex}");
    assert!(latex.contains("\\operatorname{up}_{2}"), "{latex}");
}
