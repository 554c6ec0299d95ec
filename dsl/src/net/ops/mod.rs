//! The op registry: every function and operator of `net!`, and every op the
//! backward pass builds, defined once, with all its rules side by side.
//!
//! # Adding an op
//!
//! An op is one [`OpDef`] in the file of its family (`arith`, `neg`, `div`, `matmul`,
//! `broadcast`, `unary`, `parametric`, `reduce`, `linalg`, `softmax`, `loss`, `conv`, `reshape`, `index`, `slice`, `norm`, `batchnorm`, `leaf`), listed in that file's
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
//! A commit adding an op touches its family's file here, its kernel in the
//! file of the same name in `core/src/kernels/ops/` (a test holds the two
//! lists of names together), its tests and its docs, and nothing else. A new family is
//! a new file, its `mod` line and one line in `FAMILIES` below (what
//! several families use, as `pairwise` and `window`, is a helper module they
//! reach through this one, never a sibling).
//!
//! Ops name each other by code (`g.mk(Op::new("sum", &[x]))`), never by
//! importing a sibling, and the stages reach ops only through [`def`]: the
//! stages depend on the registry, the registry on the graph, and nothing
//! depends back: an op sees what the user wrote as a [`Written`] (spans,
//! text, a literal's value, negatives included: [`Call::number`]), the
//! compiler's size rules as `model::SizeCheck`, the export as [`OnnxCx`],
//! all defined here or in the model, so `ops/` imports nothing from
//! `check`, `parse` or `codegen`:
//! `grep -rhn "crate::net::[a-z_]*" dsl/src/net/ops/ | grep -o "crate::net::[a-z_]*" | sort | uniq -c`.

mod arith;
mod batchnorm;
mod broadcast;
mod composite;
mod context;
mod conv;
mod div;
mod index;
mod leaf;
mod linalg;
mod loss;
mod matmul;
mod members;
mod minmax;
mod neg;
mod norm;
mod pairwise;
mod parametric;
mod pool;
mod reduce;
mod reshape;
mod slice;
mod softmax;
mod steps;
mod unary;
mod window;

use std::collections::HashMap;
use std::sync::OnceLock;

use proc_macro2::TokenStream;
use quote::quote;

use super::model::{Graph, NodeId, Op, Shape, StateDecl};
pub use composite::{composite, composite_names};
pub use pairwise::{along_axis, rule as pair_rule, scalar_side, shape as pair_shape};
pub use slice::offset as slice_offset;
pub use window::{checked, literal, out_dim, rank3, size, usize_lit};

pub use context::{
    Call, Check, EmitCx, Fused, Kind, LiftCx, Lifted, OnnxCx, Place, Prec, PrintCx, Signature, Written,
    broadcast, call, check_per_column, cols, fill, first_non_scalar, lift_as_written, lift_per_column,
    ones_row, operand, per_column, per_column_vjp, rows,
};

/// An op: everything about it, in one place. See the module docs.
pub trait OpDef: Sync {
    /// The op's code, unique; a DSL function's name.
    fn code(&self) -> &'static str;

    /// `Some` for a function of the DSL.
    fn signature(&self) -> Option<Signature> {
        None
    }

