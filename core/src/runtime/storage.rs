//! Where a [`Matrix`](crate::Matrix) keeps its elements: inline when it is
//! small, in one heap allocation otherwise, chosen from its type at compile
//! time.
//!
//! Inline storage makes a small net's gradient, workspace and temporaries
//! free of heap allocations, and lets the compiler see that two small
//! matrices never overlap (two boxes loaded from memory might, as far as it
//! knows), which is what lets it vectorize a small net's code. Large
//! matrices stay boxed, so a 784×128 matrix is never on the stack.
//!
//! The rule: an `R`×`C` matrix is inline when the binary lengths of `R` and
//! `C` add up to at most [`INLINE_BITS`], i.e. when it surely has fewer than
//! 2⁹ = 512 elements (2 KiB of `f32`, 4 KiB of `f64`): `16×8`, `4×16`,
//! `31×15` and every vector of up to 255 elements are inline; `16×16`,
//! `32×8` and `64×256` are boxed. The two seed nets (8×4, 16×8 and 4×16
//! params) then allocate nothing. Measured with the tied autoencoder's
//! `grad_into` and `grad` (one core): raising the bound to 12 bits (inline
//! up to 4096 elements) left 16×16 unchanged (187 ns) and made 32×32 4%
//! slower (551 against 529 ns; 598 against 573 through `grad`): copying a
//! larger inline value costs what the allocation saved.
//!
//! Everything here is in the types: `Matrix::<H, D>::INLINE` tells which.
//!
//! A boxed matrix's buffer is not freed when the matrix is dropped but kept
//! by its thread (at most [`MAX_BUFFERS`] buffers, [`MAX_BYTES`] in all,
//! oldest freed first; [`clear_recycled`] frees them) for the next matrix
//! of the same size that is built by [`Matrix::for_overwrite`](crate::Matrix::for_overwrite),
//! `zeros`, `clone`, `from_fn` or `from_element`. A training loop drops
//! each step's gradient before asking for the next, so `grad` then neither
//! allocates nor zeroes its result: the backward pass overwrites every
//! element (measured: 1 µs of the 64×256 autoencoder's 7.5 µs step).

use core::mem::ManuallyDrop;
use core::ptr::NonNull;
use std::alloc::Layout;

use generic_array::{ArrayLength, GenericArray};
use typenum::{Bit, UInt, UTerm, Unsigned};

use crate::Scalar;

pub use crate::recycle::{MAX_BUFFERS, MAX_BYTES, clear as clear_recycled};

/// The largest sum of the binary lengths of a matrix's two sizes for which
/// it is stored inline (see the module's documentation).
pub const INLINE_BITS: usize = 9;

/// The elements of an `R`×`C` matrix of `T`, row-major: `R` rows of `C`.
pub type Rows<RS, CS, T> = GenericArray<GenericArray<T, CS>, RS>;

/// A matrix's storage: its rows, either inline or boxed.
pub trait Storage<A>: Send + Sync + Sized + 'static {
    /// Whether the rows live inside the matrix (no heap allocation).
    const INLINE: bool;
    /// All zeros, built in place (a boxed one directly on the heap).
    fn zeroed() -> Self;
    /// Unspecified (but initialized) elements, for a caller that overwrites
    /// every one: a boxed one reuses a buffer this thread dropped (see
    /// [`Matrix::for_overwrite`](crate::Matrix::for_overwrite)), else is zeroed.
    fn for_overwrite() -> Self;
    /// The rows.
    fn get(&self) -> &A;
    /// The rows, mutably.
    fn get_mut(&mut self) -> &mut A;
}

impl<T: Scalar, CS: ArrayLength, RS: ArrayLength> Storage<Rows<RS, CS, T>> for Rows<RS, CS, T> {
    const INLINE: bool = true;
    #[inline(always)]
    fn zeroed() -> Self {
        GenericArray::default()
    }
    #[inline(always)]
    fn for_overwrite() -> Self {
        GenericArray::default()
    }
    #[inline(always)]
    fn get(&self) -> &Self {
        self
    }
    #[inline(always)]
    fn get_mut(&mut self) -> &mut Self {
        self
    }
}

