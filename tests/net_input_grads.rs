//! Gradients with respect to inputs, where the net asks for them
//! (`grad x;`): CS231n's `dx`, a saliency map. Per example from
//! `grad_inputs`, and one column per example (each its own gradient, not a
//! share of the mean) from `grad_inputs_batch`.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::check::numeric_gradient;
use shapegrad::prelude::*;

dims! { D = 5; H = 4; C = 3; Bt = 4; }

net! {
    net Mlp {
        param W1: [H, D];
        param b1: [H];
        param W2: [C, H];
        input x: [D];
        input s: [H];
        label y: C;
        let h = tanh(W1 @ x + b1) * s;
        loss softmax_cross_entropy(W2 @ h, y);
        grad x;
        grad s;
    }
}

net! {
    /// Linear scores: ∂x = Wᵀ (softmax(W x) − onehot(y)) in closed form.
    net Linear { param W: [C, D]; input x: [D]; label y: C; loss softmax_cross_entropy(W @ x, y); grad x; }
}

fn random<R: Dim, K: Dim>(g: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| g.random_range(-1.0..1.0))
}

#[test]
fn an_inputs_gradient_is_its_closed_form() {
    let mut g = Pcg64Mcg::seed_from_u64(1);
    let net = Linear::<f64> { W: random(&mut g) };
    let x: Vector<D, f64> = random(&mut g);
    let y = Class::<C>::new(2).unwrap();
    let (loss, grads, inputs) = net.grad_inputs(&x, y);
    let z = &net.W * &x;
    let e: Vec<f64> = z.as_slice().iter().map(|v| v.exp()).collect();
    let sum: f64 = e.iter().sum();
    let dz: Vec<f64> = (0..3).map(|i| e[i] / sum - f64::from(u8::from(i == 2))).collect();
    for j in 0..5 {
        let want: f64 = (0..3).map(|i| net.W[(i, j)] * dz[i]).sum();
        assert!((inputs.x[j] - want).abs() < 1e-12);
    }
    let (l2, g2) = net.grad(&x, y);
    assert_eq!((loss, &grads), (l2, &g2));
}

#[test]
fn input_gradients_match_finite_differences() {
    let mut g = Pcg64Mcg::seed_from_u64(2);
    for k in 0..10 {
        let net = Mlp::<f64> { W1: random(&mut g), b1: random(&mut g), W2: random(&mut g) };
        let (x, s): (Vector<D, f64>, Vector<H, f64>) = (random(&mut g), random(&mut g));
        let y = Class::<C>::new(k % 3).unwrap();
        let (_, _, inputs) = net.grad_inputs(&x, &s, y);
        let dx = numeric_gradient(&x, |x| net.loss(x, &s, y), 1e-6);
        let ds = numeric_gradient(&s, |s| net.loss(&x, s, y), 1e-6);
        assert!(inputs.x.approx_eq(&dx, 1e-8), "{} vs {dx}", inputs.x);
        assert!(inputs.s.approx_eq(&ds, 1e-8));
    }
}

#[test]
fn a_batchs_input_gradients_are_each_examples_own() {
    let mut g = Pcg64Mcg::seed_from_u64(3);
    let net = Mlp::<f64> { W1: random(&mut g), b1: random(&mut g), W2: random(&mut g) };
    let (xs, ss): (Matrix<D, Bt, f64>, Matrix<H, Bt, f64>) = (random(&mut g), random(&mut g));
    let ys = Classes::<C, Bt>::from_slice(&[0, 2, 1, 2]).unwrap();
    let (loss, grads, inputs) = net.grad_inputs_batch(&xs, &ss, &ys);
    assert_eq!((loss, grads), net.grad_batch(&xs, &ss, &ys));
    for b in 0..4 {
        let x = Vector::<D, f64>::from_fn(|i, _| xs[(i, b)]);
        let s = Vector::<H, f64>::from_fn(|i, _| ss[(i, b)]);
        let (_, _, one) = net.grad_inputs(&x, &s, ys.get(b));
        for i in 0..5 {
            assert!((inputs.xs[(i, b)] - one.x[i]).abs() < 1e-12);
        }
        for i in 0..4 {
            assert!((inputs.ss[(i, b)] - one.s[i]).abs() < 1e-12);
        }
    }
}

#[test]
fn the_derivation_shows_the_inputs_adjoints() {
    let text = Linear::derivation();
    assert!(text.contains("∂x = Wᵀ"), "{text}");
}

dims! { T = 3; V = 4; }

net! {
    /// A per-example matrix input, its gradient asked for: the looped batch.
    net Tagger {
        param W: [V, D];
        input x: [T, D];
        label ys: [T] of V;
        let z = x @ W.T;
        for t in T {
            let l[t] = softmax_cross_entropy(z[t], ys[t]);
        }
        loss mean(l);
        grad x;
    }
}

#[test]
fn a_matrix_inputs_gradient_is_its_closed_form_per_example_and_in_batches() {
    let mut g = Pcg64Mcg::seed_from_u64(9);
    let net = Tagger::<f64> { W: random(&mut g) };
    let xs = Tensor3::<T, D, Bt, f64>::from_fn(|_, _, _| g.random_range(-1.0..1.0));
    let yss = Sequences::<V, T, Bt>::from_fn(|t, b| (t + b) % 4).unwrap();
    let (loss, grads, inputs) = net.grad_inputs_batch(&xs, &yss);
    let (l2, g2) = net.grad_batch(&xs, &yss);
    assert!((loss - l2).abs() < 1e-14);
    assert!(grads.W.as_slice().iter().zip(g2.W.as_slice()).all(|(a, b)| (a - b).abs() < 1e-14));
    for b in 0..Bt::SIZE {
        // ∂x[t] = Wᵀ (softmax(W x[t]) − onehot(ys[t])) / T, written out.
        for t in 0..T::SIZE {
            let z: Vec<f64> =
                (0..V::SIZE).map(|v| (0..D::SIZE).map(|d| net.W[(v, d)] * xs[(t, d, b)]).sum()).collect();
            let sum: f64 = z.iter().map(|v| v.exp()).sum();
            let y = yss.get(t, b).index();
            for d in 0..D::SIZE {
                let want: f64 = (0..V::SIZE)
                    .map(|v| {
                        net.W[(v, d)] * (z[v].exp() / sum - f64::from(u8::from(v == y))) / T::SIZE as f64
                    })
                    .sum();
                assert!((inputs.x[(t, d, b)] - want).abs() < 1e-12, "∂x[{t}, {d}] of example {b}");
            }
        }
    }
}
