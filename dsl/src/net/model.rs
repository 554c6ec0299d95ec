//! Stage 2: the typed graph of named values.
//!
//! One arena holds the forward values, the hand-written gradients and the
//! backward pass. Nodes are hash-consed: building an operation that already
//! exists returns the existing node, so equal subexpressions are computed
//! once and the simplifier can recognise `x + x`. Every node's operands have
//! smaller ids, so id order is a topological order.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use quote::quote;

pub type NodeId = usize;
pub type DimId = usize;

/// The dim of a column vector's width; always id 0.
pub const ONE: DimId = 0;

/// A dim as the user wrote it, or derived from the user's dims. Two dims
/// are equal when they are written the same way (`H` and `H`, `3` and `3`,
/// `H/2` and `H/2` once simplified), never because their sizes agree.
#[derive(Clone)]
pub struct DimInfo {
    pub text: String,
    pub tokens: TokenStream,
    pub kind: DimKind,
}

/// What a dim is; see `sizes` for the derived ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DimKind {
    /// A dim type in scope or a generic parameter.
    Named,
    /// An integer literal.
    Number(u64),
    /// `Σ cᵢ·dᵢ + k` over other dims, simplified (`H+1−KH`).
    Linear(Vec<(DimId, i64)>, i64),
    /// An exact quotient (`H/2`, `(H−1)/2`).
    Quot(DimId, u64),
    /// A product (`F·(H/2)·(W/2)`): a flattened shape.
    Prod(Vec<DimId>),
    /// The dims of a rank-3 value or the last three of a rank-4 one
    /// (`C×H×W`), held as one dim of their product so that elementwise ops
    /// and batching see a column.
    Shape(Vec<DimId>),
    /// `_` in a param's shape, not inferred (yet).
    Infer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    Scalar,
    Mat(DimId, DimId),
    /// A class label in `0..dim`.
    Label(DimId),
    /// A batch of class labels: `(classes, batch)`.
    Labels(DimId, DimId),
}

impl Shape {
    pub fn is_scalar(self) -> bool {
        matches!(self, Shape::Scalar | Shape::Mat(ONE, ONE))
    }
}

/// State of a net that is not a param: the running statistics of the
/// batchnorm in `let name`, one value per channel `channels`.
#[derive(Clone, Debug)]
pub struct StateDecl {
    pub name: String,
    pub channels: DimId,
}

impl StateDecl {
    /// The field that holds it, named as the `let` (a raw `r#name` kept raw).
    pub fn field(&self) -> proc_macro2::Ident {
        let span = proc_macro2::Span::call_site();
        match self.name.strip_prefix("r#") {
            Some(raw) => proc_macro2::Ident::new_raw(raw, span),
            None => proc_macro2::Ident::new(&self.name, span),
        }
    }

    /// Its name in a weights file and in messages, without `r#`.
    pub fn plain(&self) -> &str {
        self.name.strip_prefix("r#").unwrap_or(&self.name)
    }
}

/// What an op carries besides its operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Attr {
    None,
    /// The index of a param, input or label.
    Index(usize),
    /// A constant, as `f64` bits (so the op can be hashed).
    Bits(u64),
    /// A shape's dims (`fill`, `count`).
    Dims(DimId, DimId),
    /// A window's stride (or side) and padding (or 1 for a max), and the
    /// output's shape dim (`conv2d`, the pools).
    Window(u32, u32, DimId),
    /// A dropout: its index among the net's dropouts, and `p` as `f64` bits.
    Dropout(usize, u64),
    /// The loop (an index into `Graph::loops`) a step op belongs to.
    Loop(usize),
    /// A state of a loop: the loop, the state's index in it, and how many
    /// steps back it is read (`h[t - 1]`: 1; 0 for the state itself).
    State(usize, usize, u32),
    /// One param of every member of a stack (`members`): the param index of
    /// member 0's, the stride between members' (each member's params in
    /// turn), the members' count, and the stack's shape `[N·R × C]`.
    Members(usize, usize, usize, DimId, DimId),
}

