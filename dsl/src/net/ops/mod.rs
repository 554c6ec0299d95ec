//! The op registry: every function and operator of `net!`, and every op the
//! backward pass builds, defined once, with all its rules side by side.
//!
//! # Adding an op
//!
//! An op is one [`OpDef`] in the file of its family (`arith`, `neg`, `div`, `matmul`,
//! `broadcast`, `unary`, `leaky`, `reduce`, `linalg`, `softmax`, `loss`, `leaf`), listed in that file's
//! `OPS`. Its definition holds:
//! - its `code` (the DSL name for a function) and, for a DSL function, its
//!   `signature` (arity, whether the last argument is a label);
//! - `check`: its shape rule, with the error messages of that rule, naming
//!   the values as written and their shapes in the user's dims;
//! - `infer`: the shape of a node the stages build, whose operands fit;
//! - `simplify`: rewrites applied as a node is built (`1·x = x`, …);
//! - `vjp`: its vector-Jacobian product, as new graph nodes;
//! - `lift`: its batched form, one example per column;
//! - `emit` / `emit_scalar` (and `deps`, `times` for fusions): its Rust code,
//!   calling the core kernel of the same name;
//! - `print`: its line in the derivation, text and LaTeX.
//!
//! A commit adding an op touches its family's file here, its kernel in
//! `core/src/ops/`, its tests and its docs, and nothing else. A new family is
//! a new file and one line in `FAMILIES` below.
//!
//! Ops name each other by code (`g.mk(Op::new("sum", &[x]))`), never by
//! importing a sibling, and the stages reach ops only through [`def`]: the
//! stages depend on the registry, the registry on the graph, and nothing
//! depends back.

mod arith;
mod broadcast;
mod div;
mod leaf;
mod leaky;
mod linalg;
mod loss;
mod matmul;
mod minmax;
mod neg;
mod reduce;
mod softmax;
mod unary;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use proc_macro2::TokenStream;
use quote::quote;

use super::error::{Errors, NamedDim};
use super::model::{Attr, DimId, Graph, NodeId, ONE, Op, Shape};
use super::parse::{Expr, expr_error};
use super::source::source_text;

/// How a printed expression binds, for parentheses in derivations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prec {
    Sum,
    MatMul,
    /// `f′(x)` written as juxtaposed factors, `σ(z)(1 − σ(z))`: binds like
    /// a product, and needs no parentheses after `⊙`.
    Factor,
    Hadamard,
    Scale,
    Ratio,
    Neg,
    Post,
    Atom,
}

/// What a per-example value is in the batched graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The same for every example.
    Shared,
    /// A per-example column `[R]`, batched as `[R×B]`.
    Column,
    /// A per-example scalar (or 1×1), batched as a `[1×B]` row.
    Scalar,
    /// A per-example label, batched as `Classes<C, B>`.
    Label,
    /// The transpose of a per-example column `[R]`, held untransposed as
    /// `[R×B]`: only a product's left side, or elementwise with another row.
    Row,
}

/// A node of the batched graph and its kind.
pub type Lifted = (NodeId, Kind);

/// How a DSL function is called.
#[derive(Clone, Copy, Debug)]
pub struct Signature {
    pub arity: usize,
    /// The last argument is a label (`onehot(y)`, `svm(z, y)`).
    pub label_last: bool,
}

/// What `check` works on: the graph being built and the errors.
pub struct Check<'a> {
    pub g: &'a mut Graph,
    pub errors: &'a mut Errors,
    /// The dims `text` and `dim_text` wrote since the last error: those its
    /// message names.
    pub named: RefCell<Vec<DimId>>,
}

