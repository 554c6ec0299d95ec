//! The workspaces of the documented methods (`loss`, `grad`, `forward` and
//! their batched forms) of nets too large for the stack: cached per thread
//! and per workspace type, so that those methods allocate no workspace after
//! their thread's first call (see [`with_cached`]). (A small net's methods,
//! whose buffers are all inline, keep each buffer in a local variable of
//! the method instead: nothing to cache.)
//!
//! A call takes its type's workspace out of the thread's cache and puts it
//! back when done; a call made meanwhile on the same thread for the same
//! type (from inside a callback) gets a fresh one, and a thread's cache is
//! freed when the thread ends. Nothing is shared between threads, so the
//! methods are safe to call from any number of them. The `_with` and
//! `_into` methods take a caller's workspace instead.

use core::any::{Any, TypeId};
use std::cell::RefCell;

/// Each workspace type's cached workspace (`None` while a call uses it).
type Slots = Vec<(TypeId, Option<Box<dyn Any>>)>;

thread_local! {
    /// At most a few workspace types per thread: a list is faster to
    /// search than a map.
    static CACHE: RefCell<Slots> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's cached workspace of type `W` (made with
/// `new` the first time).
///
/// ```
/// use shapegrad::workspace::with_cached;
/// let first = with_cached(|| vec![0u8; 4], |ws: &mut Vec<u8>| { ws[0] = 7; ws.as_ptr() as usize });
/// let again = with_cached(|| vec![0u8; 4], |ws: &mut Vec<u8>| { assert_eq!(ws[0], 7); ws.as_ptr() as usize });
/// assert_eq!(first, again); // the same buffer, not a new one
/// ```
pub fn with_cached<W: Any, R>(new: impl FnOnce() -> W, f: impl FnOnce(&mut W) -> R) -> R {
    let id = TypeId::of::<W>();
    let taken = CACHE
        .try_with(|cache| {
            let mut cache = cache.borrow_mut();
            cache.iter_mut().find(|(t, _)| *t == id).and_then(|(_, slot)| slot.take())
        })
        .ok()
        .flatten();
    let mut ws: Box<W> = match taken.map(|b| b.downcast::<W>()) {
        Some(Ok(ws)) => ws,
        _ => Box::new(new()),
    };
    let result = f(&mut ws);
    // Put it back (unless the thread is being torn down).
    let _ = CACHE.try_with(|cache| {
        let mut cache = cache.borrow_mut();
        match cache.iter_mut().find(|(t, _)| *t == id) {
            Some((_, slot)) if slot.is_none() => *slot = Some(ws),
            Some(_) => {}
            None => cache.push((id, Some(ws))),
        }
    });
    result
}
