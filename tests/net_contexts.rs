//! Every function and operator of `net!` applied to a per-example scalar
//! (`dot(w, x)`), to a 1×1 value (`v @ x` for a row `v`) and to a vector
//! (`W @ x`), with and without a coefficient around it. For each net: the
//! derived gradient against central finite differences (`gradcheck`, f64) at
//! random points, and the batched methods against the mean over the batch of
//! the per-example loss and gradient.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use shapegrad::check::GradCheck;
use shapegrad::optim::Params;
use shapegrad::prelude::*;

dims! { D = 4; H = 3; B = 5; }

fn random<R: Dim, K: Dim>(rng: &mut Pcg64Mcg) -> Matrix<R, K, f64> {
    Matrix::from_fn(|_, _| rng.random_range(-1.0..1.0))
}

fn flat<N: Params<f64> + Clone>(net: &N, g: &N::Grad) -> Vec<f64> {
    let mut out = Vec::new();
    net.clone().visit_with_grad(g, &mut |_, values| out.extend_from_slice(values));
    out
}

type X = Vector<D, f64>;
type Xs = Matrix<D, B, f64>;
type Ys = Classes<H, B>;

/// The methods of one generated net, for `verify`; `A` is its label argument, or `()`.
struct Methods<N: Params<f64>, A> {
    gradcheck: fn(&N, &X, A) -> GradCheck<f64>,
    grad: fn(&N, &X, A) -> (f64, N::Grad),
    grad_batch: fn(&N, &Xs, &Ys) -> (f64, N::Grad),
    loss_batch: fn(&N, &Xs, &Ys) -> f64,
    label: fn(&Classes<H, B>, usize) -> A,
}

/// At 100 random points: `gradcheck` agrees within 1e-7 (relative where the
/// values exceed 1), and `loss_batch` / `grad_batch` are the means of the
/// per-example `loss` / `grad`. (Kinks — relu, abs, max at ties, the hinge —
/// are met with probability zero at random points; a central difference
/// straddles one only when a value is within 1e-6 of it.)
fn verify<N: Params<f64> + Clone, A>(what: &str, random_net: impl Fn(&mut Pcg64Mcg) -> N, m: Methods<N, A>) {
    for seed in 0..100 {
        let mut rng = Pcg64Mcg::seed_from_u64(seed);
        let net = random_net(&mut rng);
        let xs: Matrix<D, B, f64> = random(&mut rng);
        let labels: Vec<usize> = (0..B::SIZE).map(|_| rng.random_range(0..H::SIZE)).collect();
        let ys = Classes::<H, B>::from_slice(&labels).unwrap();
        let report = (m.gradcheck)(&net, &xs.column(0), (m.label)(&ys, 0));
        assert!(report.is_ok(1e-7), "{what}, seed {seed}: gradcheck\n{report}");
        let (loss, g) = (m.grad_batch)(&net, &xs, &ys);
        let g = flat(&net, &g);
        let (mut mean_loss, mut mean_grad) = (0.0, vec![0.0; g.len()]);
        for b in 0..B::SIZE {
            let (l, gb) = (m.grad)(&net, &xs.column(b), (m.label)(&ys, b));
            mean_loss += l / B::SIZE as f64;
            for (m, x) in mean_grad.iter_mut().zip(flat(&net, &gb)) {
                *m += x / B::SIZE as f64;
            }
        }
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
        assert!(close(loss, mean_loss), "{what}, seed {seed}: loss_batch {loss}, mean of losses {mean_loss}");
        assert!(close((m.loss_batch)(&net, &xs, &ys), mean_loss), "{what}, seed {seed}: loss_batch");
        for (i, (a, b)) in g.iter().zip(&mean_grad).enumerate() {
            assert!(close(*a, *b), "{what}, seed {seed}: grad_batch[{i}] {a}, mean of grads {b}");
        }
    }
}

/// Methods of a net whose arguments are `x` only.
macro_rules! methods {
    ($net:ident) => {
        Methods {
            gradcheck: |n: &$net<f64>, x, ()| n.gradcheck(x),
            grad: |n, x, ()| n.grad(x),
            grad_batch: |n, xs, _| n.grad_batch(xs),
            loss_batch: |n, xs, _| n.loss_batch(xs),
            label: |_, _| (),
        }
    };
}

/// For the expression `e` of `s`: nets applying it to `s` as a scalar, a
/// 1×1 and a vector (`mats`: the last two only), each plain and with a
/// coefficient, and a test running `verify` on all of them.
macro_rules! sweep {
    (all { $($e:tt)* }) => {
        sweep!(net scalar, w: [D], (dot(w, x)), { $($e)* });
        sweep!(mats { $($e)* });
    };
    (mats { $($e:tt)* }) => {
        sweep!(net one_by_one, v: [1, D], (v @ x), { $($e)* });
        sweep!(net vector, W: [H, D], (W @ x), { sum($($e)*) });
    };
    (net $ctx:ident, $p:ident: $shape:tt, $s:tt, { $($e:tt)* }) => {
        mod $ctx {
            use super::*;
            net! {
                fn gate(a, b) = sigmoid(a) * tanh(b);
                layer Twice(v) { let u = tanh(v); 2.0 * v + u * v }
                pub net Plain { param $p: $shape; param tw: Twice; input x: [D]; let s = $s; loss $($e)*; }
            }
            net! {
                fn gate(a, b) = sigmoid(a) * tanh(b);
                layer Twice(v) { let u = tanh(v); 2.0 * v + u * v }
                pub net Scaled { param $p: $shape; param tw: Twice; input x: [D]; let s = $s; loss 2.5 * ($($e)*) - 1.0; }
            }

            #[test]
            fn plain_and_scaled() {
                let what = module_path!();
                verify(what, |rng| Plain::<f64> { $p: random(rng) }, methods!(Plain));
                verify(what, |rng| Scaled::<f64> { $p: random(rng) }, methods!(Scaled));
            }
        }
    };
}