/// One operation of the graph: the code of its definition in the op
/// registry (`"mul"`, `"sigmoid"`, `"sigmoid′"`), up to three operands and
/// an attribute. Plain data, so the graph depends on no op and equal
/// operations hash alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Op {
    pub code: &'static str,
    args: [NodeId; 3],
    arity: u8,
    pub attr: Attr,
}

impl Op {
    pub fn new(code: &'static str, args: &[NodeId]) -> Op {
        Op::with(code, args, Attr::None)
    }

    /// At most three operands; further ones are dropped (no op has more).
    pub fn with(code: &'static str, args: &[NodeId], attr: Attr) -> Op {
        let mut a = [0; 3];
        let arity = args.len().min(3);
        a[..arity].copy_from_slice(&args[..arity]);
        Op { code, args: a, arity: arity as u8, attr }
    }

    pub fn operands(&self) -> &[NodeId] {
        &self.args[..usize::from(self.arity)]
    }

    /// Operand `i` (the first when there is no such operand: never read so).
    pub fn arg(&self, i: usize) -> NodeId {
        self.operands().get(i).copied().unwrap_or(self.args[0])
    }

    pub fn is(&self, code: &str) -> bool {
        self.code == code
    }

    /// The value of a constant.
    pub fn constant(&self) -> Option<f64> {
        match (self.code, self.attr) {
            ("const", Attr::Bits(bits)) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    /// The index of a param, input or label.
    pub fn index(&self) -> Option<usize> {
        match self.attr {
            Attr::Index(i) => Some(i),
            _ => None,
        }
    }

    /// The dims of `fill` and `count`.
    pub fn dims(&self) -> (DimId, DimId) {
        match self.attr {
            Attr::Dims(r, c) => (r, c),
            _ => (ONE, ONE),
        }
    }
}

#[derive(Clone)]
pub struct Node {
    pub op: Op,
    pub shape: Shape,
}

/// A run-time loop over the steps of a dim (`for t in T` with `init`).
///
/// Its step values are ordinary nodes of the graph that depend on a step
/// op of the loop (`step`, `prev`, `carried`); everything else its body
/// writes is computed once, before the loop. `stack` nodes are its
/// results, `[T, …]`; the backward pass adds `sum_steps`, `stack` and
/// `init_adjoint` nodes, the results of the loop that runs in reverse.
#[derive(Clone)]
pub struct LoopInfo {
    /// The loop's variable (`t`) and dim (`T`).
    pub var: String,
    pub dim: DimId,
    pub states: Vec<LoopState>,
    /// In a batched graph, the batch dim: each step value is then `[R×B]`.
    pub batch: Option<DimId>,
    /// The adjoint of each read of an earlier step: (state, lag, adjoint).
    pub prev_adjoints: Vec<(usize, u32, NodeId)>,
}

/// A sequence of a loop that reads its earlier steps (`init h = …;`).
#[derive(Clone)]
pub struct LoopState {
    pub name: String,
    /// The value `h[t - k]` reads before step 0.
    pub init: NodeId,
    /// Step `t` (the node of `let h[t] = …`) and all steps (`stack`).
    pub step: Option<NodeId>,
    pub stack: Option<NodeId>,
}

#[derive(Clone)]
pub struct Graph {
    pub dims: Vec<DimInfo>,
    dim_index: HashMap<String, DimId>,
    pub nodes: Vec<Node>,
    index: HashMap<Op, NodeId>,
    pub loops: Vec<LoopInfo>,
    /// Calls of functions of one value made of elementwise ops (`hardswish(z)`),
    /// each with its derivative built once: see `Applied`.
    pub applied: Vec<Applied>,
    /// Calls of layers' instances (`r(h)`, each member of a stack), each
    /// expanded in place: see `LayerCall`.
    pub calls: Vec<LayerCall>,
}

/// A call `name(arg)` of a function of one value whose body is elementwise
/// in it: node `node` is its value, `deriv` its derivative `name′(arg)`, one
/// value per element. The backward pass sends `∂node ⊙ deriv` to `arg`, and
/// the derivation prints `name′(arg)` with its definition once.
#[derive(Clone)]
pub struct Applied {
    pub name: String,
    /// The function's definition as written: `x * min(max(x + 3.0, 0.0), 6.0) / 6.0`.
    pub definition: String,
    pub param: String,
    pub node: NodeId,
    pub arg: NodeId,
    pub deriv: NodeId,
}

/// A call of a layer's instance, expanded where it is written: the nodes
/// `first..=out` are its body's (`out` its value). The derivation prints the
/// layer's backward pass once, in the layer's names, and each call's part of
/// an adjoint by the call's name (`∂x|r₂`).
#[derive(Clone)]
pub struct LayerCall {
    /// The layer as declared: `Residual(x)`, `Dense<I, O>(x)`.
    pub layer: String,
    /// The call's value, as the derivation names it: `r`, `r₂`, `blocks.2`.
    pub name: String,
    /// The layer's arguments, params and `let`s, each with its node in this call.
    pub args: Vec<(String, NodeId)>,
    pub params: Vec<(String, NodeId)>,
    pub lets: Vec<(String, NodeId)>,
    pub first: NodeId,
    pub out: NodeId,
}

impl LayerCall {
    /// Whether node `n` was built by this call's body.
    pub fn holds(&self, n: NodeId) -> bool {
        (self.first..=self.out).contains(&n)
    }
}

impl Default for Graph {
    fn default() -> Self {
        Graph {
            dims: vec![DimInfo {
                text: "1".into(),
                tokens: quote!(::shapegrad::One),
                kind: DimKind::Number(1),
            }],
            dim_index: HashMap::from([("1".to_string(), ONE)]),
            nodes: Vec::new(),
            index: HashMap::new(),
            loops: Vec::new(),
            applied: Vec::new(),
            calls: Vec::new(),
        }
    }
}

impl Graph {
    /// The id of a dim written `text`, whose type is `tokens`.
    pub fn dim(&mut self, text: String, tokens: TokenStream) -> DimId {
        self.dim_of(DimInfo { text, tokens, kind: DimKind::Named })
    }

    /// The id of dim `info`, by its text.
    pub fn dim_of(&mut self, info: DimInfo) -> DimId {
        if let Some(&id) = self.dim_index.get(&info.text) {
            return id;
        }
        let id = self.dims.len();
        self.dim_index.insert(info.text.clone(), id);
        self.dims.push(info);
        id
    }

    /// The leaf of param `index`, if the graph has it.
    pub fn param_node(&self, index: usize) -> Option<NodeId> {
        self.index.get(&Op::with("param", &[], Attr::Index(index))).copied()
    }

    /// The node for `op`, creating it with `shape` if it does not exist yet.
    pub fn intern(&mut self, op: Op, shape: Shape) -> NodeId {
        if let Some(&id) = self.index.get(&op) {
            return id;
        }
        let id = self.nodes.len();
        self.nodes.push(Node { op, shape });
        self.index.insert(op, id);
        id
    }

    /// The node for `op` if it exists.
    pub fn find(&self, op: Op) -> Option<NodeId> {
        self.index.get(&op).copied()
    }

    pub fn op(&self, n: NodeId) -> Op {
        self.nodes[n].op
    }

    pub fn shape(&self, n: NodeId) -> Shape {
        self.nodes[n].shape
    }

    pub fn constant(&mut self, c: f64) -> NodeId {
        // One zero: -0.0 and 0.0 print and compute alike here.
        let c = if c == 0.0 { 0.0 } else { c };
        self.intern(Op::with("const", &[], Attr::Bits(c.to_bits())), Shape::Scalar)
    }

    /// Whether node `n` is a param, input or label.
    pub fn is_leaf(&self, n: NodeId) -> bool {
        matches!(self.op(n).code, "param" | "input" | "label")
    }

    /// `[R×C]` in the dims' names: `[H×D]`, `[H]` for a column, `a scalar`.
    pub fn shape_text(&self, s: Shape) -> String {
        match s {
            Shape::Scalar => "a scalar".into(),
            Shape::Mat(r, ONE) => format!("[{}]", self.dims[r].text),
            Shape::Mat(r, c) => format!("[{}×{}]", self.dims[r].text, self.dims[c].text),
            Shape::Label(d) | Shape::Labels(d, _) => format!("a label in 0..{}", self.dims[d].text),
        }
    }

    /// The loop each node is a step value of: a step op's own, else its
    /// operands' (the results of a loop, `stack` and the like, belong to none).
    pub fn loop_of(&self) -> Vec<Option<usize>> {
        let mut of: Vec<Option<usize>> = Vec::with_capacity(self.nodes.len());
        for node in &self.nodes {
            let k = match (node.op.code, node.op.attr) {
                ("step" | "prev" | "carried", Attr::Loop(k) | Attr::State(k, ..)) => Some(k),
                ("stack" | "sum_steps" | "init_adjoint", _) => None,
                _ => node.op.operands().iter().find_map(|&a| of[a]),
            };
            of.push(k);
        }
        of
    }

    /// What node `n`'s value is computed from: its operands, and for a read
    /// of an earlier step of a state (`prev`), the state's `init`, step and
    /// steps so far.
    pub fn reads(&self, n: NodeId) -> Vec<NodeId> {
        let op = self.op(n);
        match (op.code, op.attr) {
            ("prev", Attr::State(k, s, _)) => {
                let state = &self.loops[k].states[s];
                [Some(state.init), state.step, state.stack].into_iter().flatten().collect()
            }
            ("members", Attr::Members(first, stride, count, ..)) => {
                (0..count).filter_map(|i| self.param_node(first + i * stride)).collect()
            }
            _ => op.operands().to_vec(),
        }
    }

    /// Every node `targets` depend on, including themselves, by `deps`.
    pub fn closure(&self, targets: &[NodeId], deps: impl Fn(NodeId) -> Vec<NodeId>) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<NodeId> = targets.to_vec();
        while let Some(n) = stack.pop() {
            if !std::mem::replace(&mut seen[n], true) {
                stack.extend(deps(n));
            }
        }
        seen
    }
}

/// A rule about derived sizes that the macro cannot decide (the dims' sizes
/// are known to the compiler only): emitted as a bound whose failure shows
/// `msg`, under the call that needs it.
pub struct SizeCheck {
    /// Where the error shows: the call's first token.
    pub first: Span,
    pub msg: String,
    /// A name for the generated marker: `z1_rows`.
    pub marker: String,
    pub bound: SizeBound,
}

/// What a [`SizeCheck`] requires, of dims' Rust types.
pub enum SizeBound {
    /// The size of the first is a multiple of the number.
    Divides(TokenStream, u64),
    /// The size of the first is at least that of the second.
    AtLeast(TokenStream, TokenStream),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_operations_are_one_node() {
        let mut g = Graph::default();
        let h = g.dim("H".into(), quote!(H));
        let w = g.intern(Op::with("param", &[], Attr::Index(0)), Shape::Mat(h, h));
        let a = g.intern(Op::new("transpose", &[w]), Shape::Mat(h, h));
        let b = g.intern(Op::new("transpose", &[w]), Shape::Mat(h, h));
        assert_eq!(a, b);
        assert_eq!(g.constant(0.0), g.constant(-0.0));
        assert_eq!(g.dim("H".into(), quote!(H)), h);
        assert_eq!(g.shape_text(Shape::Mat(h, ONE)), "[H]");
        let closure = g.closure(&[a], |n| g.op(n).operands().to_vec());
        assert!(closure[w] && closure[a]);
    }
}
