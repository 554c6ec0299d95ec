//! Axes named by their dims: `+ − * /` of a matrix `[R×C]` and a vector go
//! along the axis the vector's dim names: `[R]` down each column, `[C]`
//! along each row; with two axes of one dim, the first.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::prelude::*;

dims! { R = 3; C = 4; }

net! {
    /// Every op both ways: a row vector `g: [C]` and a column one `s: [R]`.
    net Axes {
        param A: [R, C];
        param g: [C];
        param s: [R];
        let m = (A - g) * s / (2.0 + sigmoid(g)) + (g + A) * g - s / (1.5 + tanh(A));
        loss sum(m * m);
    }
}

net! {
    /// A square matrix: `A * v` would be ambiguous (an error); a row `v.T`
    /// goes along each row, and through two transposes down each column.
    net Square { param A: [R, R]; param v: [R]; loss sum(square(A * v.T - 1.0)) + sum(square((A.T + v.T).T)); }
}

fn random<X: Dim, Y: Dim>(g: &mut Pcg64Mcg) -> Matrix<X, Y, f64> {
    Matrix::from_fn(|_, _| g.random_range(-1.0..1.0))
}

#[test]
fn a_vector_goes_along_the_axis_its_dim_names() {
    let mut rng = Pcg64Mcg::seed_from_u64(1);
    for _ in 0..10 {
        let net = Axes::<f64> { A: random(&mut rng), g: random(&mut rng), s: random(&mut rng) };
        let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
        let mut want = 0.0;
        for i in 0..3 {
            for j in 0..4 {
                let (a, g, s) = (net.A[(i, j)], net.g[j], net.s[i]);
                let m = (a - g) * s / (2.0 + sig(g)) + (g + a) * g - s / (1.5 + a.tanh());
                want += m * m;
            }
        }
        assert!((net.loss() - want).abs() < 1e-10, "{} vs {want}", net.loss());
        let report = net.gradcheck();
        assert!(report.is_ok(1e-6) && report.all_zero().is_empty(), "{report}");
    }
}

#[test]
fn with_two_axes_of_one_dim_the_explicit_forms_say_which() {
    let mut rng = Pcg64Mcg::seed_from_u64(2);
    let net = Square::<f64> { A: random(&mut rng), v: random(&mut rng) };
    // A * vᵀ: v[j] along row i; (Aᵀ + vᵀ)ᵀ: v[i] down column j.
    let want: f64 = (0..3)
        .flat_map(|i| (0..3).map(move |j| (i, j)))
        .map(|(i, j)| (net.A[(i, j)] * net.v[j] - 1.0).powi(2) + (net.A[(i, j)] + net.v[i]).powi(2))
        .sum();
    assert!((net.loss() - want).abs() < 1e-12, "{} vs {want}", net.loss());
    assert!(net.gradcheck().is_ok(1e-6));
}