macro_rules! cases {
    ($($kind:ident $test:ident { $($e:tt)* })*) => {
        $(mod $test {
            use super::*;
            sweep!($kind { $($e)* });
        })*
    };
}

cases! {
    all sigmoid { sigmoid(s) }
    all tanh { tanh(s) }
    all relu { relu(s) }
    all swish { swish(s) }
    all swish_written_out { s * sigmoid(s) }
    all exp { exp(s) }
    all log { log(sigmoid(s) + 0.5) }
    all sqrt { sqrt(sigmoid(s) + 0.5) }
    all square { square(s) }
    all abs { abs(s) }
    all neg { -tanh(s) }
    all add { s + tanh(s) }
    all sub { tanh(s) - s }
    all scalar_minus { 1.0 - s }
    all mul { s * tanh(s) }
    all times_scalar { s * 0.5 }
    all sum { sum(square(s)) }
    all mean { mean(square(s)) }
    all elu { elu(s) }
    all max { max(s, 0.5 * s + 0.1) }
    all min { min(tanh(s), s * s) }
    all max_scalar { max(s, 0.2) + min(0.1, s) }
    all leaky_relu { leaky_relu(s, 0.1) }
    all pow { pow(sigmoid(s) + 0.5, -1.5) + pow(square(s) + 1.0, 0.5) }
    all div { s / (2.0 + sigmoid(s)) }
    all scalar_over { 1.0 / (1.5 + tanh(s)) }
    all over_scalar { s / 4.0 }
    all gelu { gelu(s) }
    all log_sigmoid { log_sigmoid(s) }
    all softplus { softplus(s) }
    all dim_number { s * (D + 1.0) / D + tanh(s) }
    all hardswish { hardswish(3.0 * s) }
    all hardsigmoid { hardsigmoid(3.0 * s) }
    all hardtanh { hardtanh(2.0 * s) }
    all relu6 { relu6(8.0 * s) }
    all silu { silu(s) }
    all mish { mish(s) }
    all softsign { softsign(s) }
    all user_function { gate(s, 2.0 * s) }
    all layer { tw(s) + tw(tanh(s)) }
    mats centered { s - mean(s) + 0.1 * s * s }
    mats slice { s[0..1] * tanh(s[0..1]) }
    mats step { s[0] * tanh(s) }
    mats transpose_matmul { s.T @ s }
    mats softmax { softmax(s) * s }
    mats log_softmax { log_softmax(s) * s }
    mats dot { dot(s, tanh(s)) }
    mats mse { mse(s, tanh(s)) }
    mats logsumexp { logsumexp(s) }
    mats norm { norm(s) * norm(s - 0.3) }
    mats sum_rows { sum_rows(s) * s }
    mats sum_cols { sum_cols(tanh(s)) }
}

/// Label functions, on logits `W @ x` (a vector of one score per class).
macro_rules! label_cases {
    ($($test:ident { $($e:tt)* })*) => {
        $(mod $test {
            use super::*;
            net! { pub net Plain { param W: [H, D]; input x: [D]; label y: H; let s = W @ x; loss $($e)*; } }
            net! { pub net Scaled { param W: [H, D]; input x: [D]; label y: H; let s = W @ x; loss 2.5 * ($($e)*) - 1.0; } }

            #[test]
            fn plain_and_scaled() {
                let label = |ys: &Classes<H, B>, b: usize| ys.get(b);
                let m = Methods {
                    gradcheck: |n: &Plain<f64>, x, y| n.gradcheck(x, y),
                    grad: |n, x, y| n.grad(x, y),
                    grad_batch: |n, xs, ys| n.grad_batch(xs, ys),
                    loss_batch: |n, xs, ys| n.loss_batch(xs, ys),
                    label,
                };
                verify(stringify!($test), |rng| Plain::<f64> { W: random(rng) }, m);
                let m = Methods {
                    gradcheck: |n: &Scaled<f64>, x, y| n.gradcheck(x, y),
                    grad: |n, x, y| n.grad(x, y),
                    grad_batch: |n, xs, ys| n.grad_batch(xs, ys),
                    loss_batch: |n, xs, ys| n.loss_batch(xs, ys),
                    label,
                };
                verify(stringify!($test), |rng| Scaled::<f64> { W: random(rng) }, m);
            }
        })*
    };
}

label_cases! {
    softmax_cross_entropy { softmax_cross_entropy(s, y) }
    svm { svm(s, y) }
    onehot { dot(onehot(y), tanh(s)) }
}
