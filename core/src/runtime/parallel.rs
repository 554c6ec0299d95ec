//! Splitting one large product over the cores (the `parallel` feature):
//! the calling thread computes one band and helper threads the others.
//!
//! Why not a general thread pool: a product of the 784-128-10 step lasts
//! about 70 µs, and a pool whose workers sleep between jobs pays a wake-up
//! through the kernel per product. On a 2-vCPU virtual machine that made
//! the step slower on two cores than on one (rayon: 240–267 µs against
//! 183–194 µs; perf: a quarter of the time in the scheduler). Here each
//! helper spins for [`SPIN`] after its last band, waiting for the next
//! one, and only then sleeps (`thread::park`), so a training loop's
//! products hand over through one cache line, and the caller computes a
//! band itself instead of waiting.
//!
//! One caller at a time uses the helpers; another thread that asks while
//! they are busy computes all its bands itself.

use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// How long a helper waits for the next band, spinning, before it sleeps.
pub const SPIN: Duration = Duration::from_micros(500);

const IDLE: u8 = 0;
const POSTED: u8 = 1;
const DONE: u8 = 2;
const PANICKED: u8 = 3;

/// A band of work: a function of the band's index, borrowed from the
/// caller, who waits until the helper is done with it.
type Job = *const (dyn Fn(usize) + Sync);

/// One helper thread's mailbox.
struct Slot {
    state: AtomicU8,
    /// The job and band index, written by the caller before `POSTED` and
    /// read by the helper after it (release/acquire on `state`).
    job: UnsafeCell<Option<(Job, usize)>>,
    thread: OnceLock<Thread>,
}

// SAFETY: `job` is only written by the caller holding `IN_USE` while the
// slot is IDLE and only read by its helper while POSTED; `state` orders them.
unsafe impl Sync for Slot {}

struct Helpers {
    slots: Vec<&'static Slot>,
}

static HELPERS: OnceLock<Helpers> = OnceLock::new();
static IN_USE: AtomicBool = AtomicBool::new(false);

/// The threads products use: `SHAPEGRAD_THREADS` when set to a positive
/// number, else every core the process may run on (read once), at most the
/// cap of [`set_threads`].
pub fn threads() -> usize {
    match CAP.load(Ordering::Relaxed) {
        0 => available(),
        cap => cap.min(available()),
    }
}

/// Caps the threads large products use at `n` from now on, for every
/// thread of the process; `0` lifts the cap. `set_threads(1)` keeps each
/// product on its calling thread (the helpers stay idle); a cap above the
/// count read at first use (the cores, or `SHAPEGRAD_THREADS`) changes
/// nothing.
pub fn set_threads(n: usize) {
    CAP.store(n, Ordering::Relaxed);
}

/// The cap of [`set_threads`]; 0: none.
static CAP: AtomicUsize = AtomicUsize::new(0);

/// The threads there are helpers for, plus the caller (read once).
fn available() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        std::env::var("SHAPEGRAD_THREADS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
    })
}

fn helpers() -> &'static Helpers {
    HELPERS.get_or_init(|| {
        let slots = (1..available())
            .filter_map(|i| {
                let slot: &'static Slot = Box::leak(Box::new(Slot {
                    state: AtomicU8::new(IDLE),
                    job: UnsafeCell::new(None),
                    thread: OnceLock::new(),
                }));
                let handle =
                    thread::Builder::new().name(format!("shapegrad-{i}")).spawn(move || serve(slot)).ok()?;
                let _ = slot.thread.set(handle.thread().clone());
                Some(slot)
            })
            .collect();
        Helpers { slots }
    })
}

/// A helper's life: wait for a band (spinning, then sleeping), run it, report.
fn serve(slot: &'static Slot) {
    loop {
        let mut since = Instant::now();
        let mut spins = 0u32;
        while slot.state.load(Ordering::Acquire) != POSTED {
            spins = spins.wrapping_add(1);
            if !spins.is_multiple_of(64) {
                core::hint::spin_loop();
            } else if since.elapsed() > SPIN {
                // `unpark` before `park` is remembered: no wake-up is lost.
                thread::park();
                since = Instant::now();
            }
        }
        // SAFETY: POSTED, so the caller wrote the job and keeps it alive
        // until this slot says DONE or PANICKED.
        let ok = match unsafe { *slot.job.get() } {
            // SAFETY: as just above.
            Some((job, band)) => catch_unwind(AssertUnwindSafe(|| unsafe { (*job)(band) })).is_ok(),
            None => false,
        };
        slot.state.store(if ok { DONE } else { PANICKED }, Ordering::Release);
    }
}

