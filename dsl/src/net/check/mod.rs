//! Stage 3: from the syntax tree to the checked graph.
//!
//! Every statement is checked in order and every error is collected; a value
//! whose expression had an error is left out of the graph, and expressions
//! that use it are not checked again, so one slip gives one message. Each rule
//! below says what it checks in a comment; each message names the values and
//! their shapes in the user's dims.

use std::collections::{HashMap, HashSet};

use proc_macro2::Span;
use syn::{Attribute, Ident, Visibility};

mod dims;
mod expr;
mod functions;
mod layers;
mod map;
mod passes;
mod recur;
mod shape;
mod stack_loop;
mod statements;

use super::error::Errors;
use super::model::{DimId, Graph, NodeId, Shape, StateDecl};
pub use super::model::{SizeBound, SizeCheck};
use super::parse::NetAst;

/// A declared param, input or label.
pub struct Decl {
    pub name: Ident,
    pub attrs: Vec<Attribute>,
    /// `None` when the declaration had an error.
    pub shape: Option<Shape>,
    pub node: Option<NodeId>,
    /// A param's declared initial value (`param g: [D] = 1.0;`).
    pub init: Option<f64>,
    /// The layer instance a param belongs to (`l1` of `param l1: Dense<D, H>;`).
    pub layer: Option<LayerRef>,
}

/// A layer instance, as its params know it.
#[derive(Clone)]
pub struct LayerRef {
    pub instance: Ident,
    /// The instance's dims as written, letters and digits only (`PixelsH`
    /// of `Dense<Pixels, H>`): instances of one layer with the same dims
    /// share a struct.
    pub dims: String,
    pub layer: std::rc::Rc<crate::net::parse::LayerAst>,
    /// In a stack (`param blocks: [Block; 4];`): the member, and how many there are.
    pub at: Option<usize>,
    pub count: Option<usize>,
}

