//! What the character-level examples (`05-attention`, `char_lstm`) share:
//! the rhymes' alphabet, the mean loss over windows of a text, and sampling.

use shapegrad::prelude::*;
use shapegrad::random::Rng;

/// Every character of the corpus; anything else reads as a space.
pub const ALPHABET: &str = "\n !',-.;?abcdefghijklmnopqrstuvwxy";

/// The rhymes (`examples/corpus/rhymes.txt`, public domain) encoded: the
/// training text, and the last six rhymes, held out (never trained on).
pub fn rhymes() -> (Vec<usize>, Vec<usize>) {
    let lines: Vec<&str> = include_str!("../corpus/rhymes.txt").lines().collect();
    let (train, held) = lines.split_at(lines.len() - 6);
    (encode(&(train.join("\n") + "\n")), encode(&(held.join("\n") + "\n")))
}

/// A batch of sequences and its labels, each one character on.
pub type Windows<V, T, B> = (Sequences<V, T, B>, Sequences<V, T, B>);

/// A batch of `B` windows of `T` characters of `text` at places drawn from
/// `rng`, and the same windows one character on: the inputs and the labels.
///
/// # Errors
/// A character not below `V` (the alphabet's size is `V`'s).
pub fn windows<V: Dim, T: Dim, B: Dim>(
    text: &[usize],
    rng: &mut Rng,
) -> Result<Windows<V, T, B>, ShapeError> {
    let starts: Vec<usize> =
        (0..B::SIZE).map(|_| (rng.uniform() * (text.len() - T::SIZE - 1) as f64) as usize).collect();
    let tokens = Sequences::from_fn(|t, b| text[starts[b] + t])?;
    let next = Sequences::from_fn(|t, b| text[starts[b] + t + 1])?;
    Ok((tokens, next))
}

/// Each character's index in `ALPHABET`.
pub fn encode(text: &str) -> Vec<usize> {
    text.chars().map(|c| ALPHABET.find(c).unwrap_or(1)).collect()
}

/// The mean of `loss(window, next)` over the windows of `t` characters of
/// `text` that start every `t` characters, `next` each one shifted by one.
pub fn mean_over_windows(text: &[usize], t: usize, loss: impl Fn(&[usize], &[usize]) -> f32) -> f32 {
    let starts: Vec<usize> = (0..text.len() - t - 1).step_by(t).collect();
    let total: f32 = starts.iter().map(|&s| loss(&text[s..s + t], &text[s + 1..s + t + 1])).sum();
    total / starts.len() as f32
}

/// `n` characters after `prompt`, each drawn from the softmax (temperature
/// 0.7) of `logits(window)`, the next character's logits after a window of
/// the last `t` characters (left-padded with spaces).
pub fn sample(
    prompt: &str,
    n: usize,
    t: usize,
    rng: &mut Rng,
    logits: impl Fn(&[usize]) -> Vec<f32>,
) -> String {
    let mut text = encode(prompt);
    for _ in 0..n {
        let mut window = vec![1; t.saturating_sub(text.len())];
        window.extend(&text[text.len().saturating_sub(t)..]);
        let scaled: Vec<f32> = logits(&window).iter().map(|l| l / 0.7).collect();
        let top = scaled.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let weights: Vec<f32> = scaled.iter().map(|l| (l - top).exp()).collect();
        let mut u = rng.uniform() as f32 * weights.iter().sum::<f32>();
        let next = weights.iter().position(|&w| {
            u -= w;
            u <= 0.0
        });
        text.push(next.unwrap_or(weights.len() - 1));
    }
    text[encode(prompt).len()..].iter().map(|&c| ALPHABET.as_bytes()[c] as char).collect()
}
