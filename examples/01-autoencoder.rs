//! Homework problem 1, by hand: the tied-weight autoencoder
//! L = ½‖WᵀWx − x‖², W ∈ ℝ^{M×N}, its gradient derived on paper and written
//! with shape-typed matrices, then checked against finite differences.
//!
//! Run: `cargo run --release --example 01-autoencoder`

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::check::numeric_gradient;
use shapegrad::prelude::*;

dims! {
    /// Code size.
    pub M = 4;
    /// Input size.
    pub N = 8;
}

/// The forward pass, keeping what the backward pass needs: z = Wx, v = Wᵀz − x.
fn forward(w: &Matrix<M, N, f64>, x: &Vector<N, f64>) -> (f64, Vector<M, f64>, Vector<N, f64>) {
    let z: Vector<M, f64> = w * x;
    let v: Vector<N, f64> = w.t() * &z - x;
    (0.5 * v.dot(&v), z, v)
}

/// ∇W L by hand. W is used twice (in z = Wx and in y = Wᵀz), so its gradient
/// sums both paths:
///   dv = v, dy = v              [N]
///   dz = W dy                   [M]    (y = Wᵀz)
///   ∇W = dz xᵀ + (dy zᵀ)ᵀ = W v xᵀ + z vᵀ   [M×N]
fn grad_by_hand(w: &Matrix<M, N, f64>, x: &Vector<N, f64>) -> Matrix<M, N, f64> {
    let (_, z, v) = forward(w, x);
    let dz: Vector<M, f64> = w * &v;
    dz.outer(x) + z.outer(&v)
}

/// The slip of one answer sheet: ∇W = 2W(v xᵀ), which keeps one path twice
/// and drops the other.
fn grad_from_the_sheet(w: &Matrix<M, N, f64>, x: &Vector<N, f64>) -> Matrix<M, N, f64> {
    let (_, _, v) = forward(w, x);
    2.0 * &(w * &v.outer(x))
}

fn main() {
    let mut rng = Pcg64Mcg::seed_from_u64(7);
    let mut w = Matrix::<M, N, f64>::from_fn(|_, _| rng.random_range(-0.5..0.5));
    let x = Vector::<N, f64>::from_fn(|_, _| rng.random_range(-1.0..1.0));

    let numeric = numeric_gradient(&w, |w| forward(w, &x).0, 1e-6);
    let hand = grad_by_hand(&w, &x);
    let sheet = grad_from_the_sheet(&w, &x);
    println!(
        "L = ½‖WᵀWx − x‖²,  W {}  x {}",
        Matrix::<M, N, f64>::shape_name(),
        Vector::<N, f64>::shape_name()
    );
    println!("max |∇W − finite differences|:");
    println!("  W v xᵀ + z vᵀ (by hand)    {:.3e}", hand.max_abs_diff(&numeric));
    println!("  2W(v xᵀ) (answer sheet)    {:.3e}", sheet.max_abs_diff(&numeric));
    assert!(hand.approx_eq(&numeric, 1e-7), "the hand-derived gradient disagrees with finite differences");

    println!("\ngradient descent, step 0.1:");
    for step in 0..=50 {
        let (loss, _, _) = forward(&w, &x);
        if step % 10 == 0 {
            println!("  step {step:>2}  L = {loss:.3e}");
        }
        w.axpy(-0.1, &grad_by_hand(&w, &x));
    }
}
