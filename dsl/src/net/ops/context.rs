//! What the stages give an op: `Check` for its shape rule, `EmitCx` for its
//! code, `PrintCx` for its derivation, `LiftCx` for its batched form; and
//! the small helpers the ops of several families share.

use std::cell::RefCell;
use std::collections::HashMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::net::error::{Errors, NamedDim};
use crate::net::model::{
    Attr, DimId, DimKind, Graph, NodeId, ONE, Op, Shape, SizeBound, SizeCheck, StateDecl,
};

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
    /// A per-example sequence `[T, R]` (or `[T] of V`), batched as `T`
    /// blocks of `[R×B]` (a `Tensor3<T, R, B>`; a `Sequences<V, T, B>`):
    /// only the steps of a run-time loop read it.
    Seq,
}

impl Kind {
    /// The kind in words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Shared => "a value shared by every example",
            Kind::Column => "a per-example vector",
            Kind::Scalar => "a per-example scalar",
            Kind::Label => "a label",
            Kind::Row => "a per-example row (a transposed vector)",
            Kind::Seq => "a per-example sequence",
        }
    }
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
    /// Rules about derived sizes left to the compiler.
    pub sizes: &'a mut Vec<SizeCheck>,
    /// What each `_` of a param's shape was found to be.
    pub inferred: &'a mut HashMap<DimId, DimId>,
    /// State that is not a param, declared by ops (batchnorm).
    pub states: &'a mut Vec<StateDecl>,
}

impl Check<'_> {
    /// Whether dims `a` and `b` may be the same: equal, or one a `_` not yet
    /// inferred (it is then taken to be the other).
    pub fn bind(&mut self, a: DimId, b: DimId) -> bool {
        if a == b {
            return true;
        }
        for (x, y) in [(a, b), (b, a)] {
            if self.g.dims[x].kind == DimKind::Infer {
                return *self.inferred.entry(x).or_insert(y) == y;
            }
        }
        false
    }

    /// A rule about sizes the compiler checks, under this call.
    pub fn require(&mut self, call: &Call, what: &str, msg: String, bound: SizeBound) {
        let marker = format!("{}_{what}", call.name);
        self.sizes.push(SizeCheck { first: call.expr.first, msg, marker, bound });
    }

    /// Reports `msg` under expression `at`; returns `None` for `?`-style use.
    pub fn error(&mut self, at: &Written, msg: String) -> Option<NodeId> {
        let named = std::mem::take(&mut *self.named.borrow_mut());
        let mut dims: Vec<NamedDim> = Vec::new();
        for d in named.into_iter().filter(|&d| d != ONE) {
            let info = &self.g.dims[d];
            if !dims.iter().any(|n| n.text == info.text) {
                dims.push(NamedDim { text: info.text.clone(), tokens: info.tokens.clone() });
            }
        }
        self.errors.push_naming(crate::net::error::spanned(at.first, at.last, msg), dims);
        None
    }

    /// An error at a use of `decl`, a bare param or label, that declaring it
    /// as `fix` would avoid: `at_decl` says so at `decl`'s declaration, and
    /// replaces every such error when no use of `decl` checks and all of
    /// them have that fix.
    pub fn slip(
        &mut self,
        at: &Written,
        msg: String,
        decl: NodeId,
        fix: String,
        at_decl: String,
    ) -> Option<NodeId> {
        let result = self.error(at, msg);
        self.errors.tag_last(decl, fix, at_decl);
        result
    }

    /// Dim `d` as a declaration spells it: `H`, or `C, H, W` for the dims of
    /// a rank-3 value.
    pub fn decl_dims(&self, d: DimId) -> String {
        match self.g.parts(d) {
            Some(parts) => parts.iter().map(|&p| self.dim_text(p)).collect::<Vec<_>>().join(", "),
            None => self.dim_text(d),
        }
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

    /// Which dims of two shapes differ, in words: `H and C differ`.
    pub fn differ(&self, sa: Shape, sb: Shape) -> String {
        match (sa, sb) {
            (Shape::Mat(_, c), Shape::Mat(_, c2)) if (c == ONE) != (c2 == ONE) => {
                "one is a matrix, the other a vector".into()
            }
            (Shape::Mat(r, c), Shape::Mat(r2, c2)) => {
                let mut parts = Vec::new();
                // A rank-3 value's dims are compared one by one (`H and W differ`).
                let expand = |d: DimId| self.g.parts(d).map_or_else(|| vec![d], <[DimId]>::to_vec);
                let (mut xs, mut ys) = (expand(r), expand(r2));
                if xs.len() != ys.len() {
                    (xs, ys) = (vec![r], vec![r2]);
                }
                let (cx, cy) = (expand(c), expand(c2));
                let pairs: Vec<(DimId, DimId)> = if cx.len() == cy.len() {
                    xs.into_iter().zip(ys).chain(cx.into_iter().zip(cy)).collect()
                } else {
                    xs.into_iter().zip(ys).chain([(c, c2)]).collect()
                };
                // Two dims swapped, as in `[F×W×H]` for `[F×H×W]`.
                let differing: Vec<(DimId, DimId)> = pairs.iter().copied().filter(|(x, y)| x != y).collect();
                if let [(a, b), (c, d)] = differing[..]
                    && a == d
                    && b == c
                {
                    return format!("{} and {} are swapped", self.dim_text(a), self.dim_text(b));
                }
                for (x, y) in pairs {
                    if x != y {
                        parts.push(format!("{} and {} differ", self.dim_text(x), self.dim_text(y)));
                    }
                }
                parts.join(", ")
            }
            _ => "shapes differ".into(),
        }
    }
}

