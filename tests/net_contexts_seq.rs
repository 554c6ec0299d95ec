//! Every function and operator of `net!` applied to a per-example matrix
//! (`s = x @ W.T`, `[T, H]` for an input `x: [T, D]`), and the forms of
//! sequences: axes named by their dims, layernorm along an axis, fixed
//! steps, maps over steps, lookups of token sequences. For each net, plain
//! and with a coefficient around it: the derived gradient against central
//! finite differences (`gradcheck`, f64) at 100 random points, and the
//! batched methods (a `Tensor3<T, D, B>` batch, the example index last)
//! against the mean over the batch of the per-example loss and gradient.

#[path = "contexts/common.rs"]
mod common;
use common::*;

/// For the expression `e` of `s = x @ W.T + g` (`[T, H]`, with `g: [H]`
/// a vector along its rows), nets `loss sum(e)`, plain and scaled, and a test.
macro_rules! cases {
    ($($test:ident { $($e:tt)* })*) => {
        $(mod $test {
            use super::*;
            net! { pub net Plain { param W: [H, D]; param g: [H]; input x: [T, D]; let s = x @ W.T + g; loss sum($($e)*); } }
            net! { pub net Scaled { param W: [H, D]; param g: [H]; input x: [T, D]; let s = x @ W.T + g; loss 2.5 * sum($($e)*) - 1.0; } }

            #[test]
            fn plain_and_scaled() {
                let what = module_path!();
                let m = Methods {
                    gradcheck: |n: &Plain<f64>, x| n.gradcheck(x),
                    grad: |n, x| n.grad(x),
                    grad_batch: |n, xs| n.grad_batch(xs),
                    loss_batch: |n, xs| n.loss_batch(xs),
                };
                verify(what, |rng| Plain::<f64> { W: random(rng), g: random(rng) }, matrices, matrix, m);
                let m = Methods {
                    gradcheck: |n: &Scaled<f64>, x| n.gradcheck(x),
                    grad: |n, x| n.grad(x),
                    grad_batch: |n, xs| n.grad_batch(xs),
                    loss_batch: |n, xs| n.loss_batch(xs),
                };
                verify(what, |rng| Scaled::<f64> { W: random(rng), g: random(rng) }, matrices, matrix, m);
            }
        })*
    };
}

cases! {
    sigmoid { sigmoid(s) }
    tanh { tanh(s) }
    relu { relu(s) }
    swish { swish(s) }
    exp { exp(s) }
    log { log(sigmoid(s) + 0.5) }
    sqrt { sqrt(sigmoid(s) + 0.5) }
    square { square(s) }
    abs { abs(s) }
    neg { -tanh(s) }
    mul { s * tanh(s) }
    div { s / (2.0 + sigmoid(s)) }
    elu { elu(s) }
    gelu { gelu(s) }
    softplus { softplus(s) }
    log_sigmoid { log_sigmoid(s) }
    leaky_relu { leaky_relu(s, 0.1) }
    pow { pow(sigmoid(s) + 0.5, -1.5) }
    max { max(s, 0.5 * s + 0.1) }
    min { min(tanh(s), s * s) }
    transpose_left { tanh(s.T @ s) }
    transpose_right { tanh(s @ s.T) }
    softmax { softmax(s) * s }
    log_softmax { log_softmax(s) * s }
    softmax_of_scores { softmax(0.5 * (s @ s.T)).T @ s }
    add_along_rows { tanh(s + g) }
    sub_along_rows { square(s - g) }
    mul_along_rows { s * g * tanh(s) }
    div_along_rows { s / (2.0 + sigmoid(g)) }
    layernorm_along_rows { layernorm(s, g, g) * tanh(s) }
    dim_number { s * (T + 1.0) / H }
    first_step { s[0] * tanh(s[T - 1]) }
    mean_of_squares { mean(square(s)) }
}

/// Maps over steps (`for t in T`) and lookups of a token sequence.
mod steps {
    use super::*;

    net! {
        pub net StepMap {
            param W: [H, D];
            param g: [H];
            input x: [T, D];
            let s = x @ W.T;
            for t in T {
                let a = tanh(s[t] + g);
                let l[t] = dot(a, a) + sigmoid(sum(s[t]));
            }
            loss mean(l);
        }
    }

    net! {
        pub net Lookup {
            param E: [V, D];
            param W: [V, D];
            param g: [D];
            param b: [D];
            input ws: [T] of V;
            label ys: [T] of V;
            let s = layernorm(E[ws], g, b) @ W.T;
            for t in T {
                let l[t] = softmax_cross_entropy(s[t], ys[t]);
            }
            loss mean(l) + 0.1 * sum(square(E[ws][0]));
        }
    }

    #[test]
    fn a_map_over_steps() {
        let m = Methods {
            gradcheck: |n: &StepMap<f64>, x| n.gradcheck(x),
            grad: |n, x| n.grad(x),
            grad_batch: |n, xs| n.grad_batch(xs),
            loss_batch: |n, xs| n.loss_batch(xs),
        };
        verify("map", |rng| StepMap::<f64> { W: random(rng), g: random(rng) }, matrices, matrix, m);
    }

    type Tokens = (Sequences<V, T, B>, Sequences<V, T, B>);

    fn tokens(rng: &mut Pcg64Mcg) -> Tokens {
        let mut pick = || Sequences::from_fn(|_, _| rng.random_range(0..V::SIZE)).unwrap();
        (pick(), pick())
    }

    #[test]
    fn a_lookup_of_tokens_and_a_label_per_step() {
        let m = Methods {
            gradcheck: |n: &Lookup<f64>, (w, y): &(Classes<V, T>, Classes<V, T>)| n.gradcheck(w, y),
            grad: |n, (w, y)| n.grad(w, y),
            grad_batch: |n, (ws, ys): &Tokens| n.grad_batch(ws, ys),
            loss_batch: |n, (ws, ys)| n.loss_batch(ws, ys),
        };
        let random_net = |rng: &mut Pcg64Mcg| Lookup::<f64> {
            E: random(rng),
            W: random(rng),
            g: random(rng),
            b: random(rng),
        };
        verify("lookup", random_net, tokens, |(ws, ys), b| (ws.example(b), ys.example(b)), m);
    }
}
