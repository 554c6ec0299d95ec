//! What the window ops (`conv2d` in `conv`, the pools in `pool`) share:
//! a rank-3 value's dims, integer literal arguments, the output dim kept
//! in the attribute, sizes and literals in generated code, and a checked
//! kernel call. A helper module, not a family: the families reach it
//! through the registry's re-exports, never each other.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::EmitCx;
use crate::net::model::{Attr, DimId, Graph, NodeId, Op, Shape};

/// The dims of a rank-3 value `[C×H×W]` (one example or a batch), and its columns.
pub fn rank3(g: &Graph, n: NodeId) -> Option<([DimId; 3], DimId)> {
    match g.shape(n) {
        Shape::Mat(s, cols) => match g.parts(s)? {
            &[c, h, w] => Some(([c, h, w], cols)),
            _ => None,
        },
        _ => None,
    }
}

/// An integer literal argument (`2`, `stride = 2`).
pub fn literal(e: &super::Written) -> Option<u32> {
    e.number.filter(|x| x.fract() == 0.0 && (0.0..=1e6).contains(x)).map(|x| x as u32)
}

/// The output shape dim of a window op, from its attribute.
pub fn out_dim(op: &Op) -> Option<DimId> {
    match op.attr {
        Attr::Window(_, _, d) => Some(d),
        _ => None,
    }
}

pub fn size(cx: &dyn EmitCx, d: DimId) -> TokenStream {
    let t = cx.dim(d);
    quote!(<#t as ::shapegrad::Dim>::SIZE)
}

pub fn usize_lit(v: u32) -> Literal {
    Literal::usize_unsuffixed(v as usize)
}

/// A kernel call that returns whether its sizes fitted: they do by
/// construction, which debug builds assert.
pub fn checked(call: TokenStream) -> TokenStream {
    quote! {
        let __fits = #call;
        ::core::debug_assert!(__fits, "net!: sizes of a convolution do not fit (a bug in shapegrad)");
    }
}
