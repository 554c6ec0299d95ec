//! Stage 3: from the syntax tree to the checked graph.
//!
//! Every statement is checked in order and every error is collected; a value
//! whose expression had an error is left out of the graph, and expressions
//! that use it are not checked again, so one slip gives one message. Each rule
//! below says what it checks in a comment; each message names the values and
//! their shapes in the user's dims.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::{Attribute, Ident, Visibility};

use super::error::Errors;
use super::model::{Attr, DimId, Graph, NodeId, ONE, Op, Shape};
use super::ops::{self, Call, OpDef};
use super::parse::{BinOp, DimAst, Expr, ExprKind, NetAst, ShapeAst, Stmt, expr_error};
use super::source::source_text;

/// A declared param, input or label.
pub struct Decl {
    pub name: Ident,
    pub attrs: Vec<Attribute>,
    /// `None` when the declaration had an error.
    pub shape: Option<Shape>,
    pub node: Option<NodeId>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    Input,
    Label,
}

/// The checked net: the graph and what each statement declared.
pub struct Model {
    pub graph: Graph,
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub generics: Vec<Ident>,
    pub params: Vec<Decl>,
    /// Inputs and labels, in declaration order: the arguments of `loss` and `grad`.
    pub args: Vec<(ArgKind, Decl)>,
    /// The first name of every named node.
    pub names: HashMap<NodeId, String>,
    pub outputs: Vec<(Ident, Option<NodeId>)>,
    pub loss: Option<NodeId>,
    /// The loss as written, for the derivation's header.
    pub loss_text: String,
    /// Hand-written gradients: (param index, node).
    pub hand_grads: Vec<(usize, NodeId)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Param(usize),
    Input,
    Label,
    Let,
}

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
}

/// Checks a net and builds its graph. The model is returned even when there
/// were errors (with the failed parts left out) so a fallback can be emitted.
pub fn build(ast: &NetAst, errors: &mut Errors) -> Model {
    let failed_names = ast.failed.iter().filter_map(|(_, name)| name.clone()).collect();
    let mut b = Builder {
        g: Graph::default(),
        errors,
        scope: HashMap::new(),
        all_lets: HashSet::new(),
        failed_names,
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
    };
    // Rule: params, inputs and labels may be used anywhere, so they are read first.
    for stmt in &ast.stmts {
        match stmt {
            Stmt::Param { attrs, name, shape } => {
                let index = m.params.len();
                let decl = b.declare(
                    name,
                    attrs,
                    Some(shape),
                    None,
                    Kind::Param(index),
                    Op::with("param", &[], Attr::Index(index)),
                );
                m.params.push(decl);
            }
            Stmt::Input { attrs, name, shape } => {
                let index = m.args.len();
                let decl = b.declare(
                    name,
                    attrs,
                    Some(shape),
                    None,
                    Kind::Input,
                    Op::with("input", &[], Attr::Index(index)),
                );
                m.args.push((ArgKind::Input, decl));
            }
            Stmt::Label { attrs, name, dim } => {
                let index = m.args.len();
                let decl = b.declare(
                    name,
                    attrs,
                    None,
                    Some(dim),
                    Kind::Label,
                    Op::with("label", &[], Attr::Index(index)),
                );
                m.args.push((ArgKind::Label, decl));
            }
            Stmt::Let { name, .. } => {
                b.all_lets.insert(name.to_string());
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
                let node = b.expr(expr);
                if b.unique(name) {
                    b.scope.insert(name.to_string(), Entry { node, kind: Kind::Let });
                }
                if let Some(n) = node {
                    m.names.entry(n).or_insert_with(|| name.to_string());
                }
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
                m.loss = b.loss(expr);
                m.loss_text = source_text(expr);
            }
            Stmt::Grad { name, expr } => {
                if let Some(g) = b.hand_grad(name, expr, &m) {
                    m.hand_grads.push(g);
                }
            }
            Stmt::Param { .. } | Stmt::Input { .. } | Stmt::Label { .. } => {}
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
            m.names.entry(n).or_insert_with(|| decl.name.to_string());
        }
    }
    if let Some(loss) = m.loss {
        b.check_uses(&m, loss);
    }
    m.graph = b.g;
    m
}