/// The rows of a large matrix in one heap allocation, which goes to this
/// thread's cache of dropped buffers when the matrix is dropped (`recycle`).
pub struct Heap<RS: ArrayLength, CS: ArrayLength, T: Scalar>(ManuallyDrop<Box<Rows<RS, CS, T>>>);

impl<RS: ArrayLength, CS: ArrayLength, T: Scalar> Heap<RS, CS, T> {
    fn layout() -> Layout {
        Layout::new::<Rows<RS, CS, T>>()
    }

    /// A buffer of this layout from this thread's cache, as it was left.
    fn reused() -> Option<Self> {
        let p = crate::recycle::take(Self::layout())?;
        // SAFETY: `take` gave us an owned, initialized array of `T`s (the
        // rows of a dropped matrix of this size and alignment) allocated
        // with this layout.
        Some(Heap(ManuallyDrop::new(unsafe { Box::from_raw(p.cast().as_ptr()) })))
    }

    /// A fresh zeroed buffer, built directly on the heap: never
    /// `Box::new(array)`, which may build the array on the stack first.
    fn fresh() -> Self {
        Heap(ManuallyDrop::new(GenericArray::default_boxed()))
    }
}

impl<T: Scalar, CS: ArrayLength, RS: ArrayLength> Storage<Rows<RS, CS, T>> for Heap<RS, CS, T> {
    const INLINE: bool = false;
    #[inline]
    fn zeroed() -> Self {
        match Self::reused() {
            Some(mut h) => {
                h.get_mut().iter_mut().for_each(|row| row.fill(T::ZERO));
                h
            }
            None => Self::fresh(),
        }
    }
    #[inline]
    fn for_overwrite() -> Self {
        Self::reused().unwrap_or_else(Self::fresh)
    }
    #[inline(always)]
    fn get(&self) -> &Rows<RS, CS, T> {
        &self.0
    }
    #[inline(always)]
    fn get_mut(&mut self) -> &mut Rows<RS, CS, T> {
        &mut self.0
    }
}

impl<RS: ArrayLength, CS: ArrayLength, T: Scalar> Drop for Heap<RS, CS, T> {
    fn drop(&mut self) {
        // SAFETY: taken once, here; the field is never used again.
        let rows = unsafe { ManuallyDrop::take(&mut self.0) };
        let layout = Self::layout();
        if layout.size() == 0 {
            // A zero-sized box owns no allocation.
            return;
        }
        let ptr = NonNull::from(Box::leak(rows)).cast();
        // SAFETY: allocated by the global allocator with this layout (a
        // `Box`), owned, and an initialized array of `T`, a float type (the
        // trait is sealed): no padding, no invalid bits.
        unsafe { crate::recycle::put(layout, ptr) };
    }
}

/// A buffer of a net's workspace, and whether it lives inline (so a
/// workspace of inline buffers costs no allocation and can live on the stack).
#[doc(hidden)]
pub trait Buffer {
    /// Whether the buffer holds its values itself.
    const INLINE: bool;
}

impl<R: crate::Dim, C: crate::Dim, T: Scalar> Buffer for crate::Matrix<R, C, T> {
    const INLINE: bool = Self::INLINE;
}

impl<T> Buffer for Vec<T> {
    const INLINE: bool = false;
}

impl<C: crate::Dim> Buffer for crate::Class<C> {
    const INLINE: bool = true;
}

impl<C: crate::Dim, B: crate::Dim> Buffer for crate::Classes<C, B> {
    const INLINE: bool = false;
}