impl Check<'_> {
    /// Reports `msg` under expression `at`; returns `None` for `?`-style use.
    pub fn error(&mut self, at: &Expr, msg: String) -> Option<NodeId> {
        let named = std::mem::take(&mut *self.named.borrow_mut());
        let mut dims: Vec<NamedDim> = Vec::new();
        for d in named.into_iter().filter(|&d| d != ONE) {
            let info = &self.g.dims[d];
            if !dims.iter().any(|n| n.text == info.text) {
                dims.push(NamedDim { text: info.text.clone(), tokens: info.tokens.clone() });
            }
        }
        self.errors.push_naming(expr_error(at, msg), dims);
        None
    }

    pub fn text(&self, s: Shape) -> String {
        match s {
            Shape::Mat(r, c) => self.named.borrow_mut().extend([r, c]),
            Shape::Label(d) | Shape::Labels(d, _) => self.named.borrow_mut().push(d),
            Shape::Scalar => {}
        }
        self.g.shape_text(s)
    }

    pub fn dim_text(&self, d: DimId) -> String {
        self.named.borrow_mut().push(d);
        self.g.dims[d].text.clone()
    }
}

/// One use of an op in the source: the whole expression, its arguments as
/// written, and their checked nodes.
pub struct Call<'a> {
    pub expr: &'a Expr,
    pub args: Vec<&'a Expr>,
    pub nodes: Vec<NodeId>,
}

impl Call<'_> {
    /// Argument `i` as the user wrote it.
    pub fn src(&self, i: usize) -> String {
        self.args.get(i).map_or_else(String::new, |e| source_text(e))
    }
}

/// What code generation gives an op.
pub trait EmitCx {
    fn g(&self) -> &Graph;
    /// Node `n` as an argument: `&self.W`, `x`, `&__ws.n7`, `__s9`.
    fn val(&self, n: NodeId) -> TokenStream;
    /// The element type.
    fn scalar(&self) -> TokenStream;
    /// A dim's Rust type.
    fn dim(&self, d: DimId) -> TokenStream;
    /// Read by one node only and returned by no method: it may be computed
    /// inside its reader.
    fn private(&self, n: NodeId) -> bool;
    /// What node `n` needs computed first, as generated.
    fn deps(&self, n: NodeId) -> Vec<NodeId>;
}

/// Where an op writes a matrix result.
#[derive(Clone, Copy)]
pub struct Place<'a> {
    pub tokens: &'a TokenStream,
    /// Add to what is there instead of overwriting it (products only).
    pub accumulate: bool,
}

/// Code for a place, given the method's context.
pub type Emit = Box<dyn Fn(&dyn EmitCx, &TokenStream) -> TokenStream>;

/// A product `other ⊙ x` that an op computes in one fused pass.
pub struct Fused {
    pub deps: Vec<NodeId>,
    pub code: Emit,
}

/// What the derivation printer gives an op.
pub trait PrintCx {
    fn g(&self) -> &Graph;
    fn latex(&self) -> bool;
    /// Node `n` inside an expression, with how it binds.
    fn print(&self, n: NodeId) -> (String, Prec);
    /// The name of a param, input or label, as printed (`W_{1}` in LaTeX).
    fn leaf_name(&self, n: NodeId) -> String;
    /// A dim's name, as printed (a generic dim marked for instantiation).
    fn dim_text(&self, d: DimId) -> String;
}

/// `n` printed, in parentheses unless it binds as one of `ok`.
pub fn operand(cx: &dyn PrintCx, n: NodeId, ok: &[Prec]) -> String {
    let (s, k) = cx.print(n);
    if ok.contains(&k) { s } else { format!("({s})") }
}

/// `f(a, b)`, with `latex` for the function's name in LaTeX.
pub fn call(cx: &dyn PrintCx, text: &str, latex: &str, args: &[NodeId]) -> (String, Prec) {
    let args: Vec<String> = args.iter().map(|&a| cx.print(a).0).collect();
    let f = if cx.latex() { latex } else { text };
    (format!("{f}({})", args.join(", ")), Prec::Atom)
}

/// What batching gives an op.
pub trait LiftCx {
    /// The per-example graph.
    fn src(&self) -> &Graph;
    /// The batched graph.
    fn g(&mut self) -> &mut Graph;
    /// The batch dim.
    fn batch(&self) -> DimId;
    /// The per-example node `n` as named in messages: `` `h1` `` or "a value".
    fn name(&self, n: NodeId) -> String;
}

