//! The statements that compute a set of nodes into a workspace.
//!
//! Every computed matrix has a buffer in the generated workspace and is
//! written there in place (`set_matmul`, `set_hadamard`, …), so a method that
//! is given a workspace allocates nothing; scalars are locals. Node ids are a
//! topological order, so statements are emitted in id order. A param's
//! gradient that nothing else reads is written straight into the gradient
//! struct; otherwise it is copied there at the end. Each statement is its
//! op's (`OpDef::emit`, `OpDef::emit_scalar`), fusions included.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Codegen;
use super::steps::Loops;
use crate::net::model::{Graph, NodeId, Shape};
use crate::net::ops::{EmitCx, Place, def};

/// What the ops see of one generated method: where every node lives.
pub(super) struct Emitter<'c, 'a> {
    cg: &'c Codegen<'a>,
    /// Nodes written straight into an output rather than a workspace buffer.
    homes: HashMap<NodeId, TokenStream>,
    scalar: TokenStream,
}

impl EmitCx for Emitter<'_, '_> {
    fn g(&self) -> &Graph {
        &self.cg.m.graph
    }

    fn val(&self, n: NodeId) -> TokenStream {
        self.cg.val(n, &self.homes)
    }

    fn scalar(&self) -> TokenStream {
        self.scalar.clone()
    }

    fn dim(&self, d: usize) -> TokenStream {
        self.cg.dim(d).clone()
    }

    fn private(&self, n: NodeId) -> bool {
        self.cg.uses[n] == 1 && !self.cg.pinned[n]
    }

    fn deps(&self, n: NodeId) -> Vec<NodeId> {
        def(self.g().op(n).code).deps(self, n)
    }