/// A binary length, counted up to [`INLINE_BITS`] and saturating above it
/// (`Long`): the class of a size, and of a pair of sizes.
#[doc(hidden)]
pub trait Bits: 'static {
    /// One more bit.
    type Succ: Bits;
    /// The sum of two lengths.
    type Plus<O: Bits>: Bits;
    /// How a matrix whose two sizes have this many bits in all is stored.
    type Store<RS: ArrayLength, CS: ArrayLength, T: Scalar>: Storage<Rows<RS, CS, T>>;
}

/// More bits than [`INLINE_BITS`]: boxed.
#[doc(hidden)]
pub struct Long;

impl Bits for Long {
    type Succ = Long;
    type Plus<O: Bits> = Long;
    type Store<RS: ArrayLength, CS: ArrayLength, T: Scalar> = Heap<RS, CS, T>;
}

macro_rules! lengths {
    ($first:ident $(, $next:ident)*) => {
        /// No bits: the size 0.
        #[doc(hidden)]
        pub struct $first;
        impl Bits for $first {
            type Succ = lengths!(@succ $($next),*);
            type Plus<O: Bits> = O;
            type Store<RS: ArrayLength, CS: ArrayLength, T: Scalar> = Rows<RS, CS, T>;
        }
        lengths!(@rest $first $(, $next)*);
    };
    (@succ) => { Long };
    (@succ $next:ident $(, $rest:ident)*) => { $next };
    (@rest $prev:ident) => {};
    (@rest $prev:ident, $this:ident $(, $next:ident)*) => {
        /// A binary length of at most `INLINE_BITS`.
        #[doc(hidden)]
        pub struct $this;
        impl Bits for $this {
            type Succ = lengths!(@succ $($next),*);
            type Plus<O: Bits> = <<$prev as Bits>::Plus<O> as Bits>::Succ;
            type Store<RS: ArrayLength, CS: ArrayLength, T: Scalar> = Rows<RS, CS, T>;
        }
        lengths!(@rest $this $(, $next)*);
    };
}

// Lengths 0 to INLINE_BITS.
lengths!(L0, L1, L2, L3, L4, L5, L6, L7, L8, L9);

/// The binary length of a typenum unsigned integer (`U16` has 5 bits).
#[doc(hidden)]
pub trait BitLength: Unsigned {
    /// The length, saturated at `Long`.
    type Length: Bits;
}

impl BitLength for UTerm {
    type Length = L0;
}

impl<U: BitLength, B: Bit> BitLength for UInt<U, B> {
    type Length = <U::Length as Bits>::Succ;
}

/// The storage of an `R`×`C` matrix of `T` with sizes `RS` and `CS`.
pub(crate) type StoreOf<RS, CS, T> =
    <<<RS as BitLength>::Length as Bits>::Plus<<CS as BitLength>::Length> as Bits>::Store<RS, CS, T>;

#[cfg(test)]
mod tests {
    use super::*;
    use typenum::{U0, U1, U4, U8, U15, U16, U31, U32, U64, U255, U256};

    fn inline<RS: ArrayLength + BitLength, CS: ArrayLength + BitLength>() -> bool {
        <StoreOf<RS, CS, f32> as Storage<Rows<RS, CS, f32>>>::INLINE
    }

    #[test]
    fn small_matrices_are_inline_and_large_ones_boxed() {
        assert!(inline::<U4, U8>());
        assert!(inline::<U16, U8>());
        assert!(inline::<U31, U15>());
        assert!(inline::<U255, U1>());
        assert!(inline::<U0, U0>());
        assert!(!inline::<U16, U16>());
        assert!(!inline::<U32, U8>());
        assert!(!inline::<U256, U1>());
        assert!(!inline::<U64, U256>());
        // Inline means the matrix's elements are its size; boxed, a pointer.
        assert_eq!(size_of::<StoreOf<U16, U8, f32>>(), 16 * 8 * 4);
        assert_eq!(size_of::<StoreOf<U16, U16, f64>>(), size_of::<usize>());
    }
}
