//! Dimensions as nominal types.
//!
//! A dimension is a zero-sized type that knows its size and its name. `dims!`
//! (from the `shapegrad` crate) declares named ones; typenum's unsigned
//! integers (`U3`, `U784`) are anonymous ones, named by their value.
//! Two dimensions are the same only when they are the same *type*, so `H` and
//! `D` never mix, even when both are 128.

use core::fmt::Debug;
use core::hash::Hash;
use core::marker::PhantomData;
use core::ops::{Add, Div, Mul, Sub};

use generic_array::ArrayLength;

use crate::storage::BitLength;
use typenum::{Bit, Cmp, Compare, Diff, Max, Maximum, Prod, Quot, Sum, UInt, Unsigned};

/// A dimension: a zero-sized type with a size known at compile time and a name.
///
/// Implemented by every type `dims!` declares, by [`One`] (the width of a
/// column vector), by typenum's positive integers, and by [`DimSum`] and
/// [`DimProd`].
///
/// ```
/// use shapegrad::prelude::*;
/// assert_eq!(U3::SIZE, 3);
/// assert_eq!(U3::NAME, "3");
/// ```
pub trait Dim: Copy + Default + Debug + Eq + Hash + Send + Sync + 'static {
    /// The size as a typenum unsigned integer, usable as a generic-array length.
    type Size: ArrayLength + Unsigned + BitLength;
    /// The size as a `usize`.
    const SIZE: usize = <Self::Size as Unsigned>::USIZE;
    /// The name the user gave the dimension (`"H"`), or its value for anonymous ones.
    const NAME: &'static str;
}

/// The width of a column vector: the `1` in `Vector<N> = Matrix<N, One>`.
///
/// The prelude also exports it as `U1`, so `Matrix<N, U1>` is `Vector<N>`.
/// (typenum's own `U1` is a dimension too, but a different one.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct One;

impl Dim for One {
    type Size = typenum::U1;
    const NAME: &'static str = "1";
}

impl<U: Unsigned, B: Bit> Dim for UInt<U, B>
where
    UInt<U, B>: ArrayLength + BitLength + Copy + Default + Debug + Eq + Hash + Send + Sync + 'static,
{
    type Size = Self;
    const NAME: &'static str = NameOf::<Self>::NAME;
}

/// The dimension whose size is the sum of two others (for concatenation).
///
/// Its name is `"A+B"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DimSum<A, B>(PhantomData<(A, B)>);

impl<A: Dim, B: Dim> Dim for DimSum<A, B>
where
    A::Size: Add<B::Size>,
    Sum<A::Size, B::Size>: ArrayLength + Unsigned + BitLength,
{
    type Size = Sum<A::Size, B::Size>;
    const NAME: &'static str = JoinedName::<A, B, PlusSign>::NAME;
}

/// The dimension whose size is the product of two others (for flattening).
///
/// Its name is `"A·B"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DimProd<A, B>(PhantomData<(A, B)>);

impl<A: Dim, B: Dim> Dim for DimProd<A, B>
where
    A::Size: Mul<B::Size>,
    Prod<A::Size, B::Size>: ArrayLength + Unsigned + BitLength,
{
    type Size = Prod<A::Size, B::Size>;
    const NAME: &'static str = JoinedName::<A, B, TimesSign>::NAME;
}

/// The dimension whose size is that of `A` minus that of `B`, or 0 when `B`
/// is the larger (for the sizes a convolution derives).
///
/// Its name is `"A−B"`. It never fails to have a size: whether a size that
/// must be positive is, `net!` checks apart, with a message in the user's dims.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DimDiff<A, B>(PhantomData<(A, B)>);

impl<A: Dim, B: Dim> Dim for DimDiff<A, B>
where
    A::Size: Max<B::Size>,
    Maximum<A::Size, B::Size>: Sub<B::Size>,
    Diff<Maximum<A::Size, B::Size>, B::Size>: ArrayLength + Unsigned + BitLength,
{
    type Size = Diff<Maximum<A::Size, B::Size>, B::Size>;
    const NAME: &'static str = JoinedName::<A, B, MinusSign>::NAME;
}