impl Builder<'_> {
    /// Rule: a name is declared once, whatever its kind.
    fn unique(&mut self, name: &Ident) -> bool {
        if self.scope.contains_key(&name.to_string()) {
            self.errors.at(name.span(), format!("`{name}` is already declared"));
            return false;
        }
        true
    }

    fn declare(
        &mut self,
        name: &Ident,
        attrs: &[Attribute],
        shape: Option<&ShapeAst>,
        label_dim: Option<&DimAst>,
        kind: Kind,
        op: Op,
    ) -> Decl {
        let shape = match (shape, label_dim) {
            (Some(s), _) => {
                let r = self.dim(&s.dims[0]);
                let c = s.dims.get(1).map_or(ONE, |d| self.dim(d));
                Shape::Mat(r, c)
            }
            (None, Some(d)) => Shape::Label(self.dim(d)),
            (None, None) => Shape::Scalar,
        };
        let fresh = self.unique(name);
        let node = fresh.then(|| self.g.intern(op, shape));
        if fresh {
            self.scope.insert(name.to_string(), Entry { node, kind });
        }
        Decl { name: name.clone(), attrs: attrs.to_vec(), shape: Some(shape), node }
    }

    fn dim(&mut self, d: &DimAst) -> DimId {
        let text = d.text();
        let tokens: TokenStream = match d {
            DimAst::Type(t) => t.to_token_stream(),
            DimAst::Lit(l) => match l.base10_parse::<u64>() {
                Ok(1) => return ONE,
                Ok(n) => crate::typenum::spelling(n),
                Err(_) => return ONE,
            },
        };
        self.g.dim(text, tokens)
    }

    fn text(&self, s: Shape) -> String {
        self.g.shape_text(s)
    }

    fn dim_text(&self, d: DimId) -> &str {
        &self.g.dims[d].text
    }

    /// A value in an expression. `None` when it had an error (already reported).
    fn expr(&mut self, e: &Expr) -> Option<NodeId> {
        match &e.kind {
            ExprKind::Var(name) => self.var(name),
            ExprKind::Num(x) => Some(self.g.constant(*x)),
            ExprKind::Neg(a) => self.apply("neg", e, &[a]),
            ExprKind::Transpose(a) => self.apply("transpose", e, &[a]),
            ExprKind::Binary { op, lhs, rhs } => {
                let code = match op {
                    BinOp::MatMul => "matmul",
                    BinOp::Mul => "mul",
                    BinOp::Add => "add",
                    BinOp::Sub => "sub",
                };
                self.apply(code, e, &[lhs, rhs])
            }
            ExprKind::Call { func, args } => self.call(e, func, args),
        }
    }

    /// The arguments checked as values, then the shape rule of op `code`.
    fn apply(&mut self, code: &str, e: &Expr, args: &[&Expr]) -> Option<NodeId> {
        let nodes: Vec<Option<NodeId>> = args.iter().map(|a| self.value(a)).collect();
        let nodes = nodes.into_iter().collect::<Option<Vec<_>>>()?;
        self.rule(ops::def(code), e, args, nodes)
    }

    fn rule(&mut self, def: &dyn OpDef, e: &Expr, args: &[&Expr], nodes: Vec<NodeId>) -> Option<NodeId> {
        let call = Call { expr: e, args: args.to_vec(), nodes };
        def.check(&mut ops::Check { g: &mut self.g, errors: self.errors }, &call)
    }

    /// A call of a DSL function: its name, its arity and its label argument
    /// are checked here, then its own shape rule.
    fn call(&mut self, e: &Expr, func: &Ident, args: &[Expr]) -> Option<NodeId> {
        let name = func.to_string();
        let Some((def, sig)) = ops::function(&name).and_then(|d| Some((d, d.signature()?))) else {
            let names = ops::function_names();
            let msg = match closest(&name, names.iter().copied()) {
                Some(near) => format!("unknown function `{name}`; did you mean `{near}`?"),
                None => format!("unknown function `{name}`; the functions are {}", names.join(", ")),
            };
            self.errors.at(func.span(), msg);
            return None;
        };
        // Rule: each function takes a fixed number of arguments.
        if args.len() != sig.arity {
            let plural = if sig.arity == 1 { "" } else { "s" };
            let msg = format!("`{name}` takes {} argument{plural}, found {}", sig.arity, args.len());
            self.errors.push(expr_error(e, msg));
            return None;
        }
        let values = if sig.label_last { &args[..args.len() - 1] } else { args };
        let mut nodes: Vec<Option<NodeId>> = values.iter().map(|a| self.value(a)).collect();
        if let (true, Some(label)) = (sig.label_last, args.last()) {
            // Rule: the last argument of a label function is a label.
            let y = self.expr(label);
            if let Some(y) = y.filter(|&y| !matches!(self.g.shape(y), Shape::Label(_))) {
                let msg = format!(
                    "`{name}` takes a label (declared as `label y: C;`) as its last argument, but `{}` is {}",
                    source_text(label),
                    self.text(self.g.shape(y))
                );
                self.errors.push(expr_error(label, msg));
                nodes.push(None);
            } else {
                nodes.push(y);
            }
        }
        let nodes = nodes.into_iter().collect::<Option<Vec<_>>>()?;
        let refs: Vec<&Expr> = args.iter().collect();
        self.rule(def, e, &refs, nodes)
    }

    /// Like `expr`, but a label is not a value.
    fn value(&mut self, e: &Expr) -> Option<NodeId> {
        let n = self.expr(e)?;
        if let Shape::Label(d) = self.g.shape(n) {
            // Rule: a label is a class index, usable only where a function takes one.
            self.errors.push(expr_error(
                e,
                format!(
                    "`{}` is a label (a class index in 0..{}), not a value; use it as `onehot({0})` or in a loss",
                    source_text(e),
                    self.dim_text(d)
                ),
            ));
            return None;
        }
        Some(n)
    }

    fn var(&mut self, name: &Ident) -> Option<NodeId> {
        let key = name.to_string();
        if let Some(entry) = self.scope.get(&key) {
            return entry.node;
        }
        if self.failed_names.contains(&key) {
            return None;
        }
        // Rule: every name is declared, and a `let` before its use.
        let msg = if self.all_lets.contains(&key) {
            format!("`{name}` is used before its `let`")
        } else {
            match closest(&key, self.scope.keys().map(String::as_str)) {
                Some(near) => format!("unknown name `{name}`; did you mean `{near}`?"),
                None => format!("unknown name `{name}`"),
            }
        };
        self.errors.at(name.span(), msg);
        None
    }

    fn loss(&mut self, e: &Expr) -> Option<NodeId> {
        let n = self.value(e)?;
        // Rule: the loss is a scalar (a 1×1 matrix counts as one).
        if !self.g.shape(n).is_scalar() {
            let t = source_text(e);
            let msg = format!(
                "the loss must be a scalar, but `{t}` is {}; reduce it, e.g. `sum({t})` or `mean({t})`",
                self.text(self.g.shape(n))
            );
            self.errors.push(expr_error(e, msg));
            return None;
        }
        Some(n)
    }

    fn output(&mut self, name: &Ident) -> Option<NodeId> {
        let node = self.var(name)?;
        // Rule: an output is a value.
        if let Shape::Label(_) = self.g.shape(node) {
            self.errors.at(
                name.span(),
                format!("`{name}` is a label; an output is a value computed from the inputs"),
            );
            return None;
        }
        Some(node)
    }

    fn hand_grad(&mut self, name: &Ident, e: &Expr, m: &Model) -> Option<(usize, NodeId)> {
        let key = name.to_string();
        // Rule: `grad P = …` names a param.
        let index = match self.scope.get(&key).map(|entry| entry.kind) {
            Some(Kind::Param(i)) => Some(i),
            Some(kind) => {
                let what = match kind {
                    Kind::Input => "an input",
                    Kind::Label => "a label",
                    _ => "a `let` value",
                };
                self.errors.at(
                    name.span(),
                    format!("`grad {name}`: `{name}` is {what}, not a param; `grad` lines give a param's hand-derived gradient"),
                );
                None
            }
            None => {
                let params = m.params.iter().map(|p| p.name.to_string()).collect::<Vec<_>>();
                let msg = match closest(&key, params.iter().map(String::as_str)) {
                    Some(near) => {
                        format!("`grad {name}`: there is no param `{name}`; did you mean `{near}`?")
                    }
                    None => format!("`grad {name}`: there is no param `{name}`"),
                };
                self.errors.at(name.span(), msg);
                None
            }
        };
        let node = self.value(e);
        let (index, node) = (index?, node?);
        // Rule: one `grad` line per param.
        if m.hand_grads.iter().any(|&(i, _)| i == index) {
            self.errors.at(name.span(), format!("a second `grad` line for `{name}`"));
            return None;
        }
        // Rule: a gradient has its param's shape.
        let want = m.params[index].shape?;
        let got = self.g.shape(node);
        if got != want && !(got.is_scalar() && want.is_scalar()) {
            let mut msg = format!(
                "the hand-written gradient of `{name}` is {}, but `{name}` is {}",
                self.text(got),
                self.text(want)
            );
            if let (Shape::Mat(r, c), Shape::Mat(r2, c2)) = (got, want) {
                if r == c2 && c == r2 {
                    msg += "; its transpose has the right shape";
                }
            }
            self.errors.push(expr_error(e, msg));
            return None;
        }
        Some((index, node))
    }

    /// Rules about what the loss and outputs use.
    fn check_uses(&mut self, m: &Model, loss: NodeId) {
        let g = &self.g;
        let used = g.closure(&[loss], |n| g.op(n).operands().to_vec());
        // Rule: every param affects the loss (otherwise its gradient is always 0: a slip).
        for p in &m.params {
            if let Some(n) = p.node {
                if !used[n] {
                    self.errors.at(
                        p.name.span(),
                        format!("param `{}` does not affect the loss, so its gradient would always be zero; use it or remove it", p.name),
                    );
                }
            }
        }
        // Rule: `forward` takes the inputs only, so outputs may not need a label.
        for (name, node) in &m.outputs {
            let Some(node) = *node else { continue };
            let needs = g.closure(&[node], |n| g.op(n).operands().to_vec());
            for (kind, a) in &m.args {
                if *kind == ArgKind::Label && a.node.is_some_and(|l| needs[l]) {
                    self.errors.at(
                        name.span(),
                        format!(
                            "output `{name}` depends on the label `{}`, but `forward` takes the inputs only",
                            a.name
                        ),
                    );
                }
            }
        }
    }
}

