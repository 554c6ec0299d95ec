//! What every dataset does to its features, whatever it pairs them with:
//! the seeded order of a shuffle, per-feature statistics, standardizing.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// `0..len` in an order drawn from `seed` (Fisher–Yates with PCG-64, so the
/// order is the same on every machine).
pub(super) fn shuffled_order(len: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    order
}

/// The rows `indices` of `values` (rows of `width`), in that order.
pub(super) fn select_rows<A: Copy>(values: &[A], width: usize, indices: &[usize]) -> Vec<A> {
    indices.iter().flat_map(|&i| values[i * width..(i + 1) * width].iter().copied()).collect()
}

/// The mean and standard deviation of each of the `width` features of the
/// examples in `features`; a feature that never varies gets a deviation of 1.
pub(super) fn feature_stats(features: &[f32], width: usize) -> (Vec<f32>, Vec<f32>) {
    let n = (features.len() / width.max(1)).max(1) as f64;
    let mut mean = vec![0.0f64; width];
    for example in features.chunks_exact(width) {
        mean.iter_mut().zip(example).for_each(|(m, &x)| *m += f64::from(x) / n);
    }
    let mut var = vec![0.0f64; width];
    for example in features.chunks_exact(width) {
        var.iter_mut().zip(example).zip(&mean).for_each(|((v, &x), m)| *v += (f64::from(x) - m).powi(2) / n);
    }
    let std = var.iter().map(|&v| if v > 1e-12 { v.sqrt() as f32 } else { 1.0 }).collect();
    (mean.into_iter().map(|m| m as f32).collect(), std)
}

/// Each feature shifted and scaled: `(x − mean) / std`.
pub(super) fn standardize(features: &mut [f32], width: usize, mean: &[f32], std: &[f32]) {
    assert_eq!((mean.len(), std.len()), (width, width), "one mean and one deviation per feature");
    for example in features.chunks_exact_mut(width) {
        for ((x, m), s) in example.iter_mut().zip(mean).zip(std) {
            *x = (*x - m) / s;
        }
    }
}