/// What the user wrote for a call or one of its arguments, as an op's rule
/// sees it: where it is (for errors), its text (for messages), and its
/// value when it is a number, negative ones included (`-0.5`).
#[derive(Clone)]
pub struct Written {
    pub first: Span,
    pub last: Span,
    /// `W @ x`, as written.
    pub text: String,
    /// Its transpose as the user would write it (`W.T`, `(a + b).T`, `a` for `a.T`).
    pub transposed: String,
    /// It as an operand of `@`, on the left and on the right (`(a + b)`).
    pub factor: [String; 2],
    pub number: Option<f64>,
}

/// One use of an op in the source: the whole expression, its arguments as
/// written, and their checked nodes.
pub struct Call {
    pub expr: Written,
    pub args: Vec<Written>,
    pub nodes: Vec<NodeId>,
    /// Named arguments (`stride = 2`), each one the op takes, once.
    pub named: Vec<(String, Written)>,
    /// The `let` (or statement) it is in, for messages and generated names.
    pub name: String,
}

impl Call {
    /// Argument `i` as the user wrote it.
    pub fn src(&self, i: usize) -> String {
        self.args.get(i).map_or_else(String::new, |e| e.text.clone())
    }

    /// The named argument `key`, if given.
    pub fn named(&self, key: &str) -> Option<&Written> {
        self.named.iter().find(|(k, _)| k == key).map(|(_, e)| e)
    }

