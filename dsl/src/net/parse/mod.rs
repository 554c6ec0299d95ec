//! Stage 1: tokens → syntax tree.
//!
//! The body of a net is split into statements at top-level `;` and each is
//! parsed on its own, so one bad statement is reported and the others are
//! still read: all the syntax errors of an invocation come out together.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, LitInt, Token, Visibility, braced};

mod expr;
mod layer;
mod shape;
mod stmt;

use super::error::{Errors, spanned};
use expr::parse_full_expr;

syn::custom_keyword!(net);

/// `attrs vis net Name<generics> { statements }`.
pub struct NetAst {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub generics: Vec<Ident>,
    pub stmts: Vec<Stmt>,
    /// Statements that did not parse, as `(keyword, name)`: their names are
    /// not reported again as unknown, nor a failed `loss` as missing.
    pub failed: Vec<(String, Option<String>)>,
}

/// A dimension as written: a type (a `dims!` name, a generic parameter, a
/// path) or an integer literal.
#[derive(Clone)]
pub enum DimAst {
    Type(Box<syn::Type>),
    Lit(LitInt),
    /// `_`: a size inferred from the param's uses.
    Infer(Span),
    /// `4 * H`, `H + D`, `2 * H + 1`: integer multiples and sums of dims
    /// (each term a coefficient and a dim, or a number alone).
    Sum(Vec<(i64, DimAst)>),
}

/// `[R, C]`, `[N]`, or up to four dims (`[C, H, W]`, `[F, C, KH, KW]`).
#[derive(Clone)]
pub struct ShapeAst {
    pub dims: Vec<DimAst>,
}

#[derive(Clone)]
pub enum Stmt {
    Param {
        attrs: Vec<Attribute>,
        name: Ident,
        shape: ShapeAst,
        /// `= 1.0`: every element's value in `init` (and `zeros` stays zero).
        init: Option<f64>,
    },
    /// `input NAME: SHAPE;`, or with `target`, `target NAME: [N];`: a
    /// real-valued target, an argument of the loss but not of `forward`.
    Input {
        attrs: Vec<Attribute>,
        name: Ident,
        shape: ShapeAst,
        target: bool,
    },
    Label {
        attrs: Vec<Attribute>,
        name: Ident,
        dim: DimAst,
    },
    /// `input w: V;`: an index in `0..V`, an input.
    Index {
        attrs: Vec<Attribute>,
        name: Ident,
        dim: DimAst,
    },
    /// `input ws: [T] of V;` (a sequence of indices, an input) or
    /// `label ys: [T] of V;` (a class per step).
    Indices {
        attrs: Vec<Attribute>,
        name: Ident,
        len: ShapeAst,
        dim: DimAst,
        label: bool,
    },
    Let {
        name: Ident,
        expr: Expr,
    },
    Output {
        name: Ident,
    },
    Loss {
        keyword: Span,
        expr: Expr,
    },
    Grad {
        name: Ident,
        expr: Expr,
    },
    /// `grad x;`: the net asks for the gradient of input `x`.
    GradInput {
        name: Ident,
    },
    /// `for t in T { … }`: a map over the steps of `T`; its body holds
    /// `let NAME[t] = …;` (a step of a sequence) and plain `let`s (a
    /// temporary of one step).
    For {
        var: Ident,
        dim: DimAst,
        body: Vec<Stmt>,
    },
    /// `init NAME = EXPR;` inside a `for`: what `NAME[t - k]` reads
    /// before step 0; `NAME` is then a state of a run-time loop.
    Init {
        name: Ident,
        expr: Expr,
    },
    /// `let NAME[t] = EXPR;` inside a `for`: step `t` of `NAME`.
    StepLet {
        name: Ident,
        step: Ident,
        expr: Expr,
    },
    /// `fn NAME(a, b) = EXPR;`: a function of values, applied where it is
    /// called (in a net's body, or beside the nets of an invocation: then
    /// every net of it has it).
    Fn {
        name: Ident,
        params: Vec<Ident>,
        body: Expr,
    },
    /// `layer Dense<I, O>(x) { param W: [O, I]; param b: [O]; W @ x + b }`:
    /// a piece of net with params of its own, defined once (in a net, or
    /// beside the nets of an invocation), its body `param`s and `let`s
    /// ending with its value.
    Layer(std::rc::Rc<LayerAst>),
    /// `param l1: Dense<D, H>;`: an instance of a layer, with params of its
    /// own (`l1.W`, `l1.b`), called as `l1(x)`; `param blocks: [Block; 4];`
    /// a stack of `count` instances (`blocks.0.W` …), applied in turn.
    Instance {
        attrs: Vec<Attribute>,
        name: Ident,
        layer: Ident,
        dims: Vec<DimAst>,
        count: Option<usize>,
    },
}

