//! The parse stage: statements, expressions and the errors of each.

use super::*;
use quote::quote;

fn parse(tokens: TokenStream) -> (Vec<NetAst>, Vec<String>) {
    let mut errors = Errors::default();
    let nets = parse_nets(tokens, &mut errors);
    (nets, errors.messages())
}

fn show(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Var(v) => v.to_string(),
        ExprKind::Num(n) => n.to_string(),
        ExprKind::Binary { op, lhs, rhs, .. } => format!("({} {op:?} {})", show(lhs), show(rhs)),
        ExprKind::Neg(x) => format!("-{}", show(x)),
        ExprKind::Transpose(x) => format!("{}.T", show(x)),
        ExprKind::Index(x, i) => format!("{}[{}]", show(x), show(i)),
        ExprKind::Slice(x, lo, hi) => format!("{}[{}..{}]", show(x), show(lo), show(hi)),
        ExprKind::Call { func, args, named } => {
            let mut parts: Vec<String> = args.iter().map(show).collect();
            parts.extend(named.iter().map(|(k, v)| format!("{k}={}", show(v))));
            format!("{func}({})", parts.join(", "))
        }
    }
}

fn loss_of(tokens: TokenStream) -> String {
    let (nets, errs) = parse(quote!(net N { #tokens }));
    assert!(errs.is_empty(), "{errs:?}");
    match &nets[0].stmts[0] {
        Stmt::Loss { expr, .. } => show(expr),
        _ => panic!("not a loss"),
    }
}

#[test]
fn precedence_is_python_like() {
    assert_eq!(loss_of(quote!(loss a @ b * c + d;)), "(((a MatMul b) Mul c) Add d)");
    assert_eq!(loss_of(quote!(loss a - b - c;)), "((a Sub b) Sub c)");
    assert_eq!(loss_of(quote!(loss -a @ b.T.T;)), "(-a MatMul b.T.T)");
    assert_eq!(loss_of(quote!(loss 0.5 * sum((v) * v);)), "(0.5 Mul sum((v Mul v)))");
    assert_eq!(loss_of(quote!(loss 1 - sigmoid(z);)), "(1 Sub sigmoid(z))");
}

#[test]
fn statements_of_every_kind() {
    let (nets, errs) = parse(quote! {
        /// doc
        pub net Autoencoder<M, N> {
            param W: [M, N];
            input x: [N];
            label y: C;
            let z = W @ x;
            output z;
            loss sum(z);
            grad W = z @ x.T;
        }
    });
    assert!(errs.is_empty(), "{errs:?}");
    let net = &nets[0];
    assert_eq!(net.name, "Autoencoder");
    assert_eq!(net.generics.len(), 2);
    assert_eq!(net.stmts.len(), 7);
    match &net.stmts[0] {
        Stmt::Param { shape, .. } => {
            assert_eq!(shape.dims.iter().map(|d| d.text()).collect::<Vec<_>>(), ["M", "N"])
        }
        _ => panic!(),
    }
}

#[test]
fn every_bad_statement_is_reported() {
    let (nets, errs) = parse(quote! {
        net N {
            param W: [M, N, K, L, P];
            input x [N];
            let z = W % x;
            frobnicate z;
            let h = z.sum();
            loss z;
        }
    });
    assert_eq!(nets[0].stmts.len(), 1, "only `loss z` is well formed");
    assert_eq!(errs.len(), 5, "{errs:?}");
    assert!(errs[0].contains("found 5"));
    assert!(errs[2].contains("unsupported syntax"), "{}", errs[2]);
    assert!(errs[3].contains("unknown statement `frobnicate`"));
    assert!(errs[4].contains("only `.T`"));
}

#[test]
fn garbage_never_panics() {
    for bad in [
        quote!(),
        quote!(net),
        quote!(net N),
        quote!(net N { loss ; }),
        quote!(
            pub fn f() {}
        ),
        quote!(net N<> {}),
        quote!(net N { let = ; param W: []; input x: [0]; }),
    ] {
        let _ = parse(bad);
    }
}

#[test]
fn a_missing_semicolon_is_reported_at_the_end_of_its_statement() {
    let (nets, errs) = parse(quote! {
        net N {
            /// Weights.
            param W: [H, D] input x: [D];
            let loss = W @ x let h = tanh(loss)
            output loss
            loss sum(h)
        }
    });
    assert_eq!(
        errs,
        [
            "missing `;` at the end of this statement, before `input`",
            "missing `;` at the end of this statement, before `let`",
            "missing `;` at the end of this statement, before `output`",
            "missing `;` at the end of this statement, before `loss`",
        ]
    );
    assert_eq!(nets[0].stmts.len(), 6, "every statement is still read");
}

#[test]
fn a_param_may_declare_its_initial_value() {
    let (nets, errs) = parse(quote! {
        net N { param g: [D] = -0.5; param s: [] = 2; param W: [H, D]; param v: [D] = x; }
    });
    assert_eq!(errs, ["a param's initial value is a number, every element set to it: `param g: [D] = 1.0;`"]);
    let inits: Vec<Option<f64>> = nets[0]
        .stmts
        .iter()
        .map(|s| match s {
            Stmt::Param { init, .. } => *init,
            _ => panic!(),
        })
        .collect();
    assert_eq!(inits, [Some(-0.5), Some(2.0), None]);
}

#[test]
fn an_index_binds_tightest_and_an_index_input_has_no_brackets() {
    assert_eq!(loss_of(quote!(loss W @ E[w].T + 2 * E[ws[t]];)), "((W MatMul E[w].T) Add (2 Mul E[ws[t]]))");
    let (nets, errs) = parse(quote!(net N { input w: V; input x: [D]; loss sum(E[w]); }));
    assert!(errs.is_empty(), "{errs:?}");
    assert!(matches!(nets[0].stmts[0], Stmt::Index { .. }));
    assert!(matches!(nets[0].stmts[1], Stmt::Input { .. }));
}
