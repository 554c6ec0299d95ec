//! Nets of params alone: a pure objective (a Matrix Cookbook identity, a
//! least-squares fit of a parameter) with no input, label or target. Their
//! `loss`, `grad`, `gradcheck` and `derivation` take no arguments; they have
//! no batched methods (there is no batch of examples to average over).

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::optim::{Adam, Optimizer};
use shapegrad::prelude::*;

dims! { M = 3; N = 4; }

net! {
    /// ‖x‖, whose gradient is x/‖x‖.
    net Norm { param x: [N]; loss norm(x); }
}

net! {
    /// trace(XᵀX) = ‖X‖²_F, whose gradient is 2X (Matrix Cookbook (103)).
    net Frobenius { param X: [M, N]; loss trace(X.T @ X); }
}

net! {
    /// trace(AXB) over a generic X: the gradient is AᵀBᵀ (Matrix Cookbook (102)).
    net TraceAXB<P, Q> { param A: [Q, P]; param X: [P, Q]; param Bm: [Q, Q]; loss trace(A @ X @ Bm); }
}

fn random<R: Dim, K: Dim>(rng: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| rng.random_range(-1.5..1.5))
}

#[test]
fn the_norm_of_a_param_and_its_gradient() {
    let mut rng = Pcg64Mcg::seed_from_u64(7);
    for _ in 0..20 {
        let n = Norm::<f64> { x: random(&mut rng) };
        let x = n.x.as_slice();
        let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((n.loss() - norm).abs() < 1e-12);
        let (loss, g) = n.grad();
        assert!((loss - norm).abs() < 1e-12);
        for (gi, xi) in g.x.as_slice().iter().zip(x) {
            assert!((gi - xi / norm).abs() < 1e-12, "{gi} vs {}", xi / norm);
        }
        let report = n.gradcheck();
        assert!(report.is_ok(1e-6), "{report}");
    }
    assert!(Norm::derivation().contains("∂x = x/‖x‖"), "{}", Norm::derivation());
}

#[test]
fn the_trace_of_xtx_and_its_gradient_2x() {
    let mut rng = Pcg64Mcg::seed_from_u64(8);
    for _ in 0..20 {
        let f = Frobenius::<f64> { X: random(&mut rng) };
        let squares: f64 = f.X.as_slice().iter().map(|v| v * v).sum();
        assert!((f.loss() - squares).abs() < 1e-12);
        let (_, g) = f.grad();
        for (gi, xi) in g.X.as_slice().iter().zip(f.X.as_slice()) {
            assert!((gi - 2.0 * xi).abs() < 1e-12);
        }
        let report = f.gradcheck();
        assert!(report.is_ok(1e-6), "{report}");
    }
    assert!(Frobenius::derivation().contains("∂X = 2 X"), "{}", Frobenius::derivation());
}

#[test]
fn a_generic_objective_with_every_param_differentiated() {
    let mut rng = Pcg64Mcg::seed_from_u64(9);
    let n = TraceAXB::<M, N, f64> { A: random(&mut rng), X: random(&mut rng), Bm: random(&mut rng) };
    let (_, g) = n.grad();
    // ∂ trace(AXB)/∂X = AᵀBᵀ, written out by index.
    for i in 0..M::SIZE {
        for j in 0..N::SIZE {
            let want: f64 = (0..N::SIZE).map(|k| n.A[(k, i)] * n.Bm[(j, k)]).sum();
            assert!((g.X[(i, j)] - want).abs() < 1e-12);
        }
    }
    let report = n.gradcheck();
    assert!(report.is_ok(1e-6), "{report}");
}

#[test]
fn adam_minimizes_an_objective_without_inputs() {
    let mut f = Frobenius::<f64>::init(3);
    let mut adam = Adam::new(0.05);
    let start = f.loss();
    assert!(start > 0.1, "{start}");
    for _ in 0..400 {
        let (_, g) = f.grad();
        adam.step(&mut f, &g);
    }
    assert!(f.loss() < 1e-3 * start, "{} from {start}", f.loss());
}