/// The dimension whose size is that of `A` divided by that of `B`, rounded
/// down (a pooled side `H/2`, a strided convolution's output).
///
/// Its name is `"A/B"`, `"(H−3)/2"` when `A` is a sum or a difference.
/// Whether the division is exact, `net!` checks apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DimQuot<A, B>(PhantomData<(A, B)>);

impl<A: Dim, B: Dim> Dim for DimQuot<A, B>
where
    A::Size: Div<B::Size>,
    Quot<A::Size, B::Size>: ArrayLength + Unsigned + BitLength,
{
    type Size = Quot<A::Size, B::Size>;
    const NAME: &'static str = JoinedName::<A, B, DivSign>::NAME;
}

/// `Equal`, `Less` or `Greater`: how the size of `A` compares with that of `B`.
pub type SizeOrder<A, B> = Compare<<A as Dim>::Size, <B as Dim>::Size>;

/// Proof that dimension `From` may be renamed to `To`: their sizes are equal.
///
/// Implemented only for typenum's `Equal`, so a rename between dims of different
/// sizes is rejected at compile time with a message naming both.
#[diagnostic::on_unimplemented(
    message = "cannot rename `{From}` to `{To}`: their sizes differ",
    label = "`{From}` and `{To}` have different sizes",
    note = "a rename only relabels a dimension; both must have the same size"
)]
pub trait SameSize<From, To> {}

#[diagnostic::do_not_recommend]
impl<From, To> SameSize<From, To> for typenum::Equal {}

/// Bound alias used by the rename methods: `A` and `B` have the same size.
pub trait RenameTo<B: Dim>: Dim {}

impl<A: Dim, B: Dim> RenameTo<B> for A
where
    A::Size: Cmp<B::Size>,
    SizeOrder<A, B>: SameSize<A, B>,
{
}

// ----- compile-time names ---------------------------------------------------

/// A short string built in a `const` context (dimension names of numbers and
/// of sums and products). Longer names are cut at `CAP` bytes, on a character
/// boundary.
#[doc(hidden)]
pub struct ConstName {
    bytes: [u8; ConstName::CAP],
    len: usize,
}

impl ConstName {
    const CAP: usize = 64;

    const fn new() -> Self {
        ConstName { bytes: [0; Self::CAP], len: 0 }
    }

    const fn push_str(mut self, s: &str) -> Self {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let width = utf8_width(b[i]);
            // Only whole characters fit, so the result stays valid UTF-8.
            if self.len + width > Self::CAP {
                break;
            }
            let mut k = 0;
            while k < width {
                self.bytes[self.len] = b[i + k];
                self.len += 1;
                k += 1;
            }
            i += width;
        }
        self
    }

    /// The decimal spelling of `n`.
    pub const fn number(mut n: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut k = 0;
        loop {
            digits[k] = b'0' + (n % 10) as u8;
            k += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let mut out = Self::new();
        while k > 0 {
            k -= 1;
            out.bytes[out.len] = digits[k];
            out.len += 1;
        }
        out
    }

    /// The parts, one after the other.
    pub const fn join(parts: &[&str]) -> Self {
        let mut out = Self::new();
        let mut i = 0;
        while i < parts.len() {
            out = out.push_str(parts[i]);
            i += 1;
        }
        out
    }

    /// The string built so far.
    pub const fn as_str(&'static self) -> &'static str {
        match core::str::from_utf8(self.bytes.split_at(self.len).0) {
            Ok(s) => s,
            Err(_) => "?",
        }
    }
}

const fn utf8_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

struct NameOf<N>(PhantomData<N>);

impl<N: Unsigned> NameOf<N> {
    const BUF: &'static ConstName = &ConstName::number(N::USIZE);
    const NAME: &'static str = Self::BUF.as_str();
}

trait Sign {
    const SIGN: &'static str;
    /// Operand names that contain one of these are parenthesized.
    const LOOSER: &'static [&'static str] = &[];
    /// Whether the right operand is parenthesized when it contains `+`, `−`
    /// or `/` (`A−(B+C)`).
    const WRAP_RIGHT: bool = false;
}
struct PlusSign;
impl Sign for PlusSign {
    const SIGN: &'static str = "+";
}
struct TimesSign;
impl Sign for TimesSign {
    const SIGN: &'static str = "·";
    const LOOSER: &'static [&'static str] = &["+", "−", "/"];
}
struct MinusSign;
impl Sign for MinusSign {
    const SIGN: &'static str = "−";
    const WRAP_RIGHT: bool = true;
}
struct DivSign;
impl Sign for DivSign {
    const SIGN: &'static str = "/";
    const LOOSER: &'static [&'static str] = &["+", "−", "/", "·"];
}

