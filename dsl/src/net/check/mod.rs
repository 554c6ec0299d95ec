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
mod recur;
mod shape;
mod statements;

use super::error::Errors;
use super::model::{Attr, DimId, DimKind, Graph, NodeId, Op, Shape, StateDecl};
pub use super::model::{SizeBound, SizeCheck};
use super::parse::{NetAst, Stmt};
use super::source::source_text;

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
}

impl Decl {
    /// The field as the generated code reaches it: `W`, or `l1.W` in an instance.
    pub fn field(&self) -> proc_macro2::TokenStream {
        let name = &self.name;
        match self.layer.as_ref().map(|l| &l.instance) {
            Some(l) => quote::quote!(#l.#name),
            None => quote::quote!(#name),
        }
    }

    /// The name as the user and files see it: `W`, `l1.W` (a safetensors
    /// name, as PyTorch's `state_dict` nests them).
    pub fn key(&self) -> String {
        match self.layer.as_ref().map(|l| &l.instance) {
            Some(l) => format!("{l}.{}", self.name),
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
    let mut m = Model {
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
    };
    for stmt in &ast.stmts {
        if let Stmt::Layer(l) = stmt {
            b.define_layer(l);
        }
    }
    // Rule: params, inputs and labels may be used anywhere, so they are read first.
    for stmt in &ast.stmts {
        match stmt {
            Stmt::Instance { attrs, name, layer, dims } => {
                b.instantiate(&mut m.params, attrs, name, layer, dims)
            }
            Stmt::Param { attrs, name, shape, init } => {
                let index = m.params.len();
                let mut decl = b.declare(
                    name,
                    attrs,
                    Some(shape),
                    None,
                    Kind::Param(index),
                    Op::with("param", &[], Attr::Index(index)),
                );
                decl.init = *init;
                m.params.push(decl);
            }
            Stmt::Input { attrs, name, shape, target } => {
                // Rule: a target is one value per output feature, a vector.
                if *target && shape.dims.len() != 1 {
                    b.errors.at(
                        name.span(),
                        format!(
                            "target `{name}` has {} dims; a target is a vector of real values, e.g. `target {name}: [O];`",
                            shape.dims.len()
                        ),
                    );
                }
                let index = m.args.len();
                let decl = b.declare(
                    name,
                    attrs,
                    Some(shape),
                    None,
                    Kind::Input,
                    Op::with("input", &[], Attr::Index(index)),
                );
                m.args.push((if *target { ArgKind::Target } else { ArgKind::Input }, decl));
            }
            // A sequence of indices (an input) or of labels: `Classes<V, T>`.
            Stmt::Indices { attrs, name, len, dim, label } => {
                let index = m.args.len();
                let (kind, arg, code) = if *label {
                    (Kind::Label, ArgKind::Label, "label")
                } else {
                    (Kind::Input, ArgKind::Index, "input")
                };
                let decl = b.declare(
                    name,
                    attrs,
                    Some(len),
                    Some(dim),
                    kind,
                    Op::with(code, &[], Attr::Index(index)),
                );
                m.args.push((arg, decl));
            }
            // An index input and a label: a class index in `0..dim`, the
            // first an input (`forward` takes it), the second an answer.
            Stmt::Index { attrs, name, dim } | Stmt::Label { attrs, name, dim } => {
                let index = m.args.len();
                let (kind, arg, code) = match stmt {
                    Stmt::Index { .. } => (Kind::Input, ArgKind::Index, "input"),
                    _ => (Kind::Label, ArgKind::Label, "label"),
                };
                let decl =
                    b.declare(name, attrs, None, Some(dim), kind, Op::with(code, &[], Attr::Index(index)));
                m.args.push((arg, decl));
            }
            Stmt::Let { name, .. } => {
                b.all_lets.insert(name.to_string());
            }
            Stmt::Fn { name, params, body } => b.define(name, params, body),
            Stmt::For { body, var, dim } => {
                for s in body {
                    if let Stmt::StepLet { name, .. } = s {
                        b.all_lets.insert(name.to_string());
                    }
                }
                b.loop_vars.insert(var.to_string(), dim.text());
            }
            _ => {}
        }
    }
    // Rule: a net has something to train.
    let param_failed = ast.failed.iter().any(|(kw, _)| kw == "param");
    if m.params.is_empty() && !param_failed {
        b.errors.at(
            m.name.span(),
            format!("net `{}` has no `param`; declare what is trained, e.g. `param W: [H, D];`", m.name),
        );
    }
    let mut loss_keyword: Option<Span> = None;
    for stmt in &ast.stmts {
        match stmt {
            Stmt::Let { name, expr } => {
                b.all_lets.remove(&name.to_string());
                b.current = name.to_string();
                let node = b.expr(expr);
                if b.unique(name) {
                    b.scope.insert(name.to_string(), Entry { node, kind: Kind::Let });
                }
                if let Some(n) = node {
                    m.names.entry(n).or_insert_with(|| name.to_string());
                }
            }
            Stmt::For { var, dim, body } => {
                for s in body {
                    if let Stmt::StepLet { name, .. } = s {
                        b.all_lets.remove(&name.to_string());
                    }
                }
                b.map(var, dim, body, &mut m);
            }
            Stmt::Init { name, .. } => {
                b.errors.at(
                    name.span(),
                    format!("`init {name} = …;` gives a state of a loop its value before step 0: it goes inside `for t in T {{ … }}`, beside `let {name}[t] = …;`"),
                );
            }
            Stmt::StepLet { name, step, .. } => {
                b.errors.at(
                    name.span(),
                    format!("`let {name}[{step}] = …;` defines a step of a sequence, inside `for {step} in T {{ … }}`"),
                );
            }
            Stmt::Output { name } => {
                let node = b.output(name);
                m.outputs.push((name.clone(), node));
            }
            Stmt::Loss { keyword, expr } => {
                // Rule: a net has exactly one loss.
                if loss_keyword.is_some() {
                    b.errors.at(*keyword, "a net has one `loss`, and this is a second one");
                    continue;
                }
                loss_keyword = Some(*keyword);
                b.current = "loss".into();
                m.loss = b.loss(expr);
                m.loss_text = source_text(expr);
            }
            Stmt::GradInput { name } => {
                // Rule: `grad x;` names an input of real values, once.
                let found = m.args.iter().position(|(_, a)| a.name == *name);
                match found.map(|i| (i, m.args[i].0)) {
                    Some((i, ArgKind::Input)) if !m.input_grads.contains(&i) => m.input_grads.push(i),
                    Some((_, ArgKind::Input)) => b.errors.at(name.span(), format!("`grad {name};` is given twice")),
                    Some((_, kind)) => {
                        let what = match kind {
                            ArgKind::Label => "a label",
                            ArgKind::Index => "an index",
                            _ => "a target",
                        };
                        b.errors.at(
                            name.span(),
                            format!("`grad {name};` asks for the gradient of an input of real values, but `{name}` is {what}, which has none"),
                        )
                    }
                    None if m.params.iter().any(|p| p.name == *name) => b.errors.at(
                        name.span(),
                        format!("`{name}` is a param, whose gradient `grad` always returns; `grad {name};` is for inputs (a hand-written gradient is `grad {name} = …;`)"),
                    ),
                    None => b.errors.at(name.span(), format!("`grad {name};` names no input of this net")),
                }
            }
            Stmt::Grad { name, expr } => {
                // A `grad` line is no `let`: nothing in it may name state.
                b.current = String::new();
                if let Some(g) = b.hand_grad(name, expr, &m) {
                    m.hand_grads.push(g);
                }
            }
            Stmt::Fn { .. }
            | Stmt::Layer(_)
            | Stmt::Instance { .. }
            | Stmt::Param { .. }
            | Stmt::Input { .. }
            | Stmt::Index { .. }
            | Stmt::Indices { .. }
            | Stmt::Label { .. } => {}
        }
    }
    // Rule: the loss is required (unless its statement did not parse).
    if loss_keyword.is_none() && !ast.failed.iter().any(|(kw, _)| kw == "loss") {
        b.errors.at(
            m.name.span(),
            format!(
                "net `{}` has no `loss` statement; add one, e.g. `loss softmax_cross_entropy(z, y);`",
                m.name
            ),
        );
    }
    for decl in m.params.iter().chain(m.args.iter().map(|(_, a)| a)) {
        if let Some(n) = decl.node {
            m.names.entry(n).or_insert_with(|| decl.key());
        }
    }
    for (n, name) in b.named.drain(..) {
        m.names.entry(n).or_insert(name);
    }
    if let Some(loss) = m.loss {
        b.check_uses(&m, loss);
    }
    // A declaration every use of which failed one way is the likelier slip.
    let decls: Vec<&Decl> = m.params.iter().chain(m.args.iter().map(|(_, a)| a)).collect();
    // (A failed expression's guessed shape is no use that checked.)
    let used: HashSet<NodeId> =
        b.g.nodes.iter().filter(|n| !n.op.is("guess")).flat_map(|n| n.op.operands().to_vec()).collect();
    b.errors.redirect_slips(first_error, |n| {
        (!used.contains(&n))
            .then(|| decls.iter().find(|d| d.node == Some(n)).map(|d| d.name.span()))
            .flatten()
    });
    // A dim named in one declaration only may be no dim in scope at all.
    let lone = dims::lone_dims(ast);
    b.errors.mark_lone_dims(first_error, |t| lone.iter().any(|l| l == t));
    // Rule: derived sizes need the dims' types, not a generic net's parameters.
    let derived =
        b.g.dims.iter().any(|d| !matches!(d.kind, DimKind::Named | DimKind::Number(_) | DimKind::Infer));
    if derived && !ast.generics.is_empty() {
        b.errors.at(
            m.name.span(),
            format!("net `{}` is generic over its dims, and convolution, pooling and flatten derive sizes from dims that must be concrete; declare them with `dims!` instead of as parameters", m.name),
        );
    }
    m.graph = b.g;
    m.size_checks = b.size_checks;
    m.states = b.states;
    dims::rename_args_named_like_dims(&mut m);
    (m, b.inferred, b.placeholders)
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