/// The candidate nearest to `name` by edit distance, if it is near enough.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let first = name.chars().next();
    candidates
        .map(|c| (edit_distance(name, c), c.chars().next() != first, c))
        .filter(|&(d, _, c)| d <= 2.max(name.len() / 3) && d < c.len().max(name.len()))
        .min()
        .map(|(_, _, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != b[j])).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::parse::parse_nets;
    use quote::quote;

    fn check(tokens: TokenStream) -> (Model, Vec<String>) {
        let mut errors = Errors::default();
        let mut nets = parse_nets(tokens, &mut errors);
        assert!(errors.is_empty(), "{:?}", errors.messages());
        let m = build(&nets.remove(0), &mut errors);
        (m, errors.messages())
    }

    fn errors_of(body: TokenStream) -> Vec<String> {
        check(quote!(net N { #body })).1
    }

    #[test]
    fn the_two_layer_net_checks() {
        let (m, errs) = check(quote! {
            net TwoLayer {
                param W1: [H, D]; param b1: [H]; param W2: [C, H]; param b2: [C];
                input x: [D]; label y: C;
                let z1 = W1 @ x + b1;
                let h1 = z1 * sigmoid(z1);
                let z2 = W2 @ h1 + b2;
                output z2;
                loss softmax_cross_entropy(z2, y);
                grad W2 = (softmax(z2) - onehot(y)) @ h1.T;
            }
        });
        assert!(errs.is_empty(), "{errs:?}");
        let h1 = m.names.iter().find(|(_, n)| *n == "h1").map(|(&id, _)| id).unwrap();
        assert!(m.graph.op(h1).is("swish"), "z1 * sigmoid(z1) is recognised as swish");
        assert_eq!(m.hand_grads.len(), 1);
        assert_eq!(m.graph.shape_text(m.graph.shape(m.outputs[0].1.unwrap())), "[C]");
    }

    #[test]
    fn product_mismatch_names_values_shapes_and_the_fix() {
        let errs = errors_of(quote!(param W2: [C, H]; input dz: [C]; loss sum(W2 @ dz);));
        assert_eq!(
            errs,
            ["cannot multiply `W2` [C×H] by `dz` [C]: inner dimensions H and C differ; `W2.T @ dz` is [H]"]
        );
        let errs = errors_of(quote!(param W: [M, N]; input x: [N]; loss sum(W @ W.T @ x);));
        assert_eq!(errs, ["cannot multiply `W @ W.T` [M×M] by `x` [N]: inner dimensions M and N differ"]);
    }

    #[test]
    fn elementwise_and_bias_mismatches() {
        let errs = errors_of(quote!(param W: [M, N]; loss sum(W + W.T);));
        assert_eq!(
            errs,
            ["cannot add `W` [M×N] and `W.T` [N×M]: M and N differ, N and M differ; `W` is [M×N]"]
        );
        let errs = errors_of(quote!(param W: [H, D]; param b: [D]; input X: [D, B]; loss sum(W @ X + b);));
        assert_eq!(errs, ["cannot add the bias `b` [D] to `W @ X` [H×B]: a bias needs H rows"]);
        let errs = errors_of(quote!(param A: [M, K]; param B: [K, N]; loss sum(A * B);));
        assert_eq!(
            errs,
            [
                "cannot multiply `A` [M×K] and `B` [K×N] elementwise: M and K differ, K and N differ; `*` is elementwise, the matrix product `A @ B` is [M×N]"
            ]
        );
    }

    #[test]
    fn statement_rules_collect_every_error() {
        let errs = errors_of(quote! {
            param W: [M, N]; param U: [M, N]; input x: [N]; label y: C;
            let z = W @ x;
            let z = W @ x;
            output q;
            loss z;
            loss sum(z);
            grad x = x;
            grad W = W.T;
            grad V = W;
        });
        assert_eq!(errs.len(), 7, "{errs:#?}");
        assert!(errs[0].contains("`z` is already declared"));
        assert!(errs[1].contains("unknown name `q`"));
        assert!(errs[2].contains("the loss must be a scalar, but `z` is [M]"));
        assert!(errs[3].contains("a second one"));
        assert!(errs[4].contains("`x` is an input, not a param"));
        assert!(errs[5].contains("is [N×M], but `W` is [M×N]; its transpose has the right shape"));
        assert_eq!(errs[6], "`grad V`: there is no param `V`");
    }

    #[test]
    fn missing_loss_unused_param_and_labels() {
        let errs = errors_of(quote!(param W: [M, N]; input x: [N]; let z = W @ x;));
        assert_eq!(
            errs,
            ["net `N` has no `loss` statement; add one, e.g. `loss softmax_cross_entropy(z, y);`"]
        );
        let errs = errors_of(
            quote!(param W: [C, N]; param U: [C, N]; input x: [N]; label y: C; output y; loss svm(W @ x, y) + sum(y);),
        );
        // The loss had an error, so what it uses is not judged: no false "unused param".
        assert_eq!(errs.len(), 2, "{errs:#?}");
        assert!(errs[0].contains("`y` is a label; an output is a value"));
        assert!(errs[1].contains("`y` is a label (a class index in 0..C), not a value"));
        let errs = errors_of(
            quote!(param W: [C, N]; param U: [C, N]; input x: [N]; label y: C; loss svm(W @ x, y);),
        );
        assert_eq!(
            errs,
            ["param `U` does not affect the loss, so its gradient would always be zero; use it or remove it"]
        );
    }

    #[test]
    fn function_rules() {
        let errs = errors_of(
            quote!(param W: [H, N]; input x: [N]; label y: C; loss softmax_cross_entropy(W @ x, y);),
        );
        assert_eq!(
            errs,
            ["`softmax_cross_entropy(W @ x, y)` needs logits [C] for a label in 0..C, but `W @ x` is [H]"]
        );
        let errs = errors_of(
            quote!(param W: [H, N]; input x: [N]; loss sigmoud(W @ x) + sum(x, x) + dot(x, W @ x);),
        );
        assert_eq!(errs.len(), 3, "{errs:#?}");
        assert!(errs[0].contains("unknown function `sigmoud`; did you mean `sigmoid`?"));
        assert!(errs[1].contains("`sum` takes 1 argument, found 2"));
        assert!(errs[2].contains("`dot` needs two vectors of one length, but `x` is [N] and `W @ x` is [H]"));
        let errs = errors_of(quote!(input x: [N]; param w: [N]; loss sum(x * w) + h; let h = sum(x);));
        assert_eq!(errs, ["`h` is used before its `let`"]);
    }

    #[test]
    fn literal_dims_and_generic_names() {
        let (m, errs) = check(quote! {
            net Autoencoder<M, N> { param W: [M, N]; input x: [N, 1]; param c: [3, 1]; loss sum(W.T @ W @ x) + sum(c); }
        });
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(m.graph.shape_text(m.params[1].shape.unwrap()), "[3]");
        assert_eq!(m.graph.shape_text(m.args[0].1.shape.unwrap()), "[N]");
    }

    #[test]
    fn failed_statements_cause_no_follow_on_errors() {
        let mut errors = Errors::default();
        let tokens =
            quote!(net N { param W: [H, D, C]; input x: [D]; let z = x / 2; loss sum(z) + sum(W @ x); });
        let mut nets = parse_nets(tokens, &mut errors);
        assert_eq!(errors.messages().len(), 2);
        build(&nets.remove(0), &mut errors);
        assert_eq!(errors.messages().len(), 2, "{:#?}", errors.messages());
        let errs = errors_of(quote!(input x: [D]; loss sum(x);));
        assert_eq!(errs, ["net `N` has no `param`; declare what is trained, e.g. `param W: [H, D];`"]);
    }

    #[test]
    fn edit_distance_suggests_near_names() {
        assert_eq!(closest("h2", ["W2", "h1"].into_iter()), Some("h1"), "same first letter wins a tie");
        assert_eq!(closest("h2", ["h1", "z1", "W1"].into_iter()), Some("h1"));
        assert_eq!(closest("frobnicate", ["h1", "z1"].into_iter()), None);
    }
}