    /// Argument `i` when it is a number written in the net (`0.1`, `-0.5`):
    /// the one way an op reads a literal argument.
    pub fn number(&self, i: usize) -> Option<f64> {
        self.args.get(i)?.number
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
    /// Node `n`'s extra buffer (`OpDef::scratch`): `__ws.s7`.
    fn scratch(&self, n: NodeId) -> TokenStream;
    /// State `k` of the net (batchnorm's running statistics): `self.z1`.
    fn state(&self, k: usize) -> TokenStream;
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
    /// Whether this is the training graph (dropout masks) or the evaluation one.
    fn training(&self) -> bool;
    /// The batched node of per-example node `n`, if it was lifted already
    /// (a loop's state reads its `init`, lifted before it).
    fn lifted(&self, n: NodeId) -> Option<Lifted> {
        let _ = n;
        None
    }
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

/// The columns of a node's shape: the batch of a batched value, else `ONE`.
pub fn cols(g: &Graph, n: NodeId) -> DimId {
    match g.shape(n) {
        Shape::Mat(_, c) => c,
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

/// The shape of an elementwise op: equal shapes, or one side a scalar
/// (broadcast); `None` otherwise, and for labels.
pub fn broadcast(sa: Shape, sb: Shape) -> Option<Shape> {
    match (sa, sb) {
        (Shape::Label(_), _) | (_, Shape::Label(_)) => None,
        (Shape::Scalar, s) | (s, Shape::Scalar) => Some(s),
        (a, b) if a == b => Some(a),
        _ => None,
    }
}

/// The shape of a reduction with one value per column: `[N]` → a scalar,
/// `[R×C]` → `[1×C]`; `None` for a scalar.
pub fn per_column(s: Shape) -> Option<Shape> {
    match s {
        Shape::Mat(_, ONE) => Some(Shape::Scalar),
        Shape::Mat(_, c) => Some(Shape::Mat(ONE, c)),
        _ => None,
    }
}

/// The shape rule of a per-column reduction `code` (`norm`, `logsumexp`).
pub fn check_per_column(cx: &mut Check<'_>, call: &Call, code: &'static str) -> Option<NodeId> {
    let x = call.nodes[0];
    let Some(shape) = per_column(cx.g.shape(x)) else {
        let msg = format!(
            "`{code}` needs a vector or a matrix (one value per column), but `{}` is a scalar",
            call.src(0)
        );
        return cx.error(&call.expr, msg);
    };
    Some(cx.g.intern(Op::new(code, &[x]), shape))
}

/// The batched form of a per-column reduction `code`: one value per example,
/// a row over the batch.
pub fn lift_per_column(
    cx: &mut dyn LiftCx,
    n: NodeId,
    args: &[Lifted],
    code: &'static str,
) -> Result<Lifted, String> {
    let (b, shape) = (cx.batch(), cx.src().shape(n));
    let g = cx.g();
    match args[0] {
        (a, Kind::Shared) => Ok((g.intern(Op::new(code, &[a]), shape), Kind::Shared)),
        (a, Kind::Column | Kind::Scalar) => {
            Ok((g.intern(Op::new(code, &[a]), Shape::Mat(ONE, b)), Kind::Scalar))
        }
        _ => Err(format!("{} is the {code} of a per-example row", cx.name(n))),
    }
}

/// The VJP of a per-column reduction whose gradient per column is `u`:
/// `u dy` for one column, `u diag(dy)` for several.
pub fn per_column_vjp(g: &mut Graph, u: NodeId, d: NodeId) -> NodeId {
    let op =
        if g.shape(d) == Shape::Scalar { Op::new("mul", &[d, u]) } else { Op::new("col_scale", &[u, d]) };
    g.mk(op)
}

/// What an op's `onnx` hook sees: the batched graph, each computed node's
/// ONNX value (a `String` variable), and the dims' sizes.
pub struct OnnxCx<'a> {
    g: &'a Graph,
    states: &'a [StateDecl],
}

impl<'a> OnnxCx<'a> {
    pub fn new(g: &'a Graph, states: &'a [StateDecl]) -> Self {
        OnnxCx { g, states }
    }

    /// The batched graph.
    pub fn g(&self) -> &Graph {
        self.g
    }

    /// The variable holding the name of node `n`'s ONNX value.
    pub fn v(&self, n: NodeId) -> Ident {
        format_ident!("__o{}", n)
    }

    /// The size of dim `d`, as a `usize` expression.
    pub fn size(&self, d: DimId) -> TokenStream {
        let t = &self.g.dims[d].tokens;
        quote!(<#t as ::shapegrad::Dim>::SIZE)
    }

    /// `__g.op(op, [operands' values], [])`: one ONNX node on nodes `args`.
    pub fn call(&self, op: &str, args: &[NodeId]) -> TokenStream {
        let vs: Vec<Ident> = args.iter().map(|&a| self.v(a)).collect();
        quote!(__g.op(#op, &[#(&#vs),*], ::std::vec::Vec::new()))
    }

    /// The sizes `[C, H, W]` of rank-3 node `n` (one example).
    pub fn image(&self, n: NodeId) -> Option<[TokenStream; 3]> {
        match self.g().shape(n) {
            Shape::Mat(r, _) => match self.g().parts(r)? {
                &[c, h, w] => Some([self.size(c), self.size(h), self.size(w)]),
                _ => None,
            },
            _ => None,
        }
    }

    /// The ONNX name of state tensor `k` (`a1.running_mean`, `a1.running_var`).
    pub fn state(&self, k: usize) -> Option<(String, String)> {
        let s = self.states.get(k)?.plain();
        Some((format!("{s}.running_mean"), format!("{s}.running_var")))
    }
}