/// A layer's definition: its dims (type parameters), arguments, body and value.
pub struct LayerAst {
    pub attrs: Vec<Attribute>,
    pub name: Ident,
    pub generics: Vec<Ident>,
    pub args: Vec<Ident>,
    pub body: Vec<Stmt>,
    pub value: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    MatMul,
    Mul,
    Div,
    Add,
    Sub,
}

impl BinOp {
    /// The operator as written; the registry finds its op by it.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::MatMul => "@",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Add => "+",
            BinOp::Sub => "-",
        }
    }
}

/// An expression with the span of its first and last token, so errors can
/// underline all of it.
#[derive(Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub first: Span,
    pub last: Span,
}

#[derive(Clone)]
pub enum ExprKind {
    Var(Ident),
    Num(f64),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Neg(Box<Expr>),
    Transpose(Box<Expr>),
    /// `E[w]`: the row of `E` that index `w` picks.
    Index(Box<Expr>, Box<Expr>),
    /// `a[lo..hi]`: rows `lo` to `hi` (dim expressions) of `a`.
    Slice(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `f(a, b)`, or `f(a, b, stride = 2)`: named arguments after the others.
    Call {
        func: Ident,
        args: Vec<Expr>,
        named: Vec<(Ident, Expr)>,
    },
}

/// Every net in one invocation (usually one), or the errors that stopped the
/// header of one from being read.
pub fn parse_nets(input: TokenStream, errors: &mut Errors) -> Vec<NetAst> {
    // `fn …;` beside the nets: every net of the invocation has them.
    let (shared, input) = split_functions(input);
    let mut functions = Vec::new();
    for chunk in shared {
        match syn::parse2::<Stmt>(chunk) {
            Ok(f @ (Stmt::Fn { .. } | Stmt::Layer(_))) => functions.push(f),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    match syn::parse2::<Nets>(input) {
        Ok(nets) => {
            let mut out = Vec::new();
            for (header, body) in nets.0 {
                let (stmts, failed) = parse_body(body, errors);
                let stmts = functions.iter().cloned().chain(stmts).collect();
                out.push(NetAst { stmts, failed, ..header });
            }
            out
        }
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    }
}

/// The invocation's top-level `fn NAME(…) = …;` items (each up to its
/// `;`) and `layer NAME(…) { … }` items (up to their block), and the rest:
/// the nets.
fn split_functions(input: TokenStream) -> (Vec<TokenStream>, TokenStream) {
    let mut functions = Vec::new();
    let mut rest = Vec::new();
    let mut current: Option<Vec<TokenTree>> = None;
    let is_layer = |f: &[TokenTree]| f.iter().any(|t| matches!(t, TokenTree::Ident(i) if i == "layer"));
    for t in input {
        match (&mut current, &t) {
            (None, TokenTree::Ident(i)) if i == "fn" || i == "layer" => {
                // Its attributes (`/// docs`) go with it, not to the next net.
                let mut start = rest.len();
                while start >= 2
                    && matches!(&rest[start - 2], TokenTree::Punct(p) if p.as_char() == '#')
                    && matches!(&rest[start - 1], TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Bracket)
                {
                    start -= 2;
                }
                let mut f: Vec<TokenTree> = rest.split_off(start);
                f.push(t);
                current = Some(f);
            }
            (Some(f), TokenTree::Punct(p)) if p.as_char() == ';' && !is_layer(f) => {
                functions.push(f.drain(..).collect());
                current = None;
            }
            (Some(f), TokenTree::Group(g))
                if g.delimiter() == proc_macro2::Delimiter::Brace && is_layer(f) =>
            {
                f.push(t);
                functions.push(f.drain(..).collect());
                current = None;
            }
            (Some(f), _) => f.push(t),
            (None, _) => rest.push(t),
        }
    }
    if let Some(f) = current {
        functions.push(f.into_iter().collect());
    }
    (functions, rest.into_iter().collect())
}

struct Nets(Vec<(NetAst, TokenStream)>);

impl Parse for Nets {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut nets = Vec::new();
        while !input.is_empty() {
            let attrs = input.call(Attribute::parse_outer)?;
            let vis: Visibility = input.parse()?;
            input.parse::<net>().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected `net Name { … }`, as in `pub net TwoLayer { param W: [H, D]; … }`",
                )
            })?;
            let name: Ident = input.parse()?;
            let generics = angled(input)?;
            let content;
            braced!(content in input);
            let body: TokenStream = content.parse()?;
            nets.push((NetAst { attrs, vis, name, generics, stmts: Vec::new(), failed: Vec::new() }, body));
        }
        Ok(Nets(nets))
    }
}

