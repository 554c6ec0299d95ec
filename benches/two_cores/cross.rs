//! What reading 32 KiB (a 128×64 `f32` activation) costs when this core
//! wrote it last, and when the other core did: the price of handing an
//! activation from one core to the other.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const LEN: usize = 8192;

/// A buffer both threads write in turn, ordered by `turn`.
struct Buffer(Vec<std::cell::UnsafeCell<f32>>);

// SAFETY: the threads take turns (release/acquire on `turn`): one writes
// while the other waits.
unsafe impl Sync for Buffer {}

/// µs per read of the whole buffer, after the other core (`other`) or this
/// one wrote it, over `rounds` rounds.
fn read_after_write(other: bool, rounds: u64) -> f64 {
    let buffer = Buffer((0..LEN).map(|i| std::cell::UnsafeCell::new(i as f32)).collect());
    let turn = AtomicU64::new(0);
    let write = |b: &Buffer| {
        for x in &b.0 {
            // SAFETY: only the thread whose turn it is writes.
            unsafe { *x.get() += 1.0 };
        }
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            for r in 0..rounds {
                while turn.load(Ordering::Acquire) != 2 * r + 1 {
                    core::hint::spin_loop();
                }
                if other {
                    write(&buffer);
                }
                turn.store(2 * r + 2, Ordering::Release);
            }
        });
        let (mut read, mut bits) = (0.0, 0u32);
        for r in 0..rounds {
            if !other {
                write(&buffer);
            }
            turn.store(2 * r + 1, Ordering::Release);
            while turn.load(Ordering::Acquire) != 2 * r + 2 {
                core::hint::spin_loop();
            }
            let start = Instant::now();
            for x in &buffer.0 {
                // SAFETY: the other thread waits for the next turn.
                bits ^= unsafe { *x.get() }.to_bits();
            }
            read += start.elapsed().as_secs_f64();
        }
        black_box(bits);
        read * 1e6 / rounds as f64
    })
}

pub fn report() {
    let (mine, theirs) = (read_after_write(false, 20_000), read_after_write(true, 20_000));
    println!(
        "reading 32 KiB this core wrote: {mine:.2} µs; that the other core wrote: {theirs:.2} µs ({:.1}×)",
        theirs / mine
    );
}
