//! The check stage's rules, each with the messages it gives.

use super::expr::closest;
use super::*;
use crate::net::parse::parse_nets;
use proc_macro2::TokenStream;
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
    // `W2 @ h` checks, so the declaration stands and `W2 @ dz` is the slip;
    // a product on the right keeps its parentheses in the fix.
    let errs = errors_of(
        quote!(param W2: [C, H]; input dz: [C]; input h: [H]; loss sum(W2 @ (2.0 * dz)) + sum(W2 @ h);),
    );
    assert_eq!(
        errs,
        [
            "cannot multiply `W2` [C×H] by `2 * dz` [C]: inner dimensions H and C differ; `W2.T @ (2 * dz)` is [H]"
        ]
    );
    let errs =
        errors_of(quote!(param W2: [C, H]; input dz: [C]; input h: [H]; loss sum(W2 @ dz) + sum(W2 @ h);));
    assert_eq!(
        errs,
        ["cannot multiply `W2` [C×H] by `dz` [C]: inner dimensions H and C differ; `W2.T @ dz` is [H]"]
    );
    // Every use reads `W2` transposed: the declaration is the likelier slip.
    let errs = errors_of(quote!(param W2: [C, H]; input dz: [C]; loss sum(W2 @ dz) + sum(W2 @ (2.0 * dz));));
    assert_eq!(
        errs,
        [
            "`W2` is declared [C×H], but every use reads it as [H×C] (`W2 @ dz`): declare `param W2: [H, C];`, or write `W2.T @ dz`"
        ]
    );
    let errs = errors_of(quote!(param W: [M, N]; input x: [N]; loss sum(W @ W.T @ x);));
    assert_eq!(errs, ["cannot multiply `W @ W.T` [M×M] by `x` [N]: inner dimensions M and N differ"]);
}

#[test]
fn elementwise_and_bias_mismatches() {
    let errs = errors_of(quote!(param W: [M, N]; loss sum(W + W.T);));
    assert_eq!(errs, ["cannot add `W` [M×N] and `W.T` [N×M]: M and N are swapped; `W` is [M×N]"]);
    let errs = errors_of(quote!(param W: [H, D]; param b: [D]; input X: [D, B]; loss sum(W @ X + b);));
    assert_eq!(
        errs,
        [
            "cannot add the bias `b` [D] to `W @ X` [H×B]: it matches no axis; a bias of H rows goes down each column, one of B along each row"
        ]
    );
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
    assert_eq!(errs, ["net `N` has no `loss` statement; add one, e.g. `loss softmax_cross_entropy(z, y);`"]);
    let errs = errors_of(
        quote!(param W: [C, N]; param U: [C, N]; input x: [N]; label y: C; output y; loss svm(W @ x, y) + sum(y);),
    );
    // The loss had an error, so what it uses is not judged: no false "unused param".
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(errs[0].contains("`y` is a label; an output is a value"));
    assert!(errs[1].contains("`y` is a label (a class index in 0..C), not a value"));
    let errs =
        errors_of(quote!(param W: [C, N]; param U: [C, N]; input x: [N]; label y: C; loss svm(W @ x, y);));
    assert_eq!(
        errs,
        ["param `U` does not affect the loss, so its gradient would always be zero; use it or remove it"]
    );
}

#[test]
fn function_rules() {
    let errs = errors_of(quote!(param W: [H, N]; param V: [C, N]; input x: [N]; label y: C;
                                loss softmax_cross_entropy(W @ x, y) + softmax_cross_entropy(V @ x, y);));
    assert_eq!(
        errs,
        ["`softmax_cross_entropy(W @ x, y)` needs logits [C] for a label in 0..C, but `W @ x` is [H]"]
    );
    // A label whose dim matches no logits: its declaration is the slip.
    let errs =
        errors_of(quote!(param W: [H, N]; input x: [N]; label y: C; loss softmax_cross_entropy(W @ x, y);));
    assert_eq!(
        errs,
        [
            "label `y` is declared a class in 0..C, but `softmax_cross_entropy(W @ x, y)` gives it logits [H]: declare `label y: H;`"
        ]
    );
    let errs =
        errors_of(quote!(param W: [H, N]; input x: [N]; loss sigmoud(W @ x) + sum(x, x) + dot(x, W @ x);));
    assert_eq!(errs.len(), 3, "{errs:#?}");
    assert!(errs[0].contains("unknown function `sigmoud`; did you mean `sigmoid`?"));
    // Nothing near: every function is listed.
    let far = errors_of(quote!(param W: [H, N]; input x: [N]; loss frobnicate(W @ x);));
    let mut names = crate::net::ops::function_names();
    names.extend(crate::net::ops::composite_names());
    let list = names.join(", ");
    assert_eq!(far, [format!("unknown function `frobnicate`; the functions are {list}")]);
    assert!(list.starts_with("sigmoid, tanh") && list.contains("max, min") && list.contains("svm"), "{list}");
    assert!(list.ends_with("hardswish, hardtanh, relu6, silu, mish, softsign, hardsigmoid"), "{list}");
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
        quote!(net N { param W: [H, D, C, E, G]; input x: [D]; let z = x % 2; loss sum(z) + sum(W @ x); });
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

#[test]
fn a_failed_let_gets_its_best_guess_so_later_slips_are_reported() {
    // The bias is the wrong size: z1 is taken to be [H], as W1 @ x is, and
    // the later, independent slip in W2 @ z1 is reported in the same pass.
    let errs = errors_of(quote! {
        param W1: [H, D]; param b1: [C]; param W2: [C, D];
        input x: [D];
        let z1 = tanh(W1 @ x + b1);
        let z2 = W2 @ z1;
        loss sum(z2);
    });
    assert_eq!(
        errs,
        [
            "`b1` is declared [C], but `W1 @ x + b1` adds it to `W1 @ x` [H]: declare `param b1: [H];`",
            "cannot multiply `W2` [C×D] by `z1` [H]: inner dimensions D and H differ",
        ]
    );
    // What a failed product means is unknown: no guess, no follow-on error.
    let errs = errors_of(quote!(param W: [M, N]; input x: [N]; let v = W @ W.T @ x - x; loss sum(v * v);));
    assert_eq!(errs.len(), 1, "{errs:?}");
    // An unknown name gives nothing to guess from, and no error beyond its own.
    let errs = errors_of(quote!(param W: [M, N]; input x: [N]; let z = W @ q; loss sum(z @ x);));
    assert_eq!(errs, ["unknown name `q`"]);
}

#[test]
fn a_dim_in_one_declaration_that_varies_another_is_suspect() {
    let mut errors = Errors::default();
    let mut nets = parse_nets(
        quote!(net N<K> { param W: [Hh, D]; param V: [C, H]; param U: [K, D2]; input x: [D]; loss sum(x); }),
        &mut errors,
    );
    let mut lone = super::dims::lone_dims(&nets.remove(0));
    lone.sort();
    // Hh and H vary each other; D2 varies D (which is in two declarations);
    // C is in one declaration but like no other dim; K is generic.
    assert_eq!(lone, ["D2", "H", "Hh"]);
}
