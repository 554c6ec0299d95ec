//! The code of a run-time loop over steps: `for __t in 0..T { … }` around
//! the step values of a loop (`Graph::loop_of`), and its backward loop,
//! `for __t in (0..T).rev() { … }`, around the step values of its adjoint.
//!
//! Each step value has one buffer of one step's shape (or a scalar local),
//! overwritten at every step; the loop's results are written row by row
//! (`stack`) or summed (`sum_steps`, `init_adjoint`) as the steps run, and
//! what a step sends back to an earlier one waits in a buffer of every
//! step's (`carried`). A forward step value that the backward loop reads
//! lives in a buffer of every step's (`v…[t]`, see `saved`), written once
//! and read back; the rest is computed again at each backward step. So a
//! loop's code does not grow with `T`.

use proc_macro2::TokenStream;
use quote::quote;

use super::Codegen;
use super::program::Emitter;
use crate::net::model::{Attr, Graph, NodeId, ONE, Op, Shape};
use crate::net::ops::{EmitCx, Place, def, size};

/// Where each node stands towards the graph's loops.
pub(super) struct Loops {
    /// The loop a node is a step value of.
    pub of: Vec<Option<usize>>,
    /// A step value that needs what the loop computed first (an adjoint):
    /// it runs in the backward loop.
    pub reverse: Vec<bool>,
}

impl Loops {
    pub fn new(g: &Graph) -> Loops {
        let of = g.loop_of();
        let len = g.nodes.len();
        // The loops each node comes after (it reads one of their results).
        let mut after = vec![0u128; len];
        let mut reverse = vec![false; len];
        for n in 0..len {
            let op = g.op(n);
            let mut a = op.operands().iter().fold(0u128, |acc, &x| acc | after[x]);
            match (op.code, op.attr, of[n]) {
                ("stack" | "sum_steps" | "init_adjoint", Attr::Loop(k) | Attr::State(k, ..), _) => {
                    a |= 1u128 << (k % 128);
                }
                ("carried", ..) => reverse[n] = true,
                ("step", _, Some(k)) => reverse[n] = after[op.arg(0)] & (1u128 << (k % 128)) != 0,
                (_, _, Some(k)) => {
                    reverse[n] = op.operands().iter().any(|&x| of[x] == Some(k) && reverse[x]);
                }
                _ => {}
            }
            after[n] = a;
        }
        Loops { of, reverse }
    }

    /// The loop whose results node `n` is one of, and whether it is the
    /// backward loop's.
    pub fn result(&self, g: &Graph, n: NodeId) -> Option<(usize, bool)> {
        let op = g.op(n);
        match (op.code, op.attr) {
            ("stack", Attr::Loop(k)) => Some((k, self.reverse[op.arg(0)])),
            ("sum_steps", Attr::Loop(k)) | ("init_adjoint", Attr::State(k, ..)) => Some((k, true)),
            _ => None,
        }
    }
}

