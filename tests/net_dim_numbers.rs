//! A dim's size written as a number in an expression (`sum(x) / D`): the
//! same for every example, no gradient of its own, printed by its name.

use shapegrad::prelude::*;

dims! { D = 5; H = 4; }

net! {
    /// A mean written by hand, and a width-scaled activation.
    net ByHand {
        param W: [H, D];
        input x: [D];
        let m = sum(x) / D;
        let h = tanh(W @ (x - m)) * (D / H);
        output h;
        loss sum(h * h) / H;
    }
}

net! {
    /// The same over generic dims.
    net Generic<P, Q> { param W: [Q, P]; input x: [P]; loss sum(W @ x) / (P * Q); }
}

fn input() -> Vector<D, f64> {
    Vector::from_fn(|i, _| 0.4 * i as f64 - 0.7)
}

#[test]
fn a_dim_in_an_expression_is_its_size() {
    let net = ByHand::<f64>::init(4);
    let x = input();
    let m = x.as_slice().iter().sum::<f64>() / 5.0;
    let centered = Vector::<D, f64>::from_fn(|i, _| x[i] - m);
    let h = (&net.W * &centered).map(|v| v.tanh() * 5.0 / 4.0);
    let want = h.as_slice().iter().map(|v| v * v).sum::<f64>() / 4.0;
    assert!((net.loss(&x) - want).abs() < 1e-12, "{} vs {want}", net.loss(&x));
    assert_eq!(net.forward(&x).as_slice(), h.as_slice());
    let report = net.gradcheck(&x);
    assert!(report.is_ok(1e-6) && report.all_zero().is_empty(), "{report}");
    // Batched: the mean of the examples' losses.
    let xs = Matrix::<D, U3, f64>::from_fn(|i, j| x[i] * (1.0 + j as f64));
    let per: f64 = (0..3).map(|j| net.loss(&Vector::from_fn(|i, _| xs[(i, j)]))).sum::<f64>() / 3.0;
    assert!((net.loss_batch(&xs) - per).abs() < 1e-12);
    let text = ByHand::derivation();
    assert!(text.contains("/D") || text.contains("/ D") || text.contains("D/H"), "{text}");
}

#[test]
fn a_generic_dim_is_its_size_too() {
    dims! { A = 3; C = 2; }
    let mut net = Generic::<A, C, f64>::zeros();
    net.W = Matrix::from_fn(|i, j| (i * 3 + j) as f64);
    let x = Vector::<A, f64>::from_fn(|i, _| 1.0 + i as f64);
    let sum: f64 = (0..2).map(|i| (0..3).map(|j| net.W[(i, j)] * x[j]).sum::<f64>()).sum();
    assert!((net.loss(&x) - sum / 6.0).abs() < 1e-12);
}

dims! { C = 4; }

net! {
    /// The multiclass hinge written by hand: a per-example scalar (the true
    /// class's score) taken from a per-example vector, batched.
    net HingeByHand { param W: [C, D]; input x: [D]; label y: C;
                      let z = W @ x;
                      loss sum(relu(z - dot(onehot(y), z) + 1.0)) - 1.0; }
}

net! {
    net Hinge { param W: [C, D]; input x: [D]; label y: C; loss svm(W @ x, y); }
}

#[test]
fn a_per_example_scalar_from_a_per_example_vector_is_batched() {
    let by_hand = HingeByHand::<f64>::init(2);
    let fused = Hinge::<f64> { W: by_hand.W.clone() };
    let xs = Matrix::<D, U4, f64>::from_fn(|i, j| ((i * 3 + j * 5) as f64 * 0.37).sin());
    let ys = Classes::<C, U4>::from_slice(&[0, 3, 1, 2]).unwrap();
    // The hand-written hinge is the library's svm (the true class's own
    // term is relu(1) = 1, taken off), per example and over the batch.
    for j in 0..4 {
        let x = Vector::<D, f64>::from_fn(|i, _| xs[(i, j)]);
        let y = ys.get(j);
        assert!((by_hand.loss(&x, y) - fused.loss(&x, y)).abs() < 1e-12);
        assert!(by_hand.gradcheck(&x, y).is_ok(1e-6));
    }
    let (l1, g1) = by_hand.grad_batch(&xs, &ys);
    let (l2, g2) = fused.grad_batch(&xs, &ys);
    assert!((l1 - l2).abs() < 1e-12, "{l1} vs {l2}");
    for (a, b) in g1.W.as_slice().iter().zip(g2.W.as_slice()) {
        assert!((a - b).abs() < 1e-12);
    }
}

#[test]
fn the_batched_gradient_with_a_dim_as_a_number_is_the_mean_of_the_examples() {
    let net = ByHand::<f64>::init(5);
    let xs = Matrix::<D, U3, f64>::from_fn(|i, j| ((i + 2 * j) as f64 * 0.61).cos());
    let (_, gb) = net.grad_batch(&xs);
    let mut mean = vec![0.0; 20];
    for j in 0..3 {
        let (_, g) = net.grad(&Vector::from_fn(|i, _| xs[(i, j)]));
        for (m, v) in mean.iter_mut().zip(g.W.as_slice()) {
            *m += v / 3.0;
        }
    }
    for (a, b) in gb.W.as_slice().iter().zip(&mean) {
        assert!((a - b).abs() < 1e-12);
    }
}