/// Whether `name` contains one of `parts` outside parentheses.
const fn contains_any(name: &str, parts: &[&str]) -> bool {
    let h = name.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    while i < h.len() {
        match h[i] {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => {
                let mut k = 0;
                while k < parts.len() {
                    let p = parts[k].as_bytes();
                    let mut j = 0;
                    while j < p.len() && i + j < h.len() && h[i + j] == p[j] {
                        j += 1;
                    }
                    if j == p.len() {
                        return true;
                    }
                    k += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// `name`, in parentheses when it contains one of `looser`.
const fn operand(name: &'static str, looser: &[&str]) -> [&'static str; 3] {
    if contains_any(name, looser) { ["(", name, ")"] } else { ["", name, ""] }
}

struct JoinedName<A, B, S>(PhantomData<(A, B, S)>);

impl<A: Dim, B: Dim, S: Sign> JoinedName<A, B, S> {
    const A: [&'static str; 3] = operand(A::NAME, S::LOOSER);
    const B: [&'static str; 3] = operand(B::NAME, if S::WRAP_RIGHT { &["+", "−", "/"] } else { S::LOOSER });
    const BUF: &'static ConstName =
        &ConstName::join(&[Self::A[0], Self::A[1], Self::A[2], S::SIGN, Self::B[0], Self::B[1], Self::B[2]]);
    const NAME: &'static str = Self::BUF.as_str();
}

#[cfg(test)]
mod tests {
    use super::*;
    use typenum::{U1, U3, U784, U1000};

    crate::test_dims! { H = 5; D = 3; }

    #[test]
    fn typenum_numbers_are_named_by_value() {
        assert_eq!((U3::SIZE, U3::NAME), (3, "3"));
        assert_eq!((U784::SIZE, U784::NAME), (784, "784"));
        assert_eq!((U1000::SIZE, U1000::NAME), (1000, "1000"));
        assert_eq!((U1::SIZE, U1::NAME), (1, "1"));
        assert_eq!((One::SIZE, One::NAME), (1, "1"));
    }

    #[test]
    fn named_dims_keep_their_names() {
        assert_eq!((H::SIZE, H::NAME), (5, "H"));
        assert_eq!((D::SIZE, D::NAME), (3, "D"));
    }

    #[test]
    fn sums_and_products_compute_size_and_name() {
        assert_eq!(<DimSum<H, D>>::SIZE, 8);
        assert_eq!(<DimSum<H, D>>::NAME, "H+D");
        assert_eq!(<DimProd<H, D>>::SIZE, 15);
        assert_eq!(<DimProd<H, D>>::NAME, "H·D");
        assert_eq!(<DimSum<DimProd<H, D>, U3>>::NAME, "H·D+3");
    }

    #[test]
    fn differences_and_quotients_compute_size_and_name() {
        use typenum::{U2, U7};
        assert_eq!((<DimDiff<H, D>>::SIZE, <DimDiff<H, D>>::NAME), (2, "H−D"));
        assert_eq!(<DimDiff<D, H>>::SIZE, 0, "saturates at 0");
        assert_eq!((<DimQuot<H, U2>>::SIZE, <DimQuot<H, U2>>::NAME), (2, "H/2"));
        type Out = DimSum<DimQuot<DimDiff<DimSum<H, U7>, D>, U2>, One>;
        assert_eq!((Out::SIZE, Out::NAME), (5, "(H+7−D)/2+1"));
        type Flat = DimProd<D, DimProd<DimQuot<H, U2>, DimQuot<D, U2>>>;
        assert_eq!((Flat::SIZE, Flat::NAME), (6, "D·(H/2)·(D/2)"));
        assert_eq!(<DimDiff<H, DimSum<D, U2>>>::NAME, "H−(D+2)");
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary() {
        static LONG: ConstName = ConstName::join(&["ααααααααααααααααααααααααααααααααα", "·"]);
        let s = LONG.as_str();
        assert!(s.len() <= ConstName::CAP);
        assert!(s.chars().all(|c| c == 'α'));
    }
}
