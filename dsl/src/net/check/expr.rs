//! Expressions: names, numbers, and each use of an op, checked by the op's
//! own shape rule in the registry.

use syn::Ident;

use super::Builder;
use crate::net::model::{Attr, DimKind, NodeId, ONE, Op, Shape};
use crate::net::ops::{self, Call, OpDef};
use crate::net::parse::{Expr, ExprKind, expr_error};
use crate::net::source::source_text;

impl Builder<'_> {
    /// A value in an expression. `None` when it had an error (already reported).
    pub(super) fn expr(&mut self, e: &Expr) -> Option<NodeId> {
        match &e.kind {
            ExprKind::Var(name) => self.var(name),
            ExprKind::Num(x) => Some(self.g.constant(*x)),
            // A negative literal is a number (`leaky_relu(x, -0.1)`), not `neg` of one.
            ExprKind::Neg(a) => match a.kind {
                ExprKind::Num(x) => Some(self.g.constant(-x)),
                _ => self.apply("neg", e, &[a]),
            },
            ExprKind::Transpose(a) => self.apply("transpose", e, &[a]),
            ExprKind::Slice(base, lo, hi) => {
                // The bounds as dim sizes (`count` nodes), read by the slice's rule.
                let b = self.value(base);
                let (lo_l, hi_l) = (self.dim_expr(lo), self.dim_expr(hi));
                let (b, lo_l, hi_l) = (b?, lo_l?, hi_l?);
                let mut bound = |l: &crate::net::sizes::Lin| {
                    let d = self.g.linear(l);
                    self.g.intern(Op::with("count", &[], Attr::Dims(d, ONE)), Shape::Scalar)
                };
                let nodes = vec![b, bound(&lo_l), bound(&hi_l)];
                self.rule(ops::def("slice"), e, &[base, lo, hi], nodes, Vec::new())
            }
            // Inside a `for`: step `t` of a value or sequence (`z[t]`, `ys[t]`).
            ExprKind::Index(base, index) if self.mentions_step_var(index) => self.step_of(e, base, index),
            // A fixed step (`x[0]`, `x[T - 1]`): a dim expression, as a size.
            ExprKind::Index(base, index) if self.is_dim_expr(index) => {
                let b = self.value(base);
                let (b, k) = (b?, self.dim_expr(index)?);
                let d = self.g.linear(&k);
                let k = self.g.intern(Op::with("count", &[], Attr::Dims(d, ONE)), Shape::Scalar);
                self.rule(ops::def("pick"), e, &[base, index], vec![b, k], Vec::new())
            }
            ExprKind::Index(base, index) => {
                // The index is no value (`value` refuses one): checked as an expression.
                let nodes = [self.value(base), self.expr(index)];
                let [Some(b), Some(i)] = nodes else { return None };
                self.rule(ops::def("gather"), e, &[base, index], vec![b, i], Vec::new())
            }
            ExprKind::Binary { op, lhs, rhs } => match ops::operator(op.symbol()) {
                Some(def) => self.apply(def.code(), e, &[lhs, rhs]),
                None => {
                    let msg = format!(
                        "`{}` is not an operator of `net!`; the operators are `@ * + -`",
                        op.symbol()
                    );
                    self.errors.push(expr_error(e, msg));
                    None
                }
            },
            ExprKind::Call { func, args, named } => self.call(e, func, args, named),
        }
    }

    /// The arguments checked as values, then the shape rule of op `code`.
    fn apply(&mut self, code: &str, e: &Expr, args: &[&Expr]) -> Option<NodeId> {
        let nodes: Vec<Option<NodeId>> = args.iter().map(|a| self.value(a)).collect();
        let nodes = nodes.into_iter().collect::<Option<Vec<_>>>()?;
        self.rule(ops::def(code), e, args, nodes, Vec::new())
    }

    /// `def`'s shape rule; when it fails, the shape the use most likely
    /// meant, so that what follows is still checked (every error at once).
    fn rule<'e>(
        &mut self,
        def: &dyn OpDef,
        e: &'e Expr,
        args: &[&'e Expr],
        nodes: Vec<NodeId>,
        named: Vec<(String, &'e Expr)>,
    ) -> Option<NodeId> {
        let call = Call {
            expr: written(e),
            args: args.iter().map(|a| written(a)).collect(),
            nodes,
            named: named.into_iter().map(|(k, a)| (k, written(a))).collect(),
            name: self.current.clone(),
        };
        let mut cx = ops::Check {
            g: &mut self.g,
            errors: self.errors,
            named: Default::default(),
            sizes: &mut self.size_checks,
            inferred: &mut self.inferred,
            states: &mut self.states,
        };
        let node = def.check(&mut cx, &call);
        node.or_else(|| {
            let shape = def.guess(&self.g, &call.nodes)?;
            self.guesses += 1;
            Some(self.g.intern(Op::with("guess", &call.nodes, Attr::Index(self.guesses)), shape))
        })
    }

    /// A call of a DSL function: its name, its arity and its label argument
    /// are checked here, then its own shape rule.
    fn call(&mut self, e: &Expr, func: &Ident, args: &[Expr], named: &[(Ident, Expr)]) -> Option<NodeId> {
        let name = func.to_string();
        if named.is_empty()
            && let Some(node) = self.expand_layer(e, func, args)
        {
            return node;
        }
        if named.is_empty()
            && let Some(node) = self.expand_call(e, func, args)
        {
            return node;
        }
        let Some((def, sig)) = ops::function(&name).and_then(|d| Some((d, d.signature()?))) else {
            let mut names = ops::function_names();
            names.extend(ops::composite_names());
            let own: Vec<&str> = self.functions.keys().map(String::as_str).collect();
            names.extend(own);
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
        // Rule: a named argument is one the function takes, given once.
        let allowed = def.named_args();
        for (i, (key, value)) in named.iter().enumerate() {
            let k = key.to_string();
            let msg = if !allowed.contains(&k.as_str()) {
                Some(match allowed {
                    [] => format!("`{name}` takes no named argument, found `{k}`"),
                    _ => format!(
                        "`{name}` has no argument `{k}`; its named arguments are `{}`",
                        allowed.join("`, `")
                    ),
                })
            } else if named[..i].iter().any(|(other, _)| *other == *key) {
                Some(format!("`{k}` is given twice"))
            } else {
                None
            };
            if let Some(msg) = msg {
                self.errors.push(crate::net::error::spanned(key.span(), value.last, msg));
                return None;
            }
        }
        let values = if sig.label_last { &args[..args.len() - 1] } else { args };
        let mut nodes: Vec<Option<NodeId>> = values.iter().map(|a| self.value(a)).collect();
        if let (true, Some(label)) = (sig.label_last, args.last()) {
            // Rule: the last argument of a label function is a label.
            let y = self.expr(label);
            if let Some(y) = y.filter(|&y| !matches!(self.g.shape(y), Shape::Label(_) | Shape::Labels(..))) {
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
        let named = named.iter().map(|(k, v)| (k.to_string(), v)).collect();
        self.rule(def, e, &refs, nodes, named)
    }

    /// Like `expr`, but a label is not a value.
    pub(super) fn value(&mut self, e: &Expr) -> Option<NodeId> {
        let n = self.expr(e)?;
        if let Shape::Label(d) = self.g.shape(n) {
            // Rule: a label is a class index, usable only where a function
            // takes one; an index input, only to pick a row.
            let msg = if self.g.op(n).is("input") {
                format!(
                    "`{}` is an index (in 0..{}), not a value; use it to pick a row, `E[{0}]`, or as `onehot({0})`",
                    source_text(e),
                    self.dim_text(d)
                )
            } else {
                format!(
                    "`{}` is a label (a class index in 0..{}), not a value; use it as `onehot({0})` or in a loss",
                    source_text(e),
                    self.dim_text(d)
                )
            };
            self.errors.push(expr_error(e, msg));
            return None;
        }
        Some(n)
    }

    /// Whether `e` is written as a dim expression (numbers, the net's dims
    /// not shadowed by a value, their sums and multiples), not a value.
    fn is_dim_expr(&self, e: &Expr) -> bool {
        use crate::net::parse::BinOp;
        match &e.kind {
            ExprKind::Num(x) => x.fract() == 0.0,
            ExprKind::Var(name) => {
                let key = name.to_string();
                !self.scope.contains_key(&key)
                    && self.g.dims.iter().any(|d| d.text == key && d.kind == DimKind::Named)
            }
            ExprKind::Binary { op: BinOp::Add | BinOp::Sub | BinOp::Mul, lhs, rhs } => {
                self.is_dim_expr(lhs) && self.is_dim_expr(rhs)
            }
            _ => false,
        }
    }

    /// A dim expression (a slice's bound: `H`, `2 * H`, `H + 1`, `0`) as its
    /// linear form; `None` with the error reported.
    fn dim_expr(&mut self, e: &Expr) -> Option<crate::net::sizes::Lin> {
        use crate::net::parse::BinOp;
        use crate::net::sizes::Lin;
        match &e.kind {
            ExprKind::Num(x) if x.fract() == 0.0 && *x >= 0.0 => return Some(Lin::number(*x as i64)),
            ExprKind::Var(name) => {
                let key = name.to_string();
                if let Some(d) = self.g.dims.iter().position(|d| d.text == key && d.kind == DimKind::Named) {
                    return Some(self.g.lin(d));
                }
            }
            ExprKind::Binary { op: op @ (BinOp::Add | BinOp::Sub), lhs, rhs } => {
                let (l, r) = (self.dim_expr(lhs), self.dim_expr(rhs));
                return Some(l?.plus(&r?, if *op == BinOp::Add { 1 } else { -1 }));
            }
            ExprKind::Binary { op: BinOp::Mul, lhs, rhs } => {
                let k = |x: &Expr| match x.kind {
                    ExprKind::Num(v) if v.fract() == 0.0 => Some(v as i64),
                    _ => None,
                };
                let (k, d) = match (k(lhs), k(rhs)) {
                    (Some(k), _) => (k, rhs),
                    (_, Some(k)) => (k, lhs),
                    _ => (0, lhs),
                };
                if k != 0 {
                    return Some(Lin::number(0).plus(&self.dim_expr(d)?, k));
                }
            }
            _ => {}
        }
        let msg = format!(
            "`{}` is no dim expression: a slice's bounds are the net's dims, whole numbers, and their sums and multiples (`a[H..2 * H]`)",
            source_text(e)
        );
        self.errors.push(expr_error(e, msg));
        None
    }

    pub(super) fn var(&mut self, name: &Ident) -> Option<NodeId> {
        let key = name.to_string();
        if let Some(entry) = self.scope.get(&key) {
            return entry.node;
        }
        if self.failed_names.contains(&key) {
            return None;
        }
        if let Some(layer) = self.is_instance(&key) {
            let msg = format!(
                "`{name}` is an instance of layer `{layer}`, no value; call it on its input, `{name}(x)`"
            );
            self.errors.at(name.span(), msg);
            return None;
        }
        if let Some(s) = self.step.as_ref().filter(|s| s.defines(&key)) {
            let msg =
                format!("`{name}` is a sequence this loop defines; its step here is `{name}[{}]`", s.var());
            self.errors.at(name.span(), msg);
            return None;
        }
        // A dim of the net's declarations, as a number: its size (`sum(x) / D`).
        if let Some(d) = self.g.dims.iter().position(|d| d.text == key && d.kind == DimKind::Named) {
            return Some(self.g.intern(Op::with("count", &[], Attr::Dims(d, ONE)), Shape::Scalar));
        }
        // Rule: every name is declared, and a `let` before its use.
        let msg = if self.all_lets.contains(&key) {
            format!("`{name}` is used before its `let`")
        } else if let Some(dim) = self.loop_vars.get(&key) {
            format!(
                "`{name}` is the variable of `for {name} in {dim}`, which exists inside its loop only: after it, a sequence `h` is all its steps, `h[{dim} - 1]` its last, `h[0]` its first"
            )
        } else {
            match closest(&key, self.scope.keys().map(String::as_str)) {
                Some(near) => format!("unknown name `{name}`; did you mean `{near}`?"),
                None => format!("unknown name `{name}`"),
            }
        };
        self.errors.at(name.span(), msg);
        None
    }
}

/// The candidate nearest to `name` by edit distance, if it is near enough.
pub(super) fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let first = name.chars().next();
    candidates
        .map(|c| (edit_distance(name, c), c.chars().next() != first, c))
        .filter(|&(d, _, c)| d <= 2.max(name.len() / 3) && d < c.len().max(name.len()))
        .min()
        .map(|(_, _, c)| c)
}

pub(super) fn edit_distance(a: &str, b: &str) -> usize {
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

/// What an op's rule sees of expression `e` (`ops::Written`).
fn written(e: &Expr) -> ops::Written {
    use crate::net::source::{as_factor, transposed};
    let number = match &e.kind {
        ExprKind::Num(x) => Some(*x),
        ExprKind::Neg(a) => match a.kind {
            ExprKind::Num(x) => Some(-x),
            _ => None,
        },
        _ => None,
    };
    ops::Written {
        first: e.first,
        last: e.last,
        text: source_text(e),
        transposed: transposed(e),
        factor: [as_factor(e, false), as_factor(e, true)],
        number,
    }
}