    fn scratch(&self, n: NodeId) -> TokenStream {
        let f = format_ident!("s{}", n);
        quote!(__ws.#f)
    }

    fn state(&self, k: usize) -> TokenStream {
        match self.cg.m.states.get(k) {
            Some(s) => {
                let f = s.field();
                quote!(self.#f)
            }
            None => crate::net::ops::internal(&format!("no state {k}")),
        }
    }
}

impl Emitter<'_, '_> {
    /// Where matrix node `n` is written: its output, else its buffer.
    pub(super) fn place(&self, n: NodeId) -> TokenStream {
        self.homes.get(&n).cloned().unwrap_or_else(|| Codegen::slot(n))
    }
}

impl<'a> Codegen<'a> {
    pub(super) fn emitter(
        &self,
        homes: HashMap<NodeId, TokenStream>,
        scalar: &TokenStream,
    ) -> Emitter<'_, 'a> {
        Emitter { cg: self, homes, scalar: scalar.clone() }
    }

    /// Whether node `n` is a matrix computed into a buffer; a param or
    /// input that users hold as a tensor is copied into one.
    pub(super) fn is_buffer(&self, n: NodeId) -> bool {
        let g = &self.m.graph;
        let shape = g.shape(n);
        if g.is_leaf(n) {
            return self.is_tensor(shape);
        }
        // A step of a batch of label sequences: that step's `Classes`.
        if g.op(n).is("step") && matches!(shape, Shape::Labels(..)) {
            return true;
        }
        matches!(shape, Shape::Mat(..)) && !def(g.op(n).code).alias()
    }

    /// The nodes `targets` need, as generated.
    pub(super) fn needed(&self, targets: &[NodeId]) -> Vec<bool> {
        let cx = self.emitter(HashMap::new(), &quote!(T));
        self.m.graph.closure(targets, |n| cx.deps(n))
    }

    /// The statements computing `targets` and writing `outs` (node, place),
    /// with elements of type `scalar`, into the workspace `__ws`.
    pub(super) fn program(
        &self,
        targets: &[NodeId],
        outs: &[(NodeId, TokenStream)],
        scalar: &TokenStream,
    ) -> TokenStream {
        let g = &self.m.graph;
        let mut all: Vec<NodeId> = targets.to_vec();
        all.extend(outs.iter().map(|(n, _)| *n));
        let needed = self.needed(&all);
        let mut cx = self.emitter(HashMap::new(), scalar);
        let mut readers = vec![0usize; g.nodes.len()];
        for n in (0..g.nodes.len()).filter(|&n| needed[n]) {
            for d in cx.deps(n) {
                readers[d] += 1;
            }
        }
        for (n, place) in outs {
            let once = outs.iter().filter(|(m, _)| m == n).count() == 1;
            let matrix = !self.is_tensor(g.shape(*n));
            if self.is_buffer(*n) && matrix && readers[*n] == 0 && once && !targets.contains(n) {
                cx.homes.insert(*n, place.clone());
            }
        }
        let mut body = TokenStream::new();
        let loops = Loops::new(g);
        let saved = self.saved(&cx, &loops, &needed);
        let outer = self.outer_sums(&cx, &loops, &needed, &saved);
        // A step value the backward loop reads lives in its step's buffer
        // of every step's (`v…[t]`): written there once, read there back.
        for n in (0..g.nodes.len()).filter(|&n| saved[n]) {
            let keep = Self::save_slot(n);
            cx.homes.insert(n, quote!(#keep[__t]));
        }
        let mut written: Vec<(usize, bool)> = Vec::new();
        for n in (0..g.nodes.len()).filter(|&n| needed[n]) {
            let d = def(g.op(n).code);
            if loops.of[n].is_some() {
                // A step value: its loop computes it.
                continue;
            }
            if let Some(unit) = loops.result(g, n) {
                if !written.contains(&unit) {
                    written.push(unit);
                    body.extend(self.loop_code(&cx, &loops, &needed, &saved, &outer, unit.0, unit.1, scalar));
                }
                continue;
            }
            if g.is_leaf(n) && self.is_buffer(n) {
                // A tensor the user holds, copied into its matrix buffer.
                let (slot, src) = (Self::slot(n), self.leaf(n));
                body.extend(quote!(#slot.as_mut_slice().copy_from_slice(#src.as_slice());));
            } else if self.is_buffer(n) {
                let place = cx.homes.get(&n).cloned().unwrap_or_else(|| Self::slot(n));
                body.extend(d.emit(&cx, n, Place { tokens: &place, accumulate: false }));
            } else if g.shape(n) == Shape::Scalar && !g.is_leaf(n) {
                let (s, e) = (Self::scalar_var(n), d.emit_scalar(&cx, n));
                body.extend(quote!(let #s: #scalar = #e;));
            }
        }
        for (n, place) in outs {
            let v = cx.val(*n);
            if g.shape(*n) == Shape::Scalar {
                // The gradient of a scalar param, into its 1×1.
                body.extend(quote!(#place[(0, 0)] = #v;));
            } else if self.is_tensor(g.shape(*n)) {
                body.extend(quote!(#place.as_mut_slice().copy_from_slice((#v).as_slice());));
            } else if cx.homes.get(n).map(|h| h.to_string()) != Some(place.to_string()) {
                body.extend(quote!(#place.copy_from(#v);));
            }
        }
        body
    }

    /// A param or input as the user holds it: `self.K`, `x`.
    fn leaf(&self, n: NodeId) -> TokenStream {
        let op = self.m.graph.op(n);
        match (op.code, op.index()) {
            ("param", Some(i)) => {
                let name = self.m.params[i].field();
                quote!(self.#name)
            }
            (_, Some(i)) => {
                let name = &self.m.args[i].1.name;
                quote!(#name)
            }
            _ => crate::net::ops::internal("a leaf without an index"),
        }
    }

    /// The workspace buffer of node `n`.
    pub(super) fn slot(n: NodeId) -> TokenStream {
        let f = format_ident!("n{}", n);
        quote!(__ws.#f)
    }

    pub(super) fn scalar_var(n: NodeId) -> proc_macro2::Ident {
        format_ident!("__s{}", n)
    }

    /// Node `n`'s value as an argument: a reference to a matrix, a scalar, a label.
    pub(super) fn val(&self, n: NodeId, homes: &HashMap<NodeId, TokenStream>) -> TokenStream {
        let g = &self.m.graph;
        let op = g.op(n);
        if def(op.code).alias() {
            return self.val(op.arg(0), homes);
        }
        if g.is_leaf(n) && self.is_buffer(n) {
            let slot = Self::slot(n);
            return quote!(&#slot);
        }
        match (op.code, g.shape(n)) {
            // Label `t` of a sequence of labels; of a batch of them, its buffer.
            ("step", Shape::Label(_)) => {
                let seq = self.val(op.arg(0), homes);
                return quote!((#seq).get(__t));
            }
            ("step", Shape::Labels(..)) => {
                let slot = Self::slot(n);
                return quote!(&#slot);
            }
            _ => {}
        }
        match (op.code, op.index()) {
            // A scalar param is its 1×1's element.
            ("param", Some(i)) if g.shape(n) == Shape::Scalar => {
                let name = self.m.params[i].field();
                quote!(self.#name[(0, 0)])
            }
            ("param", Some(i)) => {
                let name = self.m.params[i].field();
                quote!(&self.#name)
            }
            ("input" | "label", Some(i)) => {
                let name = &self.m.args[i].1.name;
                quote!(#name)
            }
            _ if g.shape(n) == Shape::Scalar => {
                let s = Self::scalar_var(n);
                quote!(#s)
            }
            _ => {
                let place = homes.get(&n).cloned().unwrap_or_else(|| Self::slot(n));
                quote!(&#place)
            }
        }
    }
}
