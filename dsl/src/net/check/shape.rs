//! Declared shapes: `[N]`, `[R, C]`, `[C, H, W]`, `[F, C, KH, KW]`, a
//! scalar param `[]`, and `_` in a param's shape; and the checks of derived
//! sizes that only the compiler can make.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Attribute, Ident};

use super::{Builder, Decl, Entry, Kind};
use crate::net::model::{DimId, DimInfo, DimKind, ONE, Op, Shape};
use crate::net::parse::{DimAst, ShapeAst};

impl Builder<'_> {
    pub(super) fn declare(
        &mut self,
        name: &Ident,
        attrs: &[Attribute],
        shape: Option<&ShapeAst>,
        label_dim: Option<&DimAst>,
        kind: Kind,
        op: Op,
    ) -> Decl {
        self.declare_as(name, &name.to_string(), attrs, shape, label_dim, kind, op)
    }

    /// As `declare`, the value named `key` in the net's scope (`l1.W`, a
    /// layer instance's param, is no name the net's expressions can write).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn declare_as(
        &mut self,
        name: &Ident,
        key: &str,
        attrs: &[Attribute],
        shape: Option<&ShapeAst>,
        label_dim: Option<&DimAst>,
        kind: Kind,
        op: Op,
    ) -> Decl {
        let param = matches!(kind, Kind::Param(_));
        let shape = match (shape.map(|s| s.dims.as_slice()), label_dim) {
            // Rule: a param of shape `[]` or `[1]` is a scalar (stored as a 1×1).
            (Some([]), _) if param => Some(Shape::Scalar),
            (Some([d]), _) if param && d.text() == "1" => Some(Shape::Scalar),
            // Rule: an input has one to three dims (a scalar input is `[1]`).
            (Some([]), _) => {
                let msg = format!(
                    "input `{name}` has no dim; an input is `[N]`, `[R, C]` or `[C, H, W]`, and a scalar input `[1]`"
                );
                self.errors.at(name.span(), msg);
                None
            }
            // `[T] of V`: a sequence of indices, a `Classes<V, T>`.
            (Some([t]), Some(d)) => {
                let (v, t) = (self.dim(d, name), self.dim(t, name));
                v.zip(t).map(|(v, t)| Shape::Labels(v, t))
            }
            (Some(dims), Some(_)) => {
                self.errors.at(
                    name.span(),
                    format!("a sequence of indices has one dim, `{name}: [T] of V`, found {}", dims.len()),
                );
                None
            }
            (Some(dims), _) => self.declared(name, dims, param),
            (None, Some(d)) => self.dim(d, name).map(Shape::Label),
            (None, None) => Some(Shape::Scalar),
        };
        let fresh = if name == key { self.unique(name) } else { !self.scope.contains_key(key) };
        let node = shape.filter(|_| fresh).map(|s| self.g.intern(op, s));
        if fresh {
            self.scope.insert(key.to_string(), Entry { node, kind });
        }
        Decl { name: name.clone(), attrs: attrs.to_vec(), shape, node, init: None, layer: None }
    }

    /// The shape of `dims`: a column `[N]`, a matrix `[R×C]`, a rank-3
    /// value as a column of `C×H×W`, kernels as `[F × C×KH×KW]`.
    fn declared(&mut self, name: &Ident, dims: &[DimAst], param: bool) -> Option<Shape> {
        let infer = dims.iter().find_map(|d| match d {
            DimAst::Infer(span) => Some(*span),
            _ => None,
        });
        // Rule: `_` is for a param's size, in a vector or a matrix.
        if let Some(span) = infer.filter(|_| !param || dims.len() > 2) {
            let msg = if param {
                format!("`_` may stand for a dim of a vector or matrix param; give the dims of `{name}`")
            } else {
                "an input's dims are given; `_` stands for a param's size, inferred from its uses".to_string()
            };
            self.errors.at(span, msg);
            return None;
        }
        let ids: Vec<DimId> = dims.iter().map(|d| self.dim(d, name)).collect::<Option<_>>()?;
        Some(match ids[..] {
            [n] => Shape::Mat(n, ONE),
            [r, c] => Shape::Mat(r, c),
            [c, h, w] => Shape::Mat(self.g.shaped(&[c, h, w]), ONE),
            // Rule: a rank-4 value is a param (convolution kernels).
            [f, c, kh, kw] if param => Shape::Mat(f, self.g.shaped(&[c, kh, kw])),
            _ => {
                let msg = format!(
                    "input `{name}` has four dims; an input is one example (`[N]`, `[R, C]` or `[C, H, W]`), and a rank-4 value `[F, C, KH, KW]` is a param"
                );
                self.errors.at(name.span(), msg);
                return None;
            }
        })
    }

    pub(super) fn dim(&mut self, d: &DimAst, owner: &Ident) -> Option<DimId> {
        let text = d.text();
        let tokens: TokenStream = match d {
            DimAst::Sum(terms) => {
                let mut lin = crate::net::sizes::Lin::number(0);
                for (k, term) in terms {
                    let id = self.dim(term, owner)?;
                    lin = lin.plus(&self.g.lin(id), *k);
                }
                return Some(self.g.linear(&lin));
            }
            DimAst::Type(t) => t.to_token_stream(),
            DimAst::Lit(l) => match l.base10_parse::<u64>() {
                Ok(n) => return Some(self.g.number(n)),
                Err(_) => return Some(ONE),
            },
            DimAst::Infer(span) => {
                let key = format!("{span:?}");
                if let Some(&known) = self.known_infer.get(&key) {
                    return Some(known);
                }
                let text = format!("_{}", self.placeholders.len());
                // Its type, should it stay unknown, is a stand-in for the stub
                // emitted beside the error.
                let info = DimInfo { text, tokens: quote::quote!(::shapegrad::One), kind: DimKind::Infer };
                let id = self.g.dim_of(info);
                self.placeholders.push((id, owner.to_string(), *span));
                return Some(id);
            }
        };
        Some(self.g.dim(text, tokens))
    }
}
