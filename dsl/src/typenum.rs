//! Sizes spelled as typenum integers, for any size (typenum's named aliases
//! stop at 1024).

use proc_macro2::TokenStream;
use quote::quote;

/// The typenum spelling of `n` (≥ 1): `UInt<…UInt<UTerm, B1>…, Bk>`, the most
/// significant bit innermost.
pub fn spelling(n: u64) -> TokenStream {
    let mut ty = quote!(::shapegrad::typenum::UTerm);
    for shift in (0..64 - n.leading_zeros()).rev() {
        let bit = if (n >> shift) & 1 == 1 {
            quote!(::shapegrad::typenum::B1)
        } else {
            quote!(::shapegrad::typenum::B0)
        };
        ty = quote!(::shapegrad::typenum::UInt<#ty, #bit>);
    }
    ty
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_are_spelled_in_binary() {
        let t = super::spelling(6).to_string().replace(' ', "");
        let u = "::shapegrad::typenum::";
        let want = format!("{u}UInt<{u}UInt<{u}UInt<{u}UTerm,{u}B1>,{u}B1>,{u}B0>");
        assert_eq!(t, want);
    }
}
