//! Every function and operator of `net!` applied to a step of a run-time
//! loop (`for t in T` with `init`): the state `h[t] = e(s)` for
//! `s = W x[t] + ½ U h[t − 1]`, its `init` a param. For each, plain and with
//! a coefficient around the loss: the gradient derived through time against
//! central finite differences (`gradcheck`, f64) at 100 random points, and
//! the batched loop (a `Tensor3<T, D, B>` batch) against the mean over the
//! batch of the per-example loss and gradient.

#[path = "contexts/common.rs"]
mod common;
use common::*;

/// For the expression `e` of `s` (`[H]`), nets whose state is `h[t] = e`.
macro_rules! cases {
    ($($test:ident { $($e:tt)* })*) => {
        $(mod $test {
            use super::*;
            net! {
                pub net Plain {
                    param W: [H, D]; param U: [H, H]; param g: [H]; input x: [T, D];
                    for t in T { init h = g; let s = W @ x[t] + 0.5 * (U @ h[t - 1]); let h[t] = $($e)*; }
                    loss sum(h);
                }
            }
            net! {
                pub net Scaled {
                    param W: [H, D]; param U: [H, H]; param g: [H]; input x: [T, D];
                    for t in T { init h = g; let s = W @ x[t] + 0.5 * (U @ h[t - 1]); let h[t] = $($e)*; }
                    loss 2.5 * sum(h[T - 1]) - 1.0;
                }
            }

            #[test]
            fn plain_and_scaled() {
                let what = module_path!();
                let m = Methods {
                    gradcheck: |n: &Plain<f64>, x| n.gradcheck(x),
                    grad: |n, x| n.grad(x),
                    grad_batch: |n, xs| n.grad_batch(xs),
                    loss_batch: |n, xs| n.loss_batch(xs),
                };
                verify(what, |rng| Plain::<f64> { W: random(rng), U: random(rng), g: random(rng) }, matrices, matrix, m);
                let m = Methods {
                    gradcheck: |n: &Scaled<f64>, x| n.gradcheck(x),
                    grad: |n, x| n.grad(x),
                    grad_batch: |n, xs| n.grad_batch(xs),
                    loss_batch: |n, xs| n.loss_batch(xs),
                };
                verify(what, |rng| Scaled::<f64> { W: random(rng), U: random(rng), g: random(rng) }, matrices, matrix, m);
            }
        })*
    };
}

cases! {
    sigmoid { sigmoid(s) }
    tanh { tanh(s) }
    relu { relu(s) }
    swish { swish(s) }
    exp { exp(-square(s)) }
    log { log(sigmoid(s) + 0.5) }
    sqrt { sqrt(sigmoid(s) + 0.5) }
    square { square(tanh(s)) }
    abs { abs(tanh(s)) }
    neg { -tanh(s) }
    mul { tanh(s) * sigmoid(s) }
    div { s / (2.0 + sigmoid(s)) }
    elu { elu(tanh(s)) }
    gelu { gelu(tanh(s)) }
    softplus { softplus(tanh(s)) }
    log_sigmoid { log_sigmoid(s) }
    leaky_relu { leaky_relu(tanh(s), 0.1) }
    pow { pow(sigmoid(s) + 0.5, -1.5) }
    max { max(tanh(s), 0.5 * s + 0.1) }
    min { min(tanh(s), s * s) }
    softmax { softmax(s) }
    log_softmax { tanh(log_softmax(s)) }
    layernorm { tanh(layernorm(s, g, g)) }
    along_the_state { tanh(s) * g + sigmoid(g) }
    dim_number { tanh(s * (T + 1.0) / H) }
    dot { tanh(s) * dot(s, g) * 0.2 }
    first_element { tanh(s) * s[0] }
    outer_product { tanh((s @ g.T) @ s) * 0.3 }
    hardtanh { hardtanh(s) }
    relu6 { relu6(3.0 * s) }
    hardswish { hardswish(s) }
    silu { silu(s) }
    mish { mish(tanh(s)) }
    softsign { softsign(s) }
    two_steps_back { tanh(s + 0.3 * h[t - 2]) }
}
