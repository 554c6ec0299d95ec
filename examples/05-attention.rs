//! The contract's transformer block (token embedding with learned positions,
//! pre-LN causal single-head attention, an FFN, a loss at every step) trained
//! as a character-level next-token model on nursery rhymes
//! (`examples/corpus/rhymes.txt`, public domain): the loss falling, the
//! held-out loss on rhymes it never saw, a few sampled continuations, and the
//! derivation lines of the attention.
//!
//! Run: `cargo run --release --example 05-attention`

use shapegrad::optim::{Adam, Optimizer};
use shapegrad::prelude::*;
use shapegrad::random::Rng;

dims! {
    /// The characters: the alphabet below.
    V = 34;
    /// The model width.
    D = 64;
    /// The FFN's width.
    F = 256;
    /// The context: 64 characters.
    T = 64;
    /// Sequences per step.
    B = 32;
}

#[path = "common/text.rs"]
mod text;

net! {
    /// A pre-LN transformer block, causal single-head attention, next-token loss.
    pub net Block {
        param E: [V, D];
        param P: [T, D];
        param g1: [D];
        param s1: [D];
        param Wq: [D, D];
        param Wk: [D, D];
        param Wv: [D, D];
        param Wo: [D, D];
        param g2: [D];
        param s2: [D];
        param W1: [F, D];
        param b1: [F];
        param W2: [D, F];
        param b2: [D];
        param Wy: [V, D];
        input ws: [T] of V;
        input mask: [T, T];                         // 0 where key ≤ query, −1e9 elsewhere
        label ys: [T] of V;
        let x = E[ws] + P;                          // [T, D]
        let h = layernorm(x, g1, s1);               // each row, along D
        let q = h @ Wq.T;
        let k = h @ Wk.T;
        let v = h @ Wv.T;
        let a = softmax(0.125 * (k @ q.T) + mask);  // [T, T]: keys × queries, per column
        let r = x + a.T @ v @ Wo.T;
        let f = relu(layernorm(r, g2, s2) @ W1.T + b1) @ W2.T + b2;
        let z = (r + f) @ Wy.T;                     // [T, V]
        for t in T {
            let l[t] = softmax_cross_entropy(z[t], ys[t]);
        }
        output z;
        loss mean(l);
    }
}

const STEPS: usize = 600;
const LR: f32 = 2e-3;

fn causal() -> Matrix<T, T> {
    Matrix::from_fn(|key, query| if key <= query { 0.0 } else { -1e9 })
}

/// The mean next-character loss over the windows of `text` that start every `T` characters.
fn mean_loss(net: &Block, text: &[usize]) -> f32 {
    let mask = causal();
    text::mean_over_windows(text, T::SIZE, |window, next| {
        let ws = Classes::<V, T>::from_slice(window).expect("encoded below V");
        let ys = Classes::<V, T>::from_slice(next).expect("encoded below V");
        net.loss(&ws, &mask, &ys)
    })
}

/// `n` characters after `prompt`, from the last position's logits, the
/// context the last `T` characters.
fn sample(net: &Block, prompt: &str, n: usize, rng: &mut Rng) -> String {
    let mask = causal();
    text::sample(prompt, n, T::SIZE, rng, |window| {
        let ws = Classes::<V, T>::from_slice(window).expect("encoded below V");
        let z = net.forward(&ws, &mask);
        (0..V::SIZE).map(|c| z[(T::SIZE - 1, c)]).collect()
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The last six rhymes are never trained on.
    let (train, held) = text::rhymes();
    println!(
        "{} training characters, {} held out; {}",
        train.len(),
        held.len(),
        Block::summary().lines().last().unwrap_or("")
    );

    let mut net = Block::<f32>::init(1);
    let mut adam = Adam::new(LR);
    let mut ws = BlockBatchWorkspace::<B, f32>::new();
    let mut grads = BlockGrad::<f32>::zeros();
    let mask = Tensor3::<T, T, B>::from_fn(|key, query, _| if key <= query { 0.0 } else { -1e9 });
    let mut rng = Rng::seed(5);
    let held_before = mean_loss(&net, &held);
    let started = std::time::Instant::now();
    let mut running = 0.0;
    let mut best = (f32::INFINITY, 0, net.clone());
    for step in 1..=STEPS {
        // B windows at random offsets of the training text; each target is the next character.
        let (tokens, next) = text::windows::<V, T, B>(&train, &mut rng)?;
        let loss = net.grad_batch_into(&mut ws, &tokens, &mask, &next, &mut grads);
        adam.step(&mut net, &grads);
        running += loss;
        // 8 KB of text is soon learned by heart: the held-out loss every
        // 100 steps, and the net where it was lowest kept (early stopping).
        if step % 100 == 0 {
            let held_loss = mean_loss(&net, &held);
            println!(
                "step {step:>4}: training loss {:.3} (mean of the last 100 steps), held-out {held_loss:.3}",
                running / 100.0
            );
            running = 0.0;
            if held_loss < best.0 {
                best = (held_loss, step, net.clone());
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let (held_after, best_step, net) = best;
    println!("kept the net of step {best_step}, where the held-out loss was lowest");
    println!(
        "{STEPS} steps of {} sequences in {seconds:.1} s ({:.1} ms a step, one thread)",
        B::SIZE,
        1e3 * seconds / STEPS as f64
    );
    println!(
        "held-out loss {held_after:.3} nats a character (at the start {held_before:.3}; uniform over {} characters: {:.3})",
        V::SIZE,
        (V::SIZE as f32).ln()
    );
    for prompt in ["humpty dumpty ", "the little ", "pussy cat, "] {
        println!("{prompt}| {}", sample(&net, prompt, 60, &mut rng).replace('\n', " / "));
    }
    println!("\nthe attention's lines of the derivation:");
    for line in
        Block::derivation().lines().filter(|l| ["∂q ", "∂k ", "∂v ", "∂Wq "].iter().any(|p| l.starts_with(p)))
    {
        // The derivation aligns every shape; these lines, less widely.
        let (lhs, shape) = line.rsplit_once(' ').unwrap_or((line, ""));
        println!("{}   {shape}", lhs.trim_end());
    }
    if held_after > 0.8 * held_before {
        return Err(format!("the held-out loss did not fall: {held_before} → {held_after}").into());
    }
    Ok(())
}