impl Decl {
    /// The field as the generated code reaches it: `W`, or `l1.W` in an instance.
    pub fn field(&self) -> proc_macro2::TokenStream {
        let name = &self.name;
        match &self.layer {
            Some(LayerRef { instance, at: Some(i), .. }) => quote::quote!(#instance[#i].#name),
            Some(l) => {
                let l = &l.instance;
                quote::quote!(#l.#name)
            }
            None => quote::quote!(#name),
        }
    }

    /// The name as the user and files see it: `W`, `l1.W` (a safetensors
    /// name, as PyTorch's `state_dict` nests them).
    pub fn key(&self) -> String {
        match &self.layer {
            Some(LayerRef { instance, at: Some(i), .. }) => format!("{instance}.{i}.{}", self.name),
            Some(l) => format!("{}.{}", l.instance, self.name),
            None => self.name.to_string(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    Input,
    /// An index input (`input w: V;`): a `Class<V>` that `forward` takes,
    /// used to pick rows (`E[w]`).
    Index,
    /// A real-valued target: passed like an input, but not to `forward`.
    Target,
    Label,
}

impl ArgKind {
    /// Whether the argument is a matrix (an input or a target), not a label
    /// or an index.
    pub fn is_values(self) -> bool {
        matches!(self, ArgKind::Input | ArgKind::Target)
    }

    /// Whether `forward` takes it: an input or an index input.
    pub fn is_input(self) -> bool {
        matches!(self, ArgKind::Input | ArgKind::Index)
    }
}

/// The checked net: the graph and what each statement declared.
pub struct Model {
    pub graph: Graph,
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub generics: Vec<Ident>,
    pub params: Vec<Decl>,
    /// Inputs, targets and labels, in declaration order: the arguments of
    /// `loss` and `grad`.
    pub args: Vec<(ArgKind, Decl)>,
    /// The first name of every named node.
    pub names: HashMap<NodeId, String>,
    pub outputs: Vec<(Ident, Option<NodeId>)>,
    pub loss: Option<NodeId>,
    /// The loss as written, for the derivation's header.
    pub loss_text: String,
    /// Hand-written gradients: (param index, node).
    pub hand_grads: Vec<(usize, NodeId)>,
    /// The inputs whose gradients the net asks for (`grad x;`), by their
    /// index in `args`.
    pub input_grads: Vec<usize>,
    /// Checks of derived sizes that only the compiler can make.
    pub size_checks: Vec<SizeCheck>,
    /// State that is not a param, by index (batchnorm's running statistics).
    pub states: Vec<StateDecl>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Param(usize),
    Input,
    Label,
    Let,
}

#[derive(Clone)]
struct Entry {
    node: Option<NodeId>,
    kind: Kind,
}

struct Builder<'e> {
    g: Graph,
    errors: &'e mut Errors,
    scope: HashMap<String, Entry>,
    /// Names bound by a `let` anywhere in the net, to explain a use before it.
    all_lets: HashSet<String>,
    /// Names whose statement did not parse: already reported.
    failed_names: HashSet<String>,
    /// How many placeholders for failed uses were made (each one distinct).
    guesses: usize,
    /// The `let` being checked (`loss` for the loss), for messages.
    current: String,
    size_checks: Vec<SizeCheck>,
    states: Vec<StateDecl>,
    /// What each `_` of a param's shape was found to be, by its dim.
    inferred: HashMap<DimId, DimId>,
    /// Each `_` of a param's shape: its dim, the param, and where it is.
    placeholders: Vec<(DimId, String, Span)>,
    /// What each `_` is, by its position, from a first pass.
    known_infer: &'e HashMap<String, DimId>,
    /// Inside the body of a `for`: its loop and steps.
    step: Option<map::StepCx>,
    /// The net's functions (`fn NAME(x) = …;`), and the calls being expanded.
    functions: HashMap<String, std::rc::Rc<functions::Function>>,
    calling: Vec<String>,
    /// The variable of each `for` of the net and its dim (`t`, `T`), to
    /// explain a use outside its loop.
    loop_vars: HashMap<String, String>,
    /// The layers the net may instantiate, its instances, and the names of
    /// the values of their bodies (`l1.h`) for the derivation.
    layers: HashMap<String, std::rc::Rc<crate::net::parse::LayerAst>>,
    instances: HashMap<String, layers::Instance>,
    named: Vec<(NodeId, String)>,
}

/// Checks a net and builds its graph. The model is returned even when there
/// were errors (with the failed parts left out) so a fallback can be emitted.
///
/// A net with `_` in a param's shape is checked twice: the first pass finds
/// what each `_` must be from the param's uses (its errors are dropped), the
/// second checks the net with those sizes, as if written out.
pub fn build(ast: &NetAst, errors: &mut Errors) -> Model {
    let mut first = Errors::default();
    let (m, inferred, placeholders) = build_with(ast, &mut first, Graph::default(), &HashMap::new());
    if placeholders.is_empty() {
        return build_with(ast, errors, Graph::default(), &HashMap::new()).0;
    }
    let mut known = Graph::default();
    for d in m.graph.dims.iter().skip(1) {
        known.dim_of(d.clone());
    }
    let by_place: HashMap<String, DimId> = placeholders
        .iter()
        .filter_map(|(d, _, span)| Some((format!("{span:?}"), *inferred.get(d)?)))
        .collect();
    let before = errors.len();
    let (m, inferred, placeholders) = build_with(ast, errors, known, &by_place);
    // A `_` left unknown after another error most likely had its use in the
    // failed expression: that error alone is reported.
    if errors.len() > before {
        return m;
    }
    for (_, param, span) in placeholders.into_iter().filter(|(d, ..)| !inferred.contains_key(d)) {
        errors.at(
            span,
            format!(
                "cannot infer this `_` of `{param}`'s shape: `_` takes its size from a use of `{param}` in a product (`{param} @ h`) or with a value of known shape"
            ),
        );
    }
    m
}

/// One pass of `build`: `g` may hold dims already, `inferred` gives what
/// each `_` (by its position) is. Returns what each `_` left unknown was
/// found to be, and every such `_`.
#[allow(clippy::type_complexity)]
fn build_with<'e>(
    ast: &NetAst,
    errors: &'e mut Errors,
    g: Graph,
    inferred: &'e HashMap<String, DimId>,
) -> (Model, HashMap<DimId, DimId>, Vec<(DimId, String, Span)>) {
    let first_error = errors.len();
    let failed_names = ast.failed.iter().filter_map(|(_, name)| name.clone()).collect();
    let mut b = Builder {
        g,
        errors,
        scope: HashMap::new(),
        all_lets: HashSet::new(),
        failed_names,
        guesses: 0,
        current: String::new(),
        size_checks: Vec::new(),
        states: Vec::new(),
        inferred: HashMap::new(),
        placeholders: Vec::new(),
        known_infer: inferred,
        step: None,
        functions: HashMap::new(),
        calling: Vec::new(),
        loop_vars: HashMap::new(),
        layers: HashMap::new(),
        instances: HashMap::new(),
        named: Vec::new(),
    };
    let mut m = empty_model(ast);
    b.declarations(ast, &mut m);
    let loss_keyword = b.statements(ast, &mut m);
    b.finish(ast, &mut m, loss_keyword, first_error);
    m.graph = b.g;
    m.size_checks = b.size_checks;
    m.states = b.states;
    dims::rename_args_named_like_dims(&mut m);
    (m, b.inferred, b.placeholders)
}

/// The model of `ast` before any statement is read.
fn empty_model(ast: &NetAst) -> Model {
    Model {
        graph: Graph::default(),
        attrs: ast.attrs.clone(),
        vis: ast.vis.clone(),
        name: ast.name.clone(),
        generics: ast.generics.clone(),
        params: Vec::new(),
        args: Vec::new(),
        names: HashMap::new(),
        outputs: Vec::new(),
        loss: None,
        loss_text: String::new(),
        hand_grads: Vec::new(),
        input_grads: Vec::new(),
        size_checks: Vec::new(),
        states: Vec::new(),
    }
}

impl Builder<'_> {
    /// Rule: a name is declared once, whatever its kind.
    fn unique(&mut self, name: &Ident) -> bool {
        if self.scope.contains_key(&name.to_string()) || self.instances.contains_key(&name.to_string()) {
            self.errors.at(name.span(), format!("`{name}` is already declared"));
            return false;
        }
        true
    }

    fn text(&self, s: Shape) -> String {
        self.g.shape_text(s)
    }

    pub(super) fn dim_text(&self, d: DimId) -> &str {
        &self.g.dims[d].text
    }
}

#[cfg(test)]
mod tests;
