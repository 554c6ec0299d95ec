//! Sizes derived from the user's dims, kept as simplified expressions of
//! them: a convolution's output side `(H + 2p − KH)/s + 1`, a pooled side
//! `H/k`, a flattened shape `F·(H/2)·(W/2)`, and the `C×H×W` of a rank-3
//! value. Each is a dim of the graph like the user's own, with its text (in
//! messages and derivations) and its Rust type, built from `DimSum`,
//! `DimDiff`, `DimQuot` and `DimProd` so that it names the user's dims at
//! run time too. Two derived sizes are the same dim when their simplified
//! texts are equal: a 3×3 convolution with stride 1 and pad 1 keeps `H`.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::model::{DimId, DimInfo, DimKind, Graph, ONE};

/// `Σ coefficient·dim + constant`, the dims other than numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lin {
    pub terms: BTreeMap<DimId, i64>,
    pub konst: i64,
}

impl Lin {
    pub fn number(k: i64) -> Lin {
        Lin { terms: BTreeMap::new(), konst: k }
    }

    pub fn plus(mut self, other: &Lin, sign: i64) -> Lin {
        for (&d, &c) in &other.terms {
            *self.terms.entry(d).or_default() += sign * c;
        }
        self.terms.retain(|_, c| *c != 0);
        self.konst += sign * other.konst;
        self
    }

    /// The value, when no dim is left.
    pub fn value(&self) -> Option<i64> {
        self.terms.is_empty().then_some(self.konst)
    }

    /// `self / k` when every coefficient and the constant are multiples of `k`.
    fn exact_div(&self, k: i64) -> Option<Lin> {
        let all = self.terms.values().all(|c| c % k == 0) && self.konst % k == 0;
        all.then(|| Lin {
            terms: self.terms.iter().map(|(&d, &c)| (d, c / k)).collect(),
            konst: self.konst / k,
        })
    }
}

impl Graph {
    /// The dim of the number `n` (`ONE` for 1).
    pub fn number(&mut self, n: u64) -> DimId {
        if n == 1 {
            return ONE;
        }
        let tokens = crate::typenum::spelling(n.max(1));
        self.dim_of(DimInfo { text: n.to_string(), tokens, kind: DimKind::Number(n) })
    }

    /// Dim `d` as a linear expression.
    pub fn lin(&self, d: DimId) -> Lin {
        match &self.dims[d].kind {
            DimKind::Number(n) => Lin::number(*n as i64),
            DimKind::Linear(terms, k) => Lin { terms: terms.iter().copied().collect(), konst: *k },
            _ => Lin { terms: BTreeMap::from([(d, 1)]), konst: 0 },
        }
    }

    /// The size of `d`, when it is known to the macro (literals only).
    pub fn value(&self, d: DimId) -> Option<i64> {
        self.lin(d).value()
    }