/// Runs `f(0)`, …, `f(bands − 1)`, band 0 on this thread and the others on
/// helper threads when they are free (else here too); returns when all are
/// done. A panic in any band is resumed here after every band has finished.
pub(crate) fn bands(count: usize, f: &(dyn Fn(usize) + Sync)) {
    let helpers = helpers();
    let posted = (count - 1).min(helpers.slots.len());
    if posted == 0 || IN_USE.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
        (0..count).for_each(f);
        return;
    }
    let slots = &helpers.slots[..posted];
    // SAFETY (lifetime): `wait` keeps `f` borrowed until every helper is done.
    let job: Job = unsafe { core::mem::transmute::<&(dyn Fn(usize) + Sync), Job>(f) };
    for (i, slot) in slots.iter().enumerate() {
        // SAFETY: the slot is IDLE and we hold IN_USE: nobody else touches it.
        unsafe { *slot.job.get() = Some((job, i + 1)) };
        slot.state.store(POSTED, Ordering::Release);
        if let Some(t) = slot.thread.get() {
            t.unpark();
        }
    }
    let wait = Wait { slots, panicked: false };
    f(0);
    for band in posted + 1..count {
        f(band);
    }
    if wait.finish() {
        resume_unwind(Box::new("a band of a parallel product panicked"));
    }
}

/// The posted bands: waited for on `finish`, or on drop if a band on the
/// calling thread panics, so that no helper still runs `f` once the
/// caller's frame is gone; then the helpers are free again.
struct Wait<'a> {
    slots: &'a [&'static Slot],
    panicked: bool,
}

impl Wait<'_> {
    /// Waits for every helper; whether one of them panicked.
    fn finish(mut self) -> bool {
        self.wait();
        self.panicked
    }

    fn wait(&mut self) {
        for slot in self.slots {
            let state = loop {
                let s = slot.state.load(Ordering::Acquire);
                if matches!(s, DONE | PANICKED) {
                    break s;
                }
                core::hint::spin_loop();
            };
            self.panicked |= state == PANICKED;
            // SAFETY: the helper is done with the job; we hold IN_USE.
            unsafe { *slot.job.get() = None };
            slot.state.store(IDLE, Ordering::Relaxed);
        }
        self.slots = &[];
        IN_USE.store(false, Ordering::Release);
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if !self.slots.is_empty() {
            self.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Runs `bands(count, ..)` and returns how often each band ran.
    fn counts(count: usize) -> Vec<usize> {
        let runs: Vec<AtomicUsize> = (0..count).map(|_| AtomicUsize::new(0)).collect();
        bands(count, &|i| {
            runs[i].fetch_add(1, Ordering::Relaxed);
        });
        runs.iter().map(|r| r.load(Ordering::Relaxed)).collect()
    }

    /// Whether a band of two ran on a helper thread.
    fn ran_on_a_helper() -> bool {
        let on = AtomicBool::new(false);
        bands(2, &|_| {
            if thread::current().name().is_some_and(|n| n.starts_with("shapegrad-")) {
                on.store(true, Ordering::Relaxed);
            }
        });
        on.load(Ordering::Relaxed)
    }

    #[test]
    fn every_band_runs_exactly_once() {
        for count in [1, 2, 3, 7, 64] {
            assert_eq!(counts(count), vec![1; count], "{count} bands");
        }
    }

    #[test]
    fn a_panic_in_any_band_reaches_the_caller_and_the_helpers_stay_usable() {
        for bad in [0, 1] {
            let result = std::panic::catch_unwind(|| {
                bands(2, &|i| {
                    if i == bad {
                        panic!("band {i}");
                    }
                })
            });
            assert!(result.is_err(), "the panic of band {bad} was lost");
            assert_eq!(counts(5), vec![1; 5]);
            // Other tests may hold the helpers for a moment (longer on a
            // loaded machine): try for up to ten seconds, yielding.
            if threads() > 1 {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                let mut free = false;
                while !free && std::time::Instant::now() < deadline {
                    free = ran_on_a_helper();
                    thread::yield_now();
                }
                assert!(free, "the helpers stayed taken after band {bad} panicked");
            }
        }
    }

    #[test]
    fn callers_on_several_threads_all_get_every_band() {
        thread::scope(|s| {
            let handles: Vec<_> =
                (0..4).map(|_| s.spawn(|| (0..50).all(|_| counts(6) == vec![1; 6]))).collect();
            for h in handles {
                assert!(h.join().unwrap());
            }
        });
    }

    #[test]
    fn the_thread_count_is_positive() {
        assert!(threads() >= 1);
    }

    // The only test that sets the cap (others read `threads()`).
    #[test]
    fn set_threads_caps_the_count_and_zero_lifts_the_cap() {
        let all = available();
        set_threads(1);
        assert_eq!(threads(), 1);
        set_threads(all + 3);
        assert_eq!(threads(), all);
        set_threads(0);
        assert_eq!(threads(), all);
    }
}
