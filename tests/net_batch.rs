//! The batched methods `net!` derives from the per-example net: the loss is
//! the mean over the batch, the gradient the mean of the per-example
//! gradients, checked against both and against finite differences.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::check::numeric_gradient;
use shapegrad::prelude::*;

dims! { D = 6; H = 5; C = 4; B = 7; }

fn random<R: Dim, K: Dim>(rng: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| rng.random_range(-1.0..1.0))
}

fn random_labels<K: Dim, N: Dim>(rng: &mut Pcg64Mcg) -> Classes<K, N> {
    let labels: Vec<usize> = (0..N::SIZE).map(|_| rng.random_range(0..K::SIZE)).collect();
    Classes::from_slice(&labels).unwrap()
}

net! {
    net TwoLayer {
        param W1: [H, D];
        param b1: [H];
        param W2: [C, H];
        param b2: [C];
        input x: [D];
        label y: C;
        let z1 = W1 @ x + b1;
        let h1 = z1 * sigmoid(z1);
        let z2 = W2 @ h1 + b2;
        output z2;
        loss softmax_cross_entropy(z2, y) + 0.01 * sum(square(W1));
    }
}

#[test]
fn two_layer_batch_is_the_mean_of_its_examples() {
    for seed in 0..5 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = TwoLayer::<f64> {
            W1: random(&mut rng),
            b1: random(&mut rng),
            W2: random(&mut rng),
            b2: random(&mut rng),
        };
        let xs: Matrix<D, B, f64> = random(&mut rng);
        let ys: Classes<C, B> = random_labels(&mut rng);
        let (loss, g) = net.grad_batch(&xs, &ys);

        let mut mean = TwoLayer::<f64>::zeros();
        let mut mean_loss = 0.0;
        for b in 0..B::SIZE {
            let (l, gb) = net.grad(&xs.column(b), ys.get(b));
            mean_loss += l / B::SIZE as f64;
            mean.W1.axpy(1.0 / B::SIZE as f64, &gb.W1);
            mean.b1.axpy(1.0 / B::SIZE as f64, &gb.b1);
            mean.W2.axpy(1.0 / B::SIZE as f64, &gb.W2);
            mean.b2.axpy(1.0 / B::SIZE as f64, &gb.b2);
            assert!(net.forward_batch(&xs).column(b).approx_eq(&net.forward(&xs.column(b)), 1e-14));
        }
        assert!((loss - mean_loss).abs() < 1e-12, "seed {seed}");
        assert!((net.loss_batch(&xs, &ys) - loss).abs() < 1e-15);
        assert!(g.W1.approx_eq(&mean.W1, 1e-12) && g.b1.approx_eq(&mean.b1, 1e-12), "seed {seed}");
        assert!(g.W2.approx_eq(&mean.W2, 1e-12) && g.b2.approx_eq(&mean.b2, 1e-12), "seed {seed}");

        // And against finite differences of `loss_batch` itself.
        let mut q = net.clone();
        let n = numeric_gradient(
            &net.W1,
            |w| {
                q.W1.copy_from(w);
                q.loss_batch(&xs, &ys)
            },
            1e-6,
        );
        assert!(g.W1.approx_eq(&n, 1e-7), "seed {seed}");
        q.W1.copy_from(&net.W1);
        let n = numeric_gradient(
            &net.b1,
            |b| {
                q.b1.copy_from(b);
                q.loss_batch(&xs, &ys)
            },
            1e-6,
        );
        assert!(g.b1.approx_eq(&n, 1e-7), "seed {seed}");
    }
}

net! {
    /// Per-example scalars, shared vectors and per-example vectors mixed.
    net Mixed {
        param w: [D];
        param U: [H, D];
        param s: [H];
        input x: [D];
        input t: [H];
        label y: H;
        let score = dot(w, x);
        let u = U @ x * s - t;
        loss mse(u * score, t) + mean(tanh(u)) * score + svm(U @ x, y) + 0.1 * sum(s);
    }
}