    /// The dim of a linear expression: a dim itself, a number, or a derived
    /// size `H+1−KH` (positive terms, then the negative ones).
    pub fn linear(&mut self, l: &Lin) -> DimId {
        if let Some(v) = l.value() {
            return self.number(v.max(0) as u64);
        }
        if l.konst == 0 && l.terms.len() == 1 && l.terms.values().all(|&c| c == 1) {
            return *l.terms.keys().next().unwrap_or(&ONE);
        }
        // Each term as text and type, positive and negative apart.
        type Terms = Vec<(String, TokenStream)>;
        let (mut pos, mut neg): (Terms, Terms) = (vec![], vec![]);
        for (&d, &c) in &l.terms {
            let (text, tokens) = (self.dims[d].text.clone(), self.dims[d].tokens.clone());
            let item = if c.abs() == 1 {
                (text, tokens)
            } else {
                let k = crate::typenum::spelling(c.unsigned_abs());
                (
                    format!("{}·{}", c.abs(), paren(&text, &["+", "−"])),
                    quote!(::shapegrad::DimProd<#k, #tokens>),
                )
            };
            if c > 0 { pos.push(item) } else { neg.push(item) }
        }
        if l.konst != 0 {
            let k = l.konst.unsigned_abs();
            let item = (k.to_string(), crate::typenum::spelling(k));
            if l.konst > 0 { pos.push(item) } else { neg.push(item) }
        }
        let sum = |items: Vec<(String, TokenStream)>| {
            let mut it = items.into_iter();
            let first = it.next().unwrap_or_else(|| ("0".into(), quote!(::shapegrad::One)));
            it.fold(first, |(t, ty), (t2, ty2)| (format!("{t}+{t2}"), quote!(::shapegrad::DimSum<#ty, #ty2>)))
        };
        let (mut text, mut tokens) = sum(pos);
        if !neg.is_empty() {
            let (t2, ty2) = sum(neg);
            text = format!("{text}−{}", paren(&t2, &["+", "−"]));
            tokens = quote!(::shapegrad::DimDiff<#tokens, #ty2>);
        }
        let kind = DimKind::Linear(l.terms.iter().map(|(&d, &c)| (d, c)).collect(), l.konst);
        self.dim_of(DimInfo { text, tokens, kind })
    }

    /// `d / k`, floored (as typenum's quotient is): simplified when every
    /// term divides (`2·H/2 = H`), a number when `d` is one (`7/2 = 3`),
    /// else the quotient `H/2`.
    pub fn quot(&mut self, d: DimId, k: u64) -> DimId {
        let l = self.lin(d);
        if let Some(q) = l.exact_div(k as i64) {
            return self.linear(&q);
        }
        if let Some(v) = l.value() {
            return self.linear(&Lin::number(v.div_euclid(k as i64)));
        }
        // (H/2)/2 = H/4: both exact.
        if let DimKind::Quot(inner, k1) = self.dims[d].kind {
            return self.quot(inner, k1 * k);
        }
        let d = self.linear(&l);
        let text = format!("{}/{k}", paren(&self.dims[d].text, &["+", "−", "/", "·"]));
        let (a, b) = (self.dims[d].tokens.clone(), crate::typenum::spelling(k));
        self.dim_of(DimInfo { text, tokens: quote!(::shapegrad::DimQuot<#a, #b>), kind: DimKind::Quot(d, k) })
    }

    /// The output side of a convolution over side `n` with kernel side `k`:
    /// `(n + 2p − k)/s + 1`, and the `n + 2p − k` it divides.
    pub fn conv_side(&mut self, n: DimId, k: DimId, stride: u64, pad: u64) -> (DimId, Lin) {
        let span = self.lin(n).plus(&Lin::number(2 * pad as i64), 1).plus(&self.lin(k), -1);
        let span_dim = self.linear(&span);
        let q = if stride == 1 { span_dim } else { self.quot(span_dim, stride) };
        let out = self.lin(q).plus(&Lin::number(1), 1);
        (self.linear(&out), span)
    }

    /// The dims of a rank-3 value as one: text `C×H×W`, the type of their product.
    pub fn shaped(&mut self, parts: &[DimId]) -> DimId {
        let text =
            parts.iter().map(|&d| paren(&self.dims[d].text, &["+", "−"])).collect::<Vec<_>>().join("×");
        let tokens = self.product_tokens(parts);
        self.dim_of(DimInfo { text, tokens, kind: DimKind::Shape(parts.to_vec()) })
    }

    /// The product of `parts`, a flattened shape: `F·(H/2)·(W/2)`.
    pub fn product(&mut self, parts: &[DimId]) -> DimId {
        let texts: Vec<String> = parts.iter().map(|&d| paren(&self.dims[d].text, &["+", "−", "/"])).collect();
        let tokens = self.product_tokens(parts);
        self.dim_of(DimInfo { text: texts.join("·"), tokens, kind: DimKind::Prod(parts.to_vec()) })
    }

    fn product_tokens(&self, parts: &[DimId]) -> TokenStream {
        let mut it = parts.iter().rev().map(|&d| self.dims[d].tokens.clone());
        let last = it.next().unwrap_or_else(|| quote!(::shapegrad::One));
        it.fold(last, |acc, t| quote!(::shapegrad::DimProd<#t, #acc>))
    }

    /// The dims of a rank-3 (or kernel) shape dim, if `d` is one.
    pub fn parts(&self, d: DimId) -> Option<&[DimId]> {
        match &self.dims[d].kind {
            DimKind::Shape(p) => Some(p),
            _ => None,
        }
    }
}

/// `text` in parentheses when it contains one of `looser` outside parentheses.
pub fn paren(text: &str, looser: &[&str]) -> String {
    let mut depth = 0usize;
    for (i, ch) in text.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 && looser.iter().any(|l| text[i..].starts_with(l)) => return format!("({text})"),
            _ => {}
        }
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(g: &mut Graph, name: &str) -> DimId {
        let ident = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
        g.dim(name.into(), quote!(#ident))
    }

    #[test]
    fn convolution_sides_simplify() {
        let mut g = Graph::default();
        let (h, kh) = (named(&mut g, "H"), named(&mut g, "KH"));
        let three = g.number(3);
        assert_eq!(g.conv_side(h, three, 1, 1).0, h, "3×3, pad 1, stride 1 keeps H");
        let (same, _) = g.conv_side(h, three, 1, 0);
        assert_eq!(g.dims[same].text, "H−2");
        let (out, span) = g.conv_side(h, kh, 1, 0);
        assert_eq!(g.dims[out].text, "H+1−KH");
        assert_eq!(span.konst, 0);
        let (strided, _) = g.conv_side(h, three, 2, 1);
        assert_eq!(g.dims[strided].text, "(H−1)/2+1");
        let t = g.dims[strided].tokens.to_string().replace(' ', "");
        assert!(t.starts_with("::shapegrad::DimSum<::shapegrad::DimQuot<::shapegrad::DimDiff<H,"), "{t}");
        let half = g.quot(h, 2);
        assert_eq!(g.dims[half].text, "H/2");
        assert_eq!(g.quot(half, 1), half);
        let quarter = g.quot(half, 2);
        assert_eq!(g.dims[quarter].text, "H/4");
        let eight = g.number(8);
        let (n, _) = g.conv_side(eight, three, 1, 0);
        assert_eq!(g.value(n), Some(6));
    }

    #[test]
    fn products_and_shapes_have_their_own_texts() {
        let mut g = Graph::default();
        let (f, h, w) = (named(&mut g, "F"), named(&mut g, "H"), named(&mut g, "W"));
        let (h2, w2) = (g.quot(h, 2), g.quot(w, 2));
        let flat = g.product(&[f, h2, w2]);
        assert_eq!(g.dims[flat].text, "F·(H/2)·(W/2)");
        let shape = g.shaped(&[f, h2, w2]);
        assert_eq!(g.dims[shape].text, "F×H/2×W/2");
        assert_ne!(flat, shape);
        assert_eq!(g.dims[flat].tokens.to_string(), g.dims[shape].tokens.to_string());
        assert_eq!(g.parts(shape), Some(&[f, h2, w2][..]));
    }
}