/// The batched form of a binary elementwise op `code` on `a` and `c`, when
/// it is the op itself: both of one kind, or one a shared scalar broadcast
/// over the other. `None` when the kinds need a rule of the op's own.
pub fn lift_as_written(
    g: &mut Graph,
    code: &'static str,
    (a, ka): Lifted,
    (c, kc): Lifted,
) -> Option<Lifted> {
    let (sa, sc) = (g.shape(a), g.shape(c));
    let shared_scalar = |k: Kind, s: Shape| k == Kind::Shared && s == Shape::Scalar;
    if ka != kc && !shared_scalar(ka, sa) && !shared_scalar(kc, sc) {
        return None;
    }
    let shape = if sa == Shape::Scalar { sc } else { sa };
    let kind = if ka == Kind::Shared { kc } else { ka };
    Some((g.intern(Op::new(code, &[a, c]), shape), kind))
}

/// The rows of a node's shape.
pub fn rows(g: &Graph, n: NodeId) -> DimId {
    match g.shape(n) {
        Shape::Mat(r, _) => r,
        _ => ONE,
    }
}

/// The first operand that is not a scalar, else a scalar: the guess for an
/// elementwise op whose shapes did not fit.
pub fn first_non_scalar(g: &Graph, nodes: &[NodeId]) -> Option<Shape> {
    Some(nodes.iter().map(|&n| g.shape(n)).find(|s| matches!(s, Shape::Mat(..))).unwrap_or(Shape::Scalar))
}

/// A constant row of ones, `[1×R]`: `𝟙ᵀ A` sums the columns of `A`.
pub fn ones_row(g: &mut Graph, r: DimId) -> NodeId {
    let one = g.constant(1.0);
    g.intern(Op::with("fill", &[one], Attr::Dims(ONE, r)), Shape::Mat(ONE, r))
}

/// The scalar `s` broadcast to the shape of `like`.
pub fn fill(g: &mut Graph, s: NodeId, like: NodeId) -> NodeId {
    match g.shape(like) {
        Shape::Mat(r, c) => g.mk(Op::with("fill", &[s], Attr::Dims(r, c))),
        _ => s,
    }
}

/// An op: everything about it, in one place. See the module docs.
pub trait OpDef: Sync {
    /// The op's code, unique; a DSL function's name.
    fn code(&self) -> &'static str;

    /// `Some` for a function of the DSL.
    fn signature(&self) -> Option<Signature> {
        None
    }

    /// The binary operator it implements (`"@"`, `"*"`), if any.
    fn operator(&self) -> Option<&'static str> {
        None
    }

    /// The shape rule of a use in the source: the node, or an error reported.
    fn check(&self, cx: &mut Check<'_>, call: &Call<'_>) -> Option<NodeId> {
        cx.error(call.expr, format!("`{}` cannot be written in a net", self.code()))
    }

    /// `Some(s)` when node `n` is the identity scaled by the scalar `s`
    /// (a 1×1 fill, `s I`): products and transposes then simplify.
    fn scaled_identity(&self, g: &Graph, n: NodeId) -> Option<NodeId> {
        let _ = (g, n);
        None
    }

    /// When `check` reported an error, the shape the use most likely meant,
    /// from its checked operands (`[H]` for `W1 @ x + b1` with a bias of the
    /// wrong size), so that later statements are still checked against it.
    fn guess(&self, g: &Graph, nodes: &[NodeId]) -> Option<Shape> {
        let _ = (g, nodes);
        None
    }

    /// The shape of a node the stages build (its operands fit by construction).
    fn infer(&self, g: &Graph, op: &Op) -> Shape;

    /// A simpler node equal to `op`, if there is one.
    fn simplify(&self, g: &mut Graph, op: &Op) -> Option<NodeId> {
        let _ = (g, op);
        None
    }

    /// The contributions of node `n`, whose adjoint is `d`, to its operands.
    fn vjp(&self, g: &mut Graph, n: NodeId, d: NodeId) -> Vec<(NodeId, NodeId)> {
        let _ = (g, n, d);
        Vec::new()
    }

    /// The batched node for per-example node `n`, from its lifted operands.
    fn lift(&self, cx: &mut dyn LiftCx, n: NodeId, args: &[Lifted]) -> Result<Lifted, String> {
        let _ = args;
        Err(format!("{} has no batched form ({})", cx.name(n), self.code()))
    }

    /// What node `n` needs computed first, as generated.
    fn deps(&self, cx: &dyn EmitCx, n: NodeId) -> Vec<NodeId> {
        cx.g().op(n).operands().to_vec()
    }

    /// The statement writing matrix node `n` into `place`.
    fn emit(&self, cx: &dyn EmitCx, n: NodeId, place: Place<'_>) -> TokenStream {
        let _ = (cx, place);
        internal(&format!("no matrix code for `{}` (node {n})", self.code()))
    }

    /// The expression computing scalar node `n`.
    fn emit_scalar(&self, cx: &dyn EmitCx, n: NodeId) -> TokenStream {
        let _ = cx;
        internal(&format!("no scalar code for `{}` (node {n})", self.code()))
    }

    /// `other ⊙ x` for this node `x`, in one pass, when the op can.
    fn times(&self, cx: &dyn EmitCx, x: NodeId, other: NodeId) -> Option<Fused> {
        let _ = (cx, x, other);
        None
    }

    /// Node `n` in a derivation.
    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec);
}