#[test]
fn per_example_scalars_and_shared_vectors_batch_too() {
    for seed in 0..5 {
        let mut rng = Pcg64Mcg::seed_from_u64(10 + seed);
        let net = Mixed::<f64> { w: random(&mut rng), U: random(&mut rng), s: random(&mut rng) };
        let xs: Matrix<D, B, f64> = random(&mut rng);
        let ts: Matrix<H, B, f64> = random(&mut rng);
        let ys: Classes<H, B> = random_labels(&mut rng);
        let (loss, g) = net.grad_batch(&xs, &ts, &ys);
        let (mut l, mut w, mut u, mut s) =
            (0.0, Vector::<D, f64>::zeros(), Matrix::<H, D, f64>::zeros(), Vector::<H, f64>::zeros());
        let k = 1.0 / B::SIZE as f64;
        for b in 0..B::SIZE {
            let (lb, gb) = net.grad(&xs.column(b), &ts.column(b), ys.get(b));
            l += k * lb;
            w.axpy(k, &gb.w);
            u.axpy(k, &gb.U);
            s.axpy(k, &gb.s);
        }
        assert!((loss - l).abs() < 1e-12, "seed {seed}");
        assert!(
            g.w.approx_eq(&w, 1e-12) && g.U.approx_eq(&u, 1e-12) && g.s.approx_eq(&s, 1e-12),
            "seed {seed}"
        );
    }
}

dims! { Pixels = 784; Hidden = 128; Digit = 10; Batch = 64; }

net! {
    net Mnist {
        param W1: [Hidden, Pixels];
        param b1: [Hidden];
        param W2: [Digit, Hidden];
        param b2: [Digit];
        input x: [Pixels];
        label y: Digit;
        let h = relu(W1 @ x + b1);
        loss softmax_cross_entropy(W2 @ h + b2, y);
    }
}

#[test]
fn a_784_128_10_batch_of_64_in_a_test_thread() {
    let mut rng = Pcg64Mcg::seed_from_u64(3);
    let mut net = Mnist::<f64>::init(3);
    net.b1 = random(&mut rng);
    let xs: Matrix<Pixels, Batch, f64> = Matrix::from_fn(|_, _| rng.random_range(0.0..1.0));
    let ys: Classes<Digit, Batch> = random_labels(&mut rng);
    let (loss, g) = net.grad_batch(&xs, &ys);
    let k = 1.0 / 64.0;
    let (mut l, mut w1, mut b2) =
        (0.0, Matrix::<Hidden, Pixels, f64>::zeros(), Vector::<Digit, f64>::zeros());
    for b in 0..64 {
        let (lb, gb) = net.grad(&xs.column(b), ys.get(b));
        l += k * lb;
        w1.axpy(k, &gb.W1);
        b2.axpy(k, &gb.b2);
    }
    assert!((loss - l).abs() < 1e-12);
    assert!(g.W1.approx_eq(&w1, 1e-12) && g.b2.approx_eq(&b2, 1e-12));
    // Central differences on a few entries of W1 and W2.
    for (i, j) in [(0, 0), (17, 300), (127, 783)] {
        let h = 1e-6;
        let w = net.W1[(i, j)];
        net.W1[(i, j)] = w + h;
        let up = net.loss_batch(&xs, &ys);
        net.W1[(i, j)] = w - h;
        let down = net.loss_batch(&xs, &ys);
        net.W1[(i, j)] = w;
        assert!((g.W1[(i, j)] - (up - down) / (2.0 * h)).abs() < 1e-8, "W1[{i}, {j}]");
    }
    for (i, j) in [(0, 5), (9, 127)] {
        let h = 1e-6;
        let w = net.W2[(i, j)];
        net.W2[(i, j)] = w + h;
        let up = net.loss_batch(&xs, &ys);
        net.W2[(i, j)] = w - h;
        let down = net.loss_batch(&xs, &ys);
        net.W2[(i, j)] = w;
        assert!((g.W2[(i, j)] - (up - down) / (2.0 * h)).abs() < 1e-8, "W2[{i}, {j}]");
    }
}
