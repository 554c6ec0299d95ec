//! What the sweeps over sequences share (`net_contexts_seq`,
//! `net_contexts_loop`): the dims, random values, and `verify`, which checks
//! a net's gradient against central finite differences and its batched
//! methods against the mean of its per-example ones.

#![allow(dead_code)]

pub use rand::{Rng, SeedableRng};
pub use rand_pcg::Pcg64Mcg;
use shapegrad::check::GradCheck;
use shapegrad::optim::Params;
pub use shapegrad::prelude::*;

dims! { pub D = 4; pub H = 3; pub T = 5; pub B = 3; pub V = 6; }

pub fn random<R: Dim, K: Dim>(rng: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| rng.random_range(-1.0..1.0))
}

pub fn flat<N: Params<f64> + Clone>(net: &N, g: &N::Grad) -> Vec<f64> {
    let mut out = Vec::new();
    net.clone().visit_with_grad(g, &mut |_, values| out.extend_from_slice(values));
    out
}

/// The methods of one generated net, for `verify`: its input is an example
/// (`X`) or a batch (`Xs`) of them.
pub struct Methods<N: Params<f64>, X, Xs> {
    pub gradcheck: fn(&N, &X) -> GradCheck<f64>,
    pub grad: fn(&N, &X) -> (f64, N::Grad),
    pub grad_batch: fn(&N, &Xs) -> (f64, N::Grad),
    pub loss_batch: fn(&N, &Xs) -> f64,
}

/// At 100 random points: `gradcheck` agrees within 1e-7, and `loss_batch` /
/// `grad_batch` are the means of the per-example `loss` / `grad`, each
/// example `example(xs, b)` of a random batch `batch(rng)`.
pub fn verify<N: Params<f64> + Clone, X, Xs>(
    what: &str,
    random_net: impl Fn(&mut Pcg64Mcg) -> N,
    batch: impl Fn(&mut Pcg64Mcg) -> Xs,
    example: impl Fn(&Xs, usize) -> X,
    m: Methods<N, X, Xs>,
) {
    for seed in 0..100 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = random_net(&mut rng);
        let xs = batch(&mut rng);
        let report = (m.gradcheck)(&net, &example(&xs, 0));
        assert!(report.is_ok(1e-7), "{what}, seed {seed}: gradcheck\n{report}");
        let (loss, g) = (m.grad_batch)(&net, &xs);
        let g = flat(&net, &g);
        let (mut mean_loss, mut mean_grad) = (0.0, vec![0.0; g.len()]);
        for b in 0..B::SIZE {
            let (l, gb) = (m.grad)(&net, &example(&xs, b));
            mean_loss += l / B::SIZE as f64;
            for (m, x) in mean_grad.iter_mut().zip(flat(&net, &gb)) {
                *m += x / B::SIZE as f64;
            }
        }
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
        assert!(close(loss, mean_loss), "{what}, seed {seed}: loss_batch {loss}, mean of losses {mean_loss}");
        assert!(close((m.loss_batch)(&net, &xs), mean_loss), "{what}, seed {seed}: loss_batch");
        for (i, (a, b)) in g.iter().zip(&mean_grad).enumerate() {
            assert!(close(*a, *b), "{what}, seed {seed}: grad_batch[{i}] {a}, mean of grads {b}");
        }
    }
}

pub fn matrices(rng: &mut Pcg64Mcg) -> Tensor3<T, D, B, f64> {
    Tensor3::from_fn(|_, _, _| rng.random_range(-1.0..1.0))
}

pub fn matrix(xs: &Tensor3<T, D, B, f64>, b: usize) -> Matrix<T, D, f64> {
    Matrix::from_fn(|t, d| xs[(t, d, b)])
}