/// `<A, B>` after a name (a net's or a layer's dims, an instance's), or nothing.
fn angled<T: Parse>(input: ParseStream) -> syn::Result<Vec<T>> {
    let mut items = Vec::new();
    if input.peek(Token![<]) {
        input.parse::<Token![<]>()?;
        while !input.peek(Token![>]) {
            items.push(input.parse()?);
            if !input.peek(Token![>]) {
                input.parse::<Token![,]>()?;
            }
        }
        input.parse::<Token![>]>()?;
    }
    Ok(items)
}

/// Splits at top-level `;` and parses each statement, collecting errors.
#[allow(clippy::type_complexity)]
fn parse_body(body: TokenStream, errors: &mut Errors) -> (Vec<Stmt>, Vec<(String, Option<String>)>) {
    let mut stmts = Vec::new();
    let mut failed = Vec::new();
    let mut current = TokenStream::new();
    let mut chunks = Vec::new();
    for tt in body {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ';' => chunks.push(std::mem::take(&mut current)),
            // A `for` statement ends with its block, no `;`.
            TokenTree::Group(g)
                if g.delimiter() == proc_macro2::Delimiter::Brace && starts_with_block(&current) =>
            {
                current.extend([tt]);
                chunks.push(std::mem::take(&mut current));
            }
            _ => current.extend([tt]),
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    let chunks: Vec<TokenStream> =
        chunks.into_iter().flat_map(|c| split_missing_semicolons(c, errors)).collect();
    for chunk in chunks {
        let words: Vec<String> = chunk
            .clone()
            .into_iter()
            .filter_map(|t| match t {
                TokenTree::Ident(i) => Some(i.to_string()),
                _ => None,
            })
            .take(2)
            .collect();
        match syn::parse2::<Stmt>(chunk) {
            Ok(s) => stmts.push(s),
            Err(e) => {
                errors.push(e);
                let mut words = words.into_iter();
                failed.push((words.next().unwrap_or_default(), words.next()));
            }
        }
    }
    (stmts, failed)
}

/// Whether the statement in `tokens` ends with its block, a `for` or a
/// `layer` (after its attributes).
fn starts_with_block(tokens: &TokenStream) -> bool {
    let mut toks = tokens.clone().into_iter().peekable();
    while let Some(TokenTree::Punct(p)) = toks.peek() {
        if p.as_char() != '#' {
            break;
        }
        toks.next();
        toks.next();
    }
    matches!(toks.next(), Some(TokenTree::Ident(w)) if w == "for" || w == "layer")
}

/// The words that begin a statement.
const STATEMENT_WORDS: [&str; 9] =
    ["let", "param", "input", "target", "label", "output", "loss", "grad", "for"];

/// `chunk` split before every statement word that follows the end of an
/// operand (a name, a number, a bracket): two operands side by side are no
/// expression, so that is a statement whose `;` is missing. Each missing `;`
/// is reported at the end of its statement.
fn split_missing_semicolons(chunk: TokenStream, errors: &mut Errors) -> Vec<TokenStream> {
    let tokens: Vec<TokenTree> = chunk.into_iter().collect();
    let mut parts = Vec::new();
    let mut start = 0;
    for i in 1..tokens.len() {
        let word = match &tokens[i] {
            TokenTree::Ident(w) if STATEMENT_WORDS.contains(&w.to_string().as_str()) => w.to_string(),
            _ => continue,
        };
        // Not after an operator, not as the name that follows a statement's
        // word (`let loss = …`), not after an attribute (`#[doc = …] param W`).
        let attribute = i >= 2
            && matches!(&tokens[i - 1], TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Bracket)
            && matches!(&tokens[i - 2], TokenTree::Punct(p) if p.as_char() == '#');
        if matches!(tokens[i - 1], TokenTree::Punct(_)) || i - 1 == start || attribute {
            continue;
        }
        errors.at(tokens[i - 1].span(), format!("missing `;` at the end of this statement, before `{word}`"));
        parts.push(tokens[start..i].iter().cloned().collect());
        start = i;
    }
    parts.push(tokens[start..].iter().cloned().collect());
    parts
}

/// An expression from text (a composite function's body).
pub fn parse_expr_str(text: &str) -> syn::Result<Expr> {
    syn::parse::Parser::parse_str(parse_full_expr, text)
}

/// An error underlining a whole expression.
pub fn expr_error(e: &Expr, msg: impl std::fmt::Display) -> syn::Error {
    spanned(e.first, e.last, msg)
}

#[cfg(test)]
mod tests;
