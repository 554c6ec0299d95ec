//! The timing of the alternating benchmarks (`block_blocks`, `lstm_blocks`):
//! a few warm-up calls, then blocks of calls, the median block's time a call.

use std::time::Instant;

/// How many blocks to time: `SHAPEGRAD_BLOCKS`, 5 by default.
pub fn count() -> usize {
    std::env::var("SHAPEGRAD_BLOCKS").ok().and_then(|v| v.parse().ok()).unwrap_or(5)
}

/// The median over `blocks` blocks of `calls` calls of `step`, in seconds a
/// call, after `warm` calls untimed.
pub fn median_seconds(blocks: usize, calls: usize, warm: usize, mut step: impl FnMut()) -> f64 {
    for _ in 0..warm {
        step();
    }
    let mut times: Vec<f64> = (0..blocks.max(1))
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                step();
            }
            start.elapsed().as_secs_f64() / calls as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
