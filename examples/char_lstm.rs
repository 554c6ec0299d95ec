//! A character-level language model with an LSTM on the nursery rhymes of
//! `05-attention` (`examples/corpus/rhymes.txt`, public domain): each
//! character's embedding enters the recurrence, a softmax over the next
//! character at every step. The loop is written once; its backward pass
//! through time is derived, and a batch of sequences runs as one loop whose
//! steps are products over the batch. Adam; the held-out loss and a sampled
//! line every 100 steps.
//!
//! Run: `cargo run --release --example char_lstm`

use shapegrad::optim::{Adam, Optimizer};
use shapegrad::prelude::*;
use shapegrad::random::Rng;

dims! {
    /// Characters: `text::ALPHABET`.
    V = 34;
    /// The embedding of a character.
    D = 32;
    /// The LSTM's hidden units.
    H = 128;
    /// Characters per training sequence.
    T = 64;
    /// Sequences per batch.
    B = 32;
}

#[path = "common/text.rs"]
mod text;

net! {
    /// An embedding, an LSTM (gates i, f, g, o in one packed product) and a
    /// softmax over the next character at every step.
    pub net CharLstm {
        param E: [V, D];
        param Wx: [4 * H, D];
        param Wh: [4 * H, H];
        param b: [4 * H];
        param Wy: [V, H];
        param by: [V];
        input ws: [T] of V;
        input h0: [H];
        input c0: [H];
        label ys: [T] of V;
        for t in T {
            init h = h0;
            init c = c0;
            let a = Wx @ E[ws[t]] + Wh @ h[t - 1] + b;
            let i = sigmoid(a[0..H]);
            let f = sigmoid(a[H..2 * H]);
            let g = tanh(a[2 * H..3 * H]);
            let o = sigmoid(a[3 * H..4 * H]);
            let c[t] = f * c[t - 1] + i * g;
            let h[t] = o * tanh(c[t]);
            let z[t] = Wy @ h[t] + by;
            let l[t] = softmax_cross_entropy(z[t], ys[t]);
        }
        output z;
        loss mean(l);
    }
}

const STEPS: usize = 400;
const LR: f32 = 3e-3;

/// The mean loss a character over windows of `T` characters of `text`.
fn mean_loss(net: &CharLstm, text: &[usize]) -> f32 {
    let zero = Matrix::<H, One>::zeros();
    text::mean_over_windows(text, T::SIZE, |window, next| {
        let ws = Classes::<V, T>::from_slice(window).expect("encoded below V");
        let ys = Classes::<V, T>::from_slice(next).expect("encoded below V");
        net.loss(&ws, &zero, &zero, &ys)
    })
}

/// `n` characters after `prompt`, from the last step's logits over a window
/// of the `T` characters before.
fn sample(net: &CharLstm, prompt: &str, n: usize, rng: &mut Rng) -> String {
    let zero = Matrix::<H, One>::zeros();
    text::sample(prompt, n, T::SIZE, rng, |window| {
        let ws = Classes::<V, T>::from_slice(window).expect("encoded below V");
        let z = net.forward(&ws, &zero, &zero);
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
        CharLstm::summary().lines().last().unwrap_or("")
    );

    let mut net = CharLstm::<f32>::init(1);
    let mut adam = Adam::new(LR);
    let mut ws = CharLstmBatchWorkspace::<B, f32>::new();
    let mut grads = CharLstmGrad::<f32>::zeros();
    let (h0, c0) = (Matrix::<H, B>::zeros(), Matrix::<H, B>::zeros());
    let mut rng = Rng::seed(5);
    let held_before = mean_loss(&net, &held);
    let started = std::time::Instant::now();
    let mut running = 0.0;
    let mut best = (f32::INFINITY, 0, net.clone());
    for step in 1..=STEPS {
        let (tokens, next) = text::windows::<V, T, B>(&train, &mut rng)?;
        running += net.grad_batch_into(&mut ws, &tokens, &h0, &c0, &next, &mut grads);
        adam.step(&mut net, &grads);
        // 8 KB of text is soon learned by heart: the held-out loss every
        // 100 steps, and the net where it was lowest kept (early stopping).
        if step % 100 == 0 {
            let held_loss = mean_loss(&net, &held);
            println!(
                "step {step:>4}: training loss {:.3} (mean of the last 100 steps), held-out {held_loss:.3}",
                running / 100.0
            );
            println!(
                "           humpty dumpty | {}",
                sample(&net, "humpty dumpty ", 50, &mut rng).replace('\n', " / ")
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
        "{STEPS} steps of {} sequences of {} characters in {seconds:.1} s ({:.1} ms a step, one thread)",
        B::SIZE,
        T::SIZE,
        1e3 * seconds / STEPS as f64
    );
    println!(
        "held-out loss {held_after:.3} nats a character (at the start {held_before:.3}; uniform over {} characters: {:.3})",
        V::SIZE,
        (V::SIZE as f32).ln()
    );
    for prompt in ["the little ", "pussy cat, "] {
        println!("{prompt}| {}", sample(&net, prompt, 60, &mut rng).replace('\n', " / "));
    }
    if held_after > 0.8 * held_before {
        return Err(format!("the held-out loss did not fall: {held_before} → {held_after}").into());
    }
    Ok(())
}
