//! Stage 2: the typed graph of named values.
//!
//! One arena holds the forward values, the hand-written gradients and the
//! backward pass. Nodes are hash-consed: building an operation that already
//! exists returns the existing node, so equal subexpressions are computed
//! once and the simplifier can recognise `x + x`. Every node's operands have
//! smaller ids, so id order is a topological order.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::quote;

pub type NodeId = usize;
pub type DimId = usize;

/// The dim of a column vector's width; always id 0.
pub const ONE: DimId = 0;

/// A dim as the user wrote it. Two dims are equal when they are written the
/// same way (`H` and `H`, `3` and `3`), never because their sizes agree.
pub struct DimInfo {
    pub text: String,
    pub tokens: TokenStream,
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

/// An elementwise function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Func {
    Sigmoid,
    Tanh,
    Relu,
    Swish,
    Exp,
    Log,
    Sqrt,
    Square,
    Abs,
}

impl Func {
    pub const ALL: [Func; 9] = [
        Func::Sigmoid,
        Func::Tanh,
        Func::Relu,
        Func::Swish,
        Func::Exp,
        Func::Log,
        Func::Sqrt,
        Func::Square,
        Func::Abs,
    ];

    /// The DSL's name, which is also the `Matrix` method's.
    pub fn name(self) -> &'static str {
        match self {
            Func::Sigmoid => "sigmoid",
            Func::Tanh => "tanh",
            Func::Relu => "relu",
            Func::Swish => "swish",
            Func::Exp => "exp",
            Func::Log => "log",
            Func::Sqrt => "sqrt",
            Func::Square => "square",
            Func::Abs => "abs",
        }
    }

    /// The marker type in `shapegrad::ops` implementing `Unary`.
    pub fn type_name(self) -> &'static str {
        match self {
            Func::Sigmoid => "Sigmoid",
            Func::Tanh => "Tanh",
            Func::Relu => "Relu",
            Func::Swish => "Swish",
            Func::Exp => "Exp",
            Func::Log => "Log",
            Func::Sqrt => "Sqrt",
            Func::Square => "Square",
            Func::Abs => "Abs",
        }
    }

    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Param(usize),
    Input(usize),
    Label(usize),
    /// A scalar constant, as `f64` bits (so the op can be hashed).
    Const(u64),
    MatMul(NodeId, NodeId),
    Transpose(NodeId),
    /// Elementwise; either side may be a scalar, broadcast.
    Add(NodeId, NodeId),
    Sub(NodeId, NodeId),
    Mul(NodeId, NodeId),
    /// `[R×B] + [R]`: a column added to every column.
    AddBias(NodeId, NodeId),
    Neg(NodeId),
    Map(Func, NodeId),
    Sum(NodeId),
    Mean(NodeId),
    Softmax(NodeId),
    LogSoftmax(NodeId),
    OneHot(NodeId),
    SoftmaxCe(NodeId, NodeId),
    Svm(NodeId, NodeId),
    // Only in the backward pass:
    /// The number of elements of an `[R×C]` value, as a scalar.
    Count(DimId, DimId),
    /// Scalar division.
    Div(NodeId, NodeId),
    /// The sum of each row: `[R×C] → [R]`.
    RowSums(NodeId),
    /// A scalar broadcast to `[R×C]`.
    Fill(NodeId, DimId, DimId),
    /// `f′(x)`, elementwise.
    Deriv(Func, NodeId),
    /// `softmax(z) − onehot(y)`.
    SoftmaxCeGrad(NodeId, NodeId),
    /// The subgradient of the hinge loss.
    SvmGrad(NodeId, NodeId),
    /// `y ⊙ (dy − ⟨y, dy⟩)` per column, for `y = softmax(z)`.
    SoftmaxVjp(NodeId, NodeId),
    /// `dy − softmax(z) Σ dy` per column.
    LogSoftmaxVjp(NodeId, NodeId),
    // Only in the batched graph:
    /// The cross-entropy of each column: `[C×B]`, labels → `[1×B]`.
    SoftmaxCeCols(NodeId, NodeId),
    /// The hinge loss of each column: `[C×B]`, labels → `[1×B]`.
    SvmCols(NodeId, NodeId),
    /// `A diag(r)`: column `j` of `A` scaled by `r[j]`, for a `[1×B]` row `r`.
    ColScale(NodeId, NodeId),
    /// `diag(s) A`: row `i` of `A` scaled by `s[i]`, for a column `s`.
    RowScale(NodeId, NodeId),
}

impl Op {
    pub fn operands(self) -> Vec<NodeId> {
        use Op::*;
        match self {
            Param(_) | Input(_) | Label(_) | Const(_) | Count(..) => vec![],
            Transpose(a)
            | Neg(a)
            | Map(_, a)
            | Sum(a)
            | Mean(a)
            | Softmax(a)
            | LogSoftmax(a)
            | OneHot(a)
            | RowSums(a)
            | Fill(a, ..)
            | Deriv(_, a) => vec![a],
            MatMul(a, b)
            | Add(a, b)
            | Sub(a, b)
            | Mul(a, b)
            | AddBias(a, b)
            | SoftmaxCe(a, b)
            | Svm(a, b)
            | Div(a, b)
            | SoftmaxCeGrad(a, b)
            | SvmGrad(a, b)
            | SoftmaxVjp(a, b)
            | LogSoftmaxVjp(a, b)
            | SoftmaxCeCols(a, b)
            | SvmCols(a, b)
            | ColScale(a, b)
            | RowScale(a, b) => vec![a, b],
        }
    }

    pub fn constant(self) -> Option<f64> {
        match self {
            Op::Const(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }
}

pub struct Node {
    pub op: Op,
    pub shape: Shape,
}

pub struct Graph {
    pub dims: Vec<DimInfo>,
    dim_index: HashMap<String, DimId>,
    pub nodes: Vec<Node>,
    index: HashMap<Op, NodeId>,
}

impl Default for Graph {
    fn default() -> Self {
        Graph {
            dims: vec![DimInfo { text: "1".into(), tokens: quote!(::shapegrad::One) }],
            dim_index: HashMap::from([("1".to_string(), ONE)]),
            nodes: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl Graph {
    /// The id of a dim written `text`, whose type is `tokens`.
    pub fn dim(&mut self, text: String, tokens: TokenStream) -> DimId {
        if let Some(&id) = self.dim_index.get(&text) {
            return id;
        }
        let id = self.dims.len();
        self.dim_index.insert(text.clone(), id);
        self.dims.push(DimInfo { text, tokens });
        id
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
        self.intern(Op::Const(c.to_bits()), Shape::Scalar)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_operations_are_one_node() {
        let mut g = Graph::default();
        let h = g.dim("H".into(), quote!(H));
        let w = g.intern(Op::Param(0), Shape::Mat(h, h));
        let a = g.intern(Op::Transpose(w), Shape::Mat(h, h));
        let b = g.intern(Op::Transpose(w), Shape::Mat(h, h));
        assert_eq!(a, b);
        assert_eq!(g.constant(0.0), g.constant(-0.0));
        assert_eq!(g.dim("H".into(), quote!(H)), h);
        assert_eq!(g.shape_text(Shape::Mat(h, ONE)), "[H]");
        let closure = g.closure(&[a], |n| g.op(n).operands());
        assert!(closure[w] && closure[a]);
    }
}
