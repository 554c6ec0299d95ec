//! Maps over steps: `for t in T { let l[t] = …; }` without `init`. Each is
//! checked against the same net written without the loop (by hand, over
//! whole matrices), against finite differences, and batched.

use shapegrad::prelude::*;

dims! { V = 5; D = 3; H = 4; T = 6; B = 3; }

net! {
    /// A per-step loss through the map of the contract.
    pub net StepLoss {
        param W: [V, D];
        input x: [T, D];
        label ys: [T] of V;
        let z = x @ W.T;
        for t in T {
            let l[t] = softmax_cross_entropy(z[t], ys[t]);
        }
        loss mean(l);
    }
}

net! {
    /// The same loss without the loop.
    pub net StepLossByHand {
        param W: [V, D];
        input x: [T, D];
        label ys: [T] of V;
        let z = x @ W.T;
        loss -sum(log_softmax(z.T) * onehot(ys)) / T;
    }
}

net! {
    /// A map whose steps are vectors, a temporary, and a value shared by all steps.
    pub net StepLayer {
        param W: [H, D];
        param b: [H];
        param u: [H];
        input x: [T, D];
        for t in T {
            let a = W @ x[t] + b;
            let h[t] = tanh(a) * u;
        }
        output h;
        loss 0.5 * sum(h * h);
    }
}

net! {
    /// `StepLayer` without the loop: `h = tanh(x Wᵀ + b) ⊙ u`, row by row.
    pub net StepLayerByHand {
        param W: [H, D];
        param b: [H];
        param u: [H];
        input x: [T, D];
        let h = tanh(x @ W.T + b) * u;
        loss 0.5 * sum(h * h);
    }
}

fn x() -> Matrix<T, D, f64> {
    Matrix::from_fn(|t, d| (0.7 * t as f64 - 0.4 * d as f64 + 0.3).sin())
}

fn ys() -> Classes<V, T> {
    Classes::from_slice(&[0, 4, 2, 2, 1, 3]).unwrap()
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-12 * (1.0 + y.abs()))
}

#[test]
#[allow(non_snake_case)]
fn a_per_step_loss_is_the_loss_written_over_whole_matrices() {
    let W = Matrix::<V, D, f64>::from_fn(|i, j| 0.3 * (1.3 * i as f64 + 0.5 * j as f64).cos());
    let net = StepLoss { W: W.clone() };
    let (loss, g) = net.grad(&x(), &ys());
    let (want, gw) = StepLossByHand { W: W.clone() }.grad(&x(), &ys());
    assert!(close(&[loss], &[want]), "{loss} vs {want}");
    assert!(close(g.W.as_slice(), gw.W.as_slice()));
    // The mean of each step's −log softmax(z[t])[ys[t]], computed here directly.
    let by_steps = (0..T::SIZE)
        .map(|t| {
            let z: Vec<f64> =
                (0..V::SIZE).map(|v| (0..D::SIZE).map(|d| x()[(t, d)] * W[(v, d)]).sum()).collect();
            z.iter().map(|v| v.exp()).sum::<f64>().ln() - z[ys().get(t).index()]
        })
        .sum::<f64>()
        / T::SIZE as f64;
    assert!(close(&[loss], &[by_steps]), "{loss} vs {by_steps}");
    assert!(net.gradcheck(&x(), &ys()).is_ok(1e-7));
}

#[test]
fn a_map_of_vectors_is_the_layer_written_over_whole_matrices() {
    let net = StepLayer::<f64>::init(3);
    let hand =
        StepLayerByHand { W: net.W.clone(), b: net.b.clone(), u: Vector::from_fn(|i, _| 0.5 + i as f64) };
    let net = StepLayer { u: hand.u.clone(), ..net };
    let (loss, g) = net.grad(&x());
    let (want, gh) = hand.grad(&x());
    assert!(close(&[loss], &[want]), "{loss} vs {want}");
    assert!(close(g.W.as_slice(), gh.W.as_slice()));
    assert!(close(g.b.as_slice(), gh.b.as_slice()));
    assert!(close(g.u.as_slice(), gh.u.as_slice()));
    // Row t of h is step t: tanh(W x[t] + b) ⊙ u.
    let h = net.forward(&x());
    for t in 0..T::SIZE {
        for i in 0..H::SIZE {
            let a: f64 = (0..D::SIZE).map(|d| net.W[(i, d)] * x()[(t, d)]).sum::<f64>() + net.b[i];
            assert!((h[(t, i)] - a.tanh() * net.u[i]).abs() < 1e-12);
        }
    }
    assert!(net.gradcheck(&x()).is_ok(1e-7));
}

#[test]
fn a_map_in_batches_is_the_mean_of_its_examples() {
    let net = StepLoss::<f64>::init(5);
    let xs =
        Tensor3::<T, D, B, f64>::from_fn(|t, d, b| (0.7 * t as f64 - 0.4 * d as f64 + 0.9 * b as f64).sin());
    let yss = Sequences::<V, T, B>::from_fn(|t, b| (t + 2 * b) % V::SIZE).unwrap();
    let (loss, g) = net.grad_batch(&xs, &yss);
    let (mut want, mut gw) = (0.0, vec![0.0; V::SIZE * D::SIZE]);
    for b in 0..B::SIZE {
        let x = Matrix::<T, D, f64>::from_fn(|t, d| xs[(t, d, b)]);
        let (l, gb) = net.grad(&x, &yss.example(b));
        want += l / 3.0;
        gw.iter_mut().zip(gb.W.as_slice()).for_each(|(a, v)| *a += v / 3.0);
    }
    assert!(close(&[loss], &[want]));
    assert!(close(g.W.as_slice(), &gw));
}

#[test]
fn the_derivation_shows_the_steps_as_columns() {
    // Step t of `z` is column t of `W xᵀ`: every step's adjoint at once.
    let text = StepLoss::derivation();
    assert!(text.contains("∂W = ((1/T) (softmax(W xᵀ) − onehot(ys))) x   [V×D]"), "{text}");
    let text = StepLayer::derivation();
    assert!(text.contains("∂h = h "), "{text}");
    assert!(text.contains("(1 − tanh²(W xᵀ + b))) x "), "{text}");
}