/// A build failure that names the bug, rather than code computing a wrong value.
pub fn internal(what: &str) -> TokenStream {
    let msg = format!("internal error in `net!` (a bug in shapegrad): {what}");
    quote!(::core::compile_error!(#msg))
}

/// The families, each listing its ops.
const FAMILIES: [&[&dyn OpDef]; 13] = [
    leaf::OPS,
    arith::OPS,
    neg::OPS,
    div::OPS,
    broadcast::OPS,
    matmul::OPS,
    unary::OPS,
    leaky::OPS,
    minmax::OPS,
    reduce::OPS,
    linalg::OPS,
    softmax::OPS,
    loss::OPS,
];

fn registry() -> &'static HashMap<&'static str, &'static dyn OpDef> {
    static REGISTRY: OnceLock<HashMap<&'static str, &'static dyn OpDef>> = OnceLock::new();
    REGISTRY.get_or_init(|| FAMILIES.iter().flat_map(|f| f.iter()).map(|&d| (d.code(), d)).collect())
}

/// The definition of the op with `code`.
pub fn def(code: &str) -> &'static dyn OpDef {
    registry().get(code).copied().unwrap_or(&Missing)
}

/// The definition of the DSL function `name`.
pub fn function(name: &str) -> Option<&'static dyn OpDef> {
    registry().get(name).copied().filter(|d| d.signature().is_some())
}

/// The op of the binary operator `symbol` (`"+"`, `"@"`).
pub fn operator(symbol: &str) -> Option<&'static dyn OpDef> {
    FAMILIES.iter().flat_map(|f| f.iter()).copied().find(|d| d.operator() == Some(symbol))
}

/// Every DSL function's name, in the order of the families.
pub fn function_names() -> Vec<&'static str> {
    FAMILIES.iter().flat_map(|f| f.iter()).filter(|d| d.signature().is_some()).map(|d| d.code()).collect()
}

/// The op `def` returns for an unknown code: a bug, reported at build time.
struct Missing;

impl OpDef for Missing {
    fn code(&self) -> &'static str {
        "?"
    }

    fn infer(&self, _: &Graph, _: &Op) -> Shape {
        Shape::Scalar
    }

    fn print(&self, _: &dyn PrintCx, _: NodeId) -> (String, Prec) {
        ("?".into(), Prec::Atom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_defined_once() {
        let all: Vec<&str> = FAMILIES.iter().flat_map(|f| f.iter()).map(|d| d.code()).collect();
        assert_eq!(registry().len(), all.len(), "a code is defined twice: {all:?}");
        assert!(!all.contains(&"?"));
        assert_eq!(def("sigmoid").code(), "sigmoid");
        assert_eq!(def("no such op").code(), "?");
        assert!(function("sigmoid′").is_none(), "a derivative is no DSL function");
    }
}
