//! The homework's gradients written by hand with typed matrices, checked
//! against central finite differences in f64, and the answer sheets' slips
//! shown to disagree.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::check::numeric_gradient;
use shapegrad::ops::{Sigmoid, Unary, softmax_cross_entropy, softmax_cross_entropy_grad};
use shapegrad::prelude::*;

dims! { M = 3; N = 5; D = 6; H = 7; C = 4; }

fn random<R: Dim, K: Dim>(rng: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| rng.random_range(-1.0..1.0))
}

fn autoencoder_loss(w: &Matrix<M, N, f64>, x: &Vector<N, f64>) -> f64 {
    let v = w.t() * &(w * x) - x;
    0.5 * v.dot(&v)
}

#[test]
fn autoencoder_gradient_is_w_v_xt_plus_z_vt() {
    for seed in 0..10 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let w = random::<M, N>(&mut rng);
        let x = random::<N, One>(&mut rng);
        let z = &w * &x;
        let v = w.t() * &z - &x;
        let closed_form = (&w * &v).outer(&x) + z.outer(&v);
        let numeric = numeric_gradient(&w, |w| autoencoder_loss(w, &x), 1e-6);
        assert!(closed_form.approx_eq(&numeric, 1e-7), "seed {seed}");
        // The sheet's 2W(v xᵀ) is not the gradient.
        let sheet = 2.0 * &(&w * &v.outer(&x));
        assert!(sheet.max_abs_diff(&numeric) > 1e-3, "seed {seed}");
    }
}

struct TwoLayer {
    w1: Matrix<H, D, f64>,
    b1: Vector<H, f64>,
    w2: Matrix<C, H, f64>,
    b2: Vector<C, f64>,
}

fn two_layer_loss(p: &TwoLayer, x: &Vector<D, f64>, y: Class<C>) -> f64 {
    let z1 = &p.w1 * x + &p.b1;
    let h1 = z1.swish();
    softmax_cross_entropy(&(&p.w2 * &h1 + &p.b2), y)
}

#[test]
fn two_layer_swish_gradients_match_finite_differences() {
    for seed in 0..10 {
        let mut rng = Pcg64Mcg::seed_from_u64(100 + seed);
        let p = TwoLayer {
            w1: random(&mut rng),
            b1: random(&mut rng),
            w2: random(&mut rng),
            b2: random(&mut rng),
        };
        let x = random::<D, One>(&mut rng);
        let y = Class::<C>::new(seed as usize % 4).unwrap();

        // Backward pass by hand (the correct answer to problem 3).
        let z1 = &p.w1 * &x + &p.b1;
        let s = z1.sigmoid();
        let h1 = z1.hadamard(&s);
        let z2 = &p.w2 * &h1 + &p.b2;
        let (_, dz2) = softmax_cross_entropy_grad(&z2, y); // softmax(z2) − onehot(y)   [C]
        let dw2 = dz2.outer(&h1); //                                                    [C×H]
        let dh1 = p.w2.t() * &dz2; //                                                   [H]
        let swish_prime = s.zip_map(&z1, |s, z| s * (1.0 + z * (1.0 - s))); //          [H]
        let dz1 = dh1.hadamard(&swish_prime); //                                        [H]
        let dw1 = dz1.outer(&x); //                                                     [H×D]

        let n_b2 = numeric_gradient(
            &p.b2,
            |b2| two_layer_loss(&TwoLayer { b2: b2.clone(), ..clone(&p) }, &x, y),
            1e-6,
        );
        let n_w2 = numeric_gradient(
            &p.w2,
            |w2| two_layer_loss(&TwoLayer { w2: w2.clone(), ..clone(&p) }, &x, y),
            1e-6,
        );
        let n_b1 = numeric_gradient(
            &p.b1,
            |b1| two_layer_loss(&TwoLayer { b1: b1.clone(), ..clone(&p) }, &x, y),
            1e-6,
        );
        let n_w1 = numeric_gradient(
            &p.w1,
            |w1| two_layer_loss(&TwoLayer { w1: w1.clone(), ..clone(&p) }, &x, y),
            1e-6,
        );
        assert!(dz2.approx_eq(&n_b2, 1e-7) && dw2.approx_eq(&n_w2, 1e-7), "seed {seed}");
        assert!(dz1.approx_eq(&n_b1, 1e-7) && dw1.approx_eq(&n_w1, 1e-7), "seed {seed}");

        // The sheet's swish′ = σ(2 − σ) gives a different gradient.
        let wrong_prime = s.map(|s| s * (2.0 - s));
        assert!(dh1.hadamard(&wrong_prime).max_abs_diff(&n_b1) > 1e-4, "seed {seed}");
        // Sigmoid's own rule agrees with the closed form σ(1 − σ).
        let ds = Sigmoid::vjp(&z1, &s, &Vector::from_element(1.0));
        assert!(ds.approx_eq(&s.map(|s| s * (1.0 - s)), 1e-15));
    }
}

fn clone(p: &TwoLayer) -> TwoLayer {
    TwoLayer { w1: p.w1.clone(), b1: p.b1.clone(), w2: p.w2.clone(), b2: p.b2.clone() }
}