    /// The named arguments a DSL function takes (`stride`, `pad`).
    fn named_args(&self) -> &'static [&'static str] {
        &[]
    }

    /// The binary operator it implements (`"@"`, `"*"`), if any.
    fn operator(&self) -> Option<&'static str> {
        None
    }

    /// The shape rule of a use in the source: the node, or an error reported.
    fn check(&self, cx: &mut Check<'_>, call: &Call) -> Option<NodeId> {
        cx.error(&call.expr, format!("`{}` cannot be written in a net", self.code()))
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

    /// The length of a buffer the op needs besides its result (the im2col
    /// matrix of a convolution), kept in the workspace; `EmitCx::scratch`.
    fn scratch(&self, cx: &dyn EmitCx, n: NodeId) -> Option<TokenStream> {
        let _ = (cx, n);
        None
    }

    /// Whether the node's value is its first operand's, reinterpreted
    /// (`flatten`): it has no buffer and no code.
    fn alias(&self) -> bool {
        false
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

    /// The ONNX nodes computing node `n` of a batched evaluation graph (one
    /// example per column): an expression of type `String`, the name of the
    /// value, built on `__g` (a `shapegrad::onnx::Graph`) from the operands'
    /// values `cx.v(a)`. `None`: the op has no export yet, and nets using it
    /// get no `to_onnx`.
    fn onnx(&self, cx: &OnnxCx<'_>, n: NodeId) -> Option<TokenStream> {
        let _ = (cx, n);
        None
    }

    /// Node `n` in a derivation.
    fn print(&self, cx: &dyn PrintCx, n: NodeId) -> (String, Prec);

    /// Whether the op acts element by element on operands of its result's
    /// shape (or a scalar side): a function of such ops alone has a
    /// derivative of one value per element, printed by the function's name.
    fn elementwise(&self) -> bool {
        false
    }

    /// Whether the op computes otherwise in training than in evaluation
    /// (`dropout`, `batchnorm`): a net with one gets its training methods
    /// from the training graph and `forward_batch` from the evaluation one.
    fn modal(&self) -> bool {
        false
    }

    /// Whether the op draws random numbers (dropout's mask): the methods
    /// then hold a generator.
    fn draws_random(&self) -> bool {
        false
    }

    /// The operand that scales the op's result and so starts at one, as
    /// PyTorch's (a batchnorm's γ): zero would zero every gradient upstream.
    fn scale_operand(&self) -> Option<usize> {
        None
    }

    /// Code the training methods run after the backward pass for node `n`,
    /// writing into the gradient `__out` (a batchnorm's batch statistics,
    /// for the optimizer's step to update the running ones).
    fn after_grad(&self, cx: &dyn EmitCx, n: NodeId, states: &[StateDecl]) -> Option<TokenStream> {
        let _ = (cx, n, states);
        None
    }

    /// What the op's training mode adds to the derivation, for node `n`
    /// named `y` (a batchnorm's adjoint through the batch's statistics).
    fn training_text(&self, cx: &dyn PrintCx, n: NodeId, y: &str) -> Option<String> {
        let _ = (cx, n, y);
        None
    }
}

/// A build failure that names the bug, rather than code computing a wrong value.
pub fn internal(what: &str) -> TokenStream {
    let msg = format!("internal error in `net!` (a bug in shapegrad): {what}");
    quote!(::core::compile_error!(#msg))
}

/// The families, each listing its ops.
const FAMILIES: &[&[&dyn OpDef]] = &[
    leaf::OPS,
    arith::OPS,
    neg::OPS,
    div::OPS,
    broadcast::OPS,
    matmul::OPS,
    unary::OPS,
    parametric::OPS,
    minmax::OPS,
    reduce::OPS,
    linalg::OPS,
    softmax::OPS,
    loss::OPS,
    conv::OPS,
    pool::OPS,
    reshape::OPS,
    index::OPS,
    slice::OPS,
    norm::OPS,
    batchnorm::OPS,
    steps::OPS,
    members::OPS,
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

    /// The lists of functions kept outside the registry name every function
    /// it has, composites included: the `net!` table of the crate's docs,
    /// the fuzz grammar, the README's list, and the random nets' generator
    /// (which makes it or says why not). A new function that misses one
    /// fails here.
    #[test]
    fn every_function_is_in_every_list() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let docs = std::fs::read_to_string(format!("{root}/src/lib.rs")).unwrap();
        let fuzz = std::fs::read_to_string(format!("{root}/fuzz/fuzz_targets/net_grammar.rs")).unwrap();
        let mut names = function_names();
        names.extend(composite_names());
        let missing_docs: Vec<_> = names.iter().filter(|n| !docs.contains(&format!("`{n}("))).collect();
        assert!(missing_docs.is_empty(), "not in the net! table of src/lib.rs: {missing_docs:?}");
        let missing_fuzz: Vec<_> = names.iter().filter(|n| !fuzz.contains(&format!("\"{n}\""))).collect();
        assert!(missing_fuzz.is_empty(), "not in fuzz/fuzz_targets/net_grammar.rs: {missing_fuzz:?}");
        // The README's list of functions, from `Functions:` to the functions of your own.
        let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
        let start = readme.find("Functions: ").expect("the README lists the functions");
        let end = start + readme[start..].find("functions of your own").expect("… up to the user's");
        let words: Vec<&str> =
            readme[start..end].split(|c: char| !(c.is_alphanumeric() || c == '_')).collect();
        let missing_readme: Vec<_> = names.iter().filter(|n| !words.contains(n)).collect();
        assert!(missing_readme.is_empty(), "not in the README's list of functions: {missing_readme:?}");
        // The generator of random nets makes each function or says why not.
        let generated = std::fs::read_to_string(format!("{root}/tests/generated_nets.rs")).unwrap();
        let called = |text: &str, n: &str| {
            text.match_indices(&format!("{n}("))
                .any(|(i, _)| !text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
                || text.contains(&format!("\"{n}\""))
        };
        let missing_gen: Vec<_> = names.iter().filter(|n| !called(&generated, n)).collect();
        assert!(
            missing_gen.is_empty(),
            "neither generated nor in NOT_GENERATED of tests/generated_nets.rs: {missing_gen:?}"
        );
    }

    /// The kernels' modules in `core/src/kernels/ops/` are named as the
    /// families here: a family's rules and its kernels are found under one
    /// name (`slice.rs` in both). Families without a kernel of their own
    /// (`leaf`, `reshape`, `composite`, the loop's `steps` and a stack's
    /// `members`, whose run-time support is `core/src/runtime/steps.rs`) and the helpers
    /// (`context`, `pairwise`, `window`) have no counterpart.
    #[test]
    fn the_kernels_are_named_as_the_families() {
        let dir = |d: &str| -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().path())
                .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
                .filter(|n| n != "mod")
                .collect();
            names.sort();
            names
        };
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let kernels = dir(&format!("{root}/core/src/kernels/ops"));
        let families = dir(&format!("{root}/dsl/src/net/ops"));
        let unmatched: Vec<_> = kernels.iter().filter(|k| !families.contains(k)).collect();
        assert!(unmatched.is_empty(), "kernel modules with no family of that name: {unmatched:?}");
        let no_kernel = ["composite", "context", "leaf", "members", "pairwise", "reshape", "steps", "window"];
        let missing: Vec<_> =
            families.iter().filter(|f| !kernels.contains(f) && !no_kernel.contains(&f.as_str())).collect();
        assert!(missing.is_empty(), "families with no kernel module of that name: {missing:?}");
    }

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