impl Codegen<'_> {
    /// The step values of loop `k` that its forward loop (`rev == false`)
    /// or backward loop computes for `results`; the backward loop takes a
    /// value `saved` by the forward loop from there instead of computing it.
    fn loop_body(
        &self,
        cx: &Emitter<'_, '_>,
        loops: &Loops,
        results: &[NodeId],
        k: usize,
        rev: bool,
        saved: &[bool],
    ) -> Vec<bool> {
        let g = &self.m.graph;
        let inside = |n: NodeId| loops.of[n] == Some(k) && (rev || !loops.reverse[n]);
        let mut body = vec![false; g.nodes.len()];
        let mut stack: Vec<NodeId> =
            results.iter().flat_map(|&r| cx.deps(r)).filter(|&n| inside(n)).collect();
        while let Some(n) = stack.pop() {
            let seen = std::mem::replace(&mut body[n], true);
            // A value the forward loop kept is read, not computed: its own
            // operands are not needed again.
            let kept = rev && saved[n];
            if !seen && !kept {
                stack.extend(cx.deps(n).into_iter().filter(|&d| inside(d)));
            }
        }
        body
    }

    /// The results of loop `k` (forward or backward) that `needed` holds.
    fn loop_results(&self, loops: &Loops, needed: &[bool], k: usize, rev: bool) -> Vec<NodeId> {
        let g = &self.m.graph;
        (0..g.nodes.len()).filter(|&n| needed[n] && loops.result(g, n) == Some((k, rev))).collect()
    }

    /// The forward step values that the backward loops of a program
    /// computing `needed` read: the forward loop keeps each step's value
    /// (`v…` buffers of the workspace, `T` steps each), so the backward
    /// loop computes no forward product again.
    pub(super) fn saved(&self, cx: &Emitter<'_, '_>, loops: &Loops, needed: &[bool]) -> Vec<bool> {
        let g = &self.m.graph;
        let mut saved = vec![false; g.nodes.len()];
        let none = vec![false; g.nodes.len()];
        for k in 0..g.loops.len() {
            let (fwd_results, rev_results) =
                (self.loop_results(loops, needed, k, false), self.loop_results(loops, needed, k, true));
            if fwd_results.is_empty() || rev_results.is_empty() {
                continue;
            }
            let fwd = self.loop_body(cx, loops, &fwd_results, k, false, &none);
            let rev = self.loop_body(cx, loops, &rev_results, k, true, &none);
            for n in 0..g.nodes.len() {
                let cheap = matches!(g.op(n).code, "step" | "prev" | "carried");
                // An op with a buffer of its own (layernorm's statistics) is
                // computed again at each backward step, which refills it.
                let both = fwd[n] && rev[n];
                let own_buffer = both && def(g.op(n).code).scratch(cx, n).is_some();
                saved[n] = both
                    && !cheap
                    && !own_buffer
                    && self.is_buffer(n)
                    && matches!(g.shape(n), Shape::Mat(..));
            }
        }
        saved
    }

    /// The sums over steps of outer products of two per-example vectors
    /// (`∂Wh = Σ_t ∂a[t] h[t − 1]ᵀ`) in the backward loops of a program
    /// computing `needed`: (the sum, `∂a[t]`, `h[t − 1]`). Each step writes
    /// its two vectors as row `t` of two buffers of every step's (`wa…`,
    /// `wb…`) and the sum is one product after the loop, `Aᵀ B`, instead of
    /// `T` rank-one updates of the whole matrix.
    pub(super) fn outer_sums(
        &self,
        cx: &Emitter<'_, '_>,
        loops: &Loops,
        needed: &[bool],
        saved: &[bool],
    ) -> Vec<(NodeId, NodeId, NodeId)> {
        let g = &self.m.graph;
        let mut found = Vec::new();
        for k in 0..g.loops.len() {
            let results = self.loop_results(loops, needed, k, true);
            let body = self.loop_body(cx, loops, &results, k, true, saved);
            for &r in &results {
                let p = g.op(r).arg(0);
                let (op, private) = (g.op(p), self.uses[p] == 1 && !self.pinned[p]);
                if !g.op(r).is("sum_steps") || !op.is("matmul") || !private || !body[p] || saved[p] {
                    continue;
                }
                let (a, t) = (op.arg(0), op.arg(1));
                let column = |n: NodeId| matches!(g.shape(n), Shape::Mat(r, ONE) if r != ONE);
                if g.op(t).is("transpose") && column(a) && column(g.op(t).arg(0)) {
                    found.push((r, a, g.op(t).arg(0)));
                }
            }
        }
        found
    }

    /// The buffers of every step that an outer sum collects its vectors in.
    pub(super) fn outer_slots(r: NodeId) -> (TokenStream, TokenStream) {
        let (a, b) = (quote::format_ident!("wa{}", r), quote::format_ident!("wb{}", r));
        (quote!(__ws.#a), quote!(__ws.#b))
    }

    /// A saved step value's buffer of every step: `__ws.v7`.
    pub(super) fn save_slot(n: NodeId) -> TokenStream {
        let f = quote::format_ident!("v{}", n);
        quote!(__ws.#f)
    }

    /// The loop `k` (forward, or backward when `rev`) writing every result
    /// of it that `needed` holds.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn loop_code(
        &self,
        cx: &Emitter<'_, '_>,
        loops: &Loops,
        needed: &[bool],
        saved: &[bool],
        outer: &[(NodeId, NodeId, NodeId)],
        k: usize,
        rev: bool,
        scalar: &TokenStream,
    ) -> TokenStream {
        let g = &self.m.graph;
        let results = self.loop_results(loops, needed, k, rev);
        let outer: Vec<(NodeId, NodeId, NodeId)> =
            outer.iter().copied().filter(|&(r, ..)| results.contains(&r)).collect();
        let outer = &outer[..];
        let mut body_nodes = self.loop_body(cx, loops, &results, k, rev, saved);
        // An outer sum's product is not computed step by step.
        for &(r, ..) in outer {
            body_nodes[g.op(r).arg(0)] = false;
        }
        // A step's product summed over the steps is added straight into the sum.
        let mut into_sum: Vec<(NodeId, NodeId)> = Vec::new();
        for &r in &results {
            let p = g.op(r).arg(0);
            let private = self.uses[p] == 1 && !self.pinned[p];
            let collected = outer.iter().any(|&(o, ..)| o == r);
            if g.op(r).is("sum_steps")
                && g.op(p).is("matmul")
                && private
                && body_nodes[p]
                && !saved[p]
                && !collected
            {
                into_sum.push((r, p));
            }
        }
        let (mut before, mut each) = self.body_code(cx, &body_nodes, &into_sum, saved, rev, scalar);
        let summed: Vec<NodeId> =
            results.iter().copied().filter(|r| !outer.iter().any(|o| o.0 == *r)).collect();
        let (start, per_step) = self.results_code(cx, &summed, &into_sum, scalar);
        before.extend(start);
        each.extend(per_step);
        let mut after = TokenStream::new();
        for &(r, a, b) in outer {
            let (wa, wb) = Self::outer_slots(r);
            let (va, vb, place) = (cx.val(a), cx.val(b), cx.place(r));
            each.extend(quote! {
                ::shapegrad::steps::write(&mut #wa, __t, #va);
                ::shapegrad::steps::write(&mut #wb, __t, #vb);
            });
            after.extend(quote!(#place.set_t_matmul_on(__isa, &#wa, &#wb);));
        }
        if rev {
            each.extend(self.carry_code(cx, needed, &body_nodes, k));
        }
        let t = size(cx, g.loops[k].dim);
        let range = if rev { quote!((0..#t).rev()) } else { quote!(0..#t) };
        quote! {
            #before
            for __t in #range {
                #each
            }
            #after
        }
    }

    /// What loop results do at each step (`stack` writes its row, `sum_steps`
    /// adds its part) and before the loop (a sum starts at zero).
    fn results_code(
        &self,
        cx: &Emitter<'_, '_>,
        results: &[NodeId],
        into_sum: &[(NodeId, NodeId)],
        scalar: &TokenStream,
    ) -> (TokenStream, TokenStream) {
        let g = &self.m.graph;
        let zero = quote!(<#scalar as ::shapegrad::Scalar>::ZERO);
        let (mut before, mut each) = (TokenStream::new(), TokenStream::new());
        for &r in results {
            let op = g.op(r);
            let v = cx.val(op.arg(0));
            let scalar_result = g.shape(r) == Shape::Scalar;
            let place = cx.place(r);
            let direct = into_sum.iter().any(|&(s, _)| s == r);
            match op.code {
                "stack" if g.shape(op.arg(0)) == Shape::Scalar => {
                    each.extend(quote!(#place[(__t, 0)] = #v;));
                }
                "stack" => each.extend(quote!(::shapegrad::steps::write(&mut #place, __t, #v);)),
                "sum_steps" if scalar_result => {
                    let s = Self::scalar_var(r);
                    before.extend(quote!(let mut #s: #scalar = #zero;));
                    each.extend(quote!(#s += #v;));
                }
                "sum_steps" if direct => before.extend(quote!(#place.as_mut_slice().fill(#zero);)),
                "sum_steps" => {
                    before.extend(quote!(#place.as_mut_slice().fill(#zero);));
                    each.extend(quote!(::shapegrad::steps::add(&mut #place, #v);));
                }
                _ => before.extend(quote!(#place.as_mut_slice().fill(#zero);)),
            }
        }
        (before, each)
    }

    /// What each read of an earlier step sends back, at the end of a
    /// backward step: to that step's carry, or before step 0 to the `init`.
    fn carry_code(
        &self,
        cx: &Emitter<'_, '_>,
        needed: &[bool],
        body_nodes: &[bool],
        k: usize,
    ) -> TokenStream {
        let g = &self.m.graph;
        let body_has = |n: NodeId| body_nodes[n];
        let mut each = TokenStream::new();
        // What each read of an earlier step sends back: to that step's
        // carry, or before step 0 to the state's `init`.
        for &(s, lag, d) in &g.loops[k].prev_adjoints {
            if !body_has(d) {
                continue;
            }
            let (v, lag) = (cx.val(d), proc_macro2::Literal::usize_unsuffixed(lag as usize));
            let find = |code| g.find(Op::with(code, &[], Attr::State(k, s, 0))).filter(|&n| needed[n]);
            if let Some(c) = find("carried").filter(|&c| body_has(c)) {
                let rows = cx.scratch(c);
                each.extend(
                    quote!(if __t >= #lag { ::shapegrad::steps::add_carry(&mut #rows, __t - #lag, #v); }),
                );
            }
            if let Some(i) = find("init_adjoint") {
                let place = cx.place(i);
                each.extend(quote!(if __t < #lag { ::shapegrad::steps::add(&mut #place, #v); }));
            }
        }
        each
    }

    /// The statements of one step of a loop: each of `body`'s step values
    /// computed (into a sum when `into_sum` says so; read back when the
    /// forward loop kept it), and what must happen before the loop.
    fn body_code(
        &self,
        cx: &Emitter<'_, '_>,
        body: &[bool],
        into_sum: &[(NodeId, NodeId)],
        saved: &[bool],
        rev: bool,
        scalar: &TokenStream,
    ) -> (TokenStream, TokenStream) {
        let g = &self.m.graph;
        let zero = quote!(<#scalar as ::shapegrad::Scalar>::ZERO);
        let mut before = TokenStream::new();
        let mut each = TokenStream::new();
        for n in (0..g.nodes.len()).filter(|&n| body[n]) {
            let op = g.op(n);
            if op.is("carried") {
                let rows = cx.scratch(n);
                before.extend(quote!(#rows.fill(#zero);));
            }
            if let Some(&(r, _)) = into_sum.iter().find(|&&(_, p)| p == n) {
                let place = cx.place(r);
                each.extend(def(op.code).emit(cx, n, Place { tokens: &place, accumulate: true }));
            } else if rev && saved[n] {
                // Computed by the forward loop into its buffer of step `t`.
            } else if self.is_buffer(n) {
                let place = cx.place(n);
                each.extend(def(op.code).emit(cx, n, Place { tokens: &place, accumulate: false }));
            } else if g.shape(n) == Shape::Scalar {
                let (s, e) = (Self::scalar_var(n), def(op.code).emit_scalar(cx, n));
                each.extend(quote!(let #s: #scalar = #e;));
            }
        }
        (before, each)
    }
}
