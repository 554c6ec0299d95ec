//! Homework problem 1: the tied-weight autoencoder L = ½‖WᵀWx − x‖²,
//! W ∈ ℝ^{M×N}, written once with `net!` (generic over its dims). Prints the
//! derived backward pass, checks it against finite differences and against
//! the closed form, shows that one answer sheet's ∇W = 2W(v xᵀ) is wrong, and
//! runs gradient descent.
//!
//! Run: `cargo run --release --example 01-autoencoder`

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::prelude::*;

net! {
    /// L = ½‖WᵀWx − x‖²: W encodes x into z = Wx, Wᵀ decodes it back.
    pub net Autoencoder<M, N> {
        param W: [M, N];
        input x: [N];
        let z = W @ x;
        let v = W.T @ z - x;
        loss 0.5 * sum(v * v);

        // The closed form: W is used twice, so its gradient has two terms.
        grad W = W @ v @ x.T + z @ v.T;
    }
}

dims! {
    /// Code size.
    pub M = 4;
    /// Input size.
    pub N = 8;
}

type Net = Autoencoder<M, N, f64>;

fn main() {
    println!("{}", Autoencoder::<M, N>::derivation());

    let mut rng = Pcg64Mcg::seed_from_u64(7);
    let mut net = Net::init(7);
    let x = Vector::<N, f64>::from_fn(|_, _| rng.random_range(-1.0..1.0));

    let check = net.gradcheck(&x);
    println!("derived ∇W vs central finite differences:\n{check}\n");
    assert!(check.is_ok(1e-6), "the derived gradient disagrees with finite differences");
    let hand = net.check_hand_grads(&x);
    println!("closed form W v xᵀ + z vᵀ vs derived:\n{hand}\n");

    // The slip of one answer sheet, written by hand with typed matrices.
    let (_, g) = net.grad(&x);
    let v = net.W.t() * &(&net.W * &x) - &x;
    let sheet = 2.0 * &(&net.W * &v.outer(&x));
    println!("answer sheet 2W(v xᵀ): max |difference| from ∇W = {:.3e}\n", sheet.max_abs_diff(&g.W));

    println!("gradient descent, step 0.1:");
    for step in 0..=50 {
        let (loss, g) = net.grad(&x);
        if step % 10 == 0 {
            println!("  step {step:>2}  L = {loss:.3e}");
        }
        net.W.axpy(-0.1, &g.W);
    }
}
