//! `net!`: a network written once, its shapes checked, its backward pass
//! derived at compile time.
//!
//! The stages, each in its own module and unit-tested on token streams:
//! parse (tokens → syntax tree) → check (syntax tree → typed graph, every
//! shape error collected) → autodiff (reverse mode on the graph) → simplify
//! (rewrite rules applied as the backward pass is built) → codegen (Rust) and
//! explain (the derivation as text and LaTeX).

pub mod analysis;
mod autodiff;
mod batch;
mod check;
mod codegen;
mod error;
mod explain;
mod hoist;
mod model;
mod ops;
mod parse;
mod simplify;
mod sizes;
mod source;
pub mod values;

use proc_macro2::TokenStream;

use codegen::Part;
use error::Errors;
use model::NodeId;

/// A checked net with its backward pass built into its graph.
pub(crate) struct Derived {
    pub m: check::Model,
    pub adj: autodiff::Adjoints,
    /// How many nodes of the graph belong to the forward pass.
    pub forward_len: usize,
}

/// The backward pass of a checked net with no errors; `None` without a loss.
pub(crate) fn differentiate(mut m: check::Model) -> Option<Derived> {
    let loss = m.loss?;
    let params = param_nodes(&m);
    let forward_len = m.graph.nodes.len();
    let adj = autodiff::backward(&mut m.graph, loss, &params);
    Some(Derived { m, adj, forward_len })
}

/// What the backward pass differentiates: every param, and the inputs the
/// net asks for (`grad x;`).
fn param_nodes(m: &check::Model) -> Vec<NodeId> {
    let inputs = m.input_grads.iter().filter_map(|&i| m.args.get(i).and_then(|(_, a)| a.node));
    m.params.iter().filter_map(|p| p.node).chain(inputs).collect()
}

/// Expands `net!`. Every bad input becomes a spanned `compile_error!`, all of
/// an invocation's errors together, next to a stub of the declared items so
/// that code using the net gets no follow-on errors.
pub fn expand(input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let source = input.clone();
    let nets = parse::parse_nets(input, &mut errors);
    let models: Vec<check::Model> = nets.iter().map(|ast| check::build(ast, &mut errors)).collect();
    let mut out = TokenStream::new();
    for m in models {
        if !errors.is_empty() {
            out.extend(codegen::Codegen::new(&m, false).stub());
            continue;
        }
        let mut m = m;
        // The per-example code's own model, its loops' input products hoisted;
        // the derivation, the batch and the page keep the net as written.
        let hoisted = hoist::hoist(&mut m);
        let Some(Derived { m, adj, forward_len }) = differentiate(m) else { continue };
        // Evaluation lines (per example), then each batchnorm's training form.
        let text = explain::derivation(&m, &adj, forward_len, false) + &explain::training(&m, false);
        let latex = explain::derivation(&m, &adj, forward_len, true) + &explain::training(&m, true);
        // A net with two modes (`dropout`, `batchnorm`) gets its training methods from the
        // training graph and `forward_batch` from the evaluation one.
        let modal = m.graph.nodes.iter().any(|n| ops::def(n.op.code).modal());
        let parts =
            if modal { vec![(true, Part::Train), (false, Part::Eval)] } else { vec![(true, Part::All)] };
        // The evaluation generator also writes the ONNX export. A net of
        // params alone (a pure objective) has no examples to batch.
        let batch = parts
            .into_iter()
            .filter(|_| !m.args.is_empty())
            .map(|(training, part)| {
                let bm = batch::lift(&m, training)?;
                let bm = differentiate(bm).ok_or_else(|| "no loss".to_string())?;
                let grads = param_nodes(&bm.m).into_iter().filter_map(|p| bm.adj.of.get(&p).copied());
                let cg = codegen::Codegen::new(&bm.m, true).part(part).pin(grads);
                let mut tokens = cg.batch_methods(&bm.adj);
                if part != Part::Train {
                    tokens.extend(cg.onnx_impl(&m).0);
                }
                Ok(tokens)
            })
            .collect::<Result<TokenStream, String>>()
            .and_then(|tokens| {
                if m.args.is_empty() {
                    Err("it has no inputs, labels or targets, so there is no batch of examples to average over".into())
                } else {
                    Ok(tokens)
                }
            });
        let code = hoisted.and_then(differentiate);
        let (cm, cadj) = match &code {
            Some(d) => (&d.m, &d.adj),
            None => (&m, &adj),
        };
        let grads = param_nodes(cm).into_iter().filter_map(|p| cadj.of.get(&p).copied());
        let mut cg = codegen::Codegen::new(cm, false).pin(grads).structure(&text);
        // A net with one mode whose graph has no batched form (a per-example
        // matrix, an outer product of examples) loops over its examples.
        let batch = match batch {
            Err(reason) if !modal && !m.args.is_empty() => {
                cg = cg.looped(batch::batch_ident(&m));
                match cg.why_not_looped() {
                    None => {
                        let mut tokens = cg.looped_batch();
                        tokens.extend(cg.looped_onnx());
                        Ok(tokens)
                    }
                    Some(why) => Err(format!("{reason}, and {why}")),
                }
            }
            Err(reason) if modal => Err(format!(
                "{reason}, and a net with `dropout` or `batchnorm` does not run its examples one at a time (its training mode works on the whole batch)"
            )),
            batch => batch,
        };
        out.extend(cg.generate(cadj, &text, &latex, batch));
        out.extend(explain_html(&m, source.clone()));
    }
    out.extend(errors.to_tokens());
    out
}

/// `Net::explain_html()`: the page of `shapegrad_dsl::page` for the
/// invocation's nets (`source`), built here and returned as a constant.
fn explain_html(m: &check::Model, source: TokenStream) -> TokenStream {
    let page = crate::page::page_for_tokens(&m.name.to_string(), source);
    let (name, generics) = (&m.name, &m.generics);
    quote::quote! {
        #[allow(non_snake_case)]
        impl<#(#generics: ::shapegrad::Dim,)*> #name<#(#generics,)*> {
            /// A self-contained HTML page that shows this net: its source with
            /// every value's shape, the graph of its values, its derivation as
            /// MathML and its params (the page `shapegrad-explain` writes for
            /// a file). Save it and open it in a browser.
            pub fn explain_html() -> &'static str {
                #page
            }
        }
    }
}

/// For the stages' tests: a valid net parsed, checked and differentiated.
#[cfg(test)]
pub(crate) fn derived(tokens: TokenStream) -> (check::Model, autodiff::Adjoints, usize) {
    let mut errors = Errors::default();
    let mut nets = parse::parse_nets(tokens, &mut errors);
    let m = check::build(&nets.remove(0), &mut errors);
    assert!(errors.is_empty(), "{:?}", errors.messages());
    let d = differentiate(m).expect("a valid net has a loss");
    (d.m, d.adj, d.forward_len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::TokenTree;
    use quote::quote;

    /// Every token stream that differs from `ts` by dropping, doubling or
    /// swapping one token, at any depth of nesting.
    fn mutations(ts: TokenStream) -> Vec<TokenStream> {
        let tokens: Vec<TokenTree> = ts.into_iter().collect();
        let mut out = Vec::new();
        for i in 0..tokens.len() {
            let mut dropped = tokens.clone();
            dropped.remove(i);
            let mut doubled = tokens.clone();
            doubled.insert(i, tokens[i].clone());
            out.extend([dropped, doubled]);
            if i + 1 < tokens.len() {
                let mut swapped = tokens.clone();
                swapped.swap(i, i + 1);
                out.push(swapped);
            }
            if let TokenTree::Group(g) = &tokens[i] {
                for inner in mutations(g.stream()) {
                    let mut changed = tokens.clone();
                    changed[i] = TokenTree::Group(proc_macro2::Group::new(g.delimiter(), inner));
                    out.push(changed);
                }
            }
        }
        out.into_iter().map(|t| t.into_iter().collect()).collect()
    }

    /// Every way of dropping, doubling or swapping one token of a valid net,
    /// at any depth, expands to tokens (errors included) without panicking.
    #[test]
    fn mutated_nets_never_panic() {
        let net = quote! {
            pub net TwoLayer<K> {
                param W1: [H, D]; param b1: [H]; param W2: [K, H]; param b2: [K];
                input x: [D]; label y: K;
                let z1 = W1 @ x + b1;
                let h1 = z1 * sigmoid(z1);
                let z2 = W2 @ h1 + b2;
                output z2;
                loss softmax_cross_entropy(z2, y) + 0.5 * sum(square(W1)) + mse(z2, onehot(y)) + svm(z2, y);
                grad b2 = softmax(z2) - onehot(y);
                grad W2 = (softmax(z2) - onehot(y)) @ h1.T;
            }
        };
        let all = mutations(net);
        assert!(all.len() > 300, "{}", all.len());
        for tokens in all {
            let _ = expand(tokens);
        }
    }

    /// The same for the forms of sequences: index inputs and lookups, dims
    /// as sums of multiples, slices, dims as numbers, `grad x;`.
    #[test]
    fn mutated_nets_with_lookups_and_slices_never_panic() {
        let net = quote! {
            net Gates {
                param E: [V, D]; param Wx: [4 * H, D]; param b: [4 * H];
                input w: V; input x: [D];
                let a = Wx @ (E[w] + x) + b;
                let c = sigmoid(a[H..2 * H]) * tanh(a[3 * H..4 * H]) / H;
                loss sum(c * c);
                grad x;
            }
        };
        let all = mutations(net);
        assert!(all.len() > 250, "{}", all.len());
        for tokens in all {
            let _ = expand(tokens);
        }
    }

    /// The same for maps over steps and sequences of labels.
    #[test]
    fn mutated_nets_with_maps_never_panic() {
        let net = quote! {
            net Tagger {
                param E: [V, D]; param W: [C, D];
                input ws: [T] of V; label ys: [T] of C;
                let z = E[ws] @ W.T;
                for t in T {
                    let a = z[t] * 2.0;
                    let l[t] = softmax_cross_entropy(a, ys[t]);
                }
                loss mean(l);
            }
        };
        let all = mutations(net);
        assert!(all.len() > 200, "{}", all.len());
        for tokens in all {
            let _ = expand(tokens);
        }
    }

    /// Found by the fuzzer (`net_grammar`): a batchnorm in a `grad` line
    /// before any `let` named its state with an empty identifier, a panic.
    #[test]
    fn a_batchnorm_outside_a_let_is_an_error() {
        let out = expand(quote!(net N { param g: [D]; param s: [D]; input x: [D];
                                        grad s = batchnorm(x, g, s); loss sum(g) + sum(s); }))
        .to_string();
        assert!(out.contains("a `grad` line has no `let`"), "{out}");
        let out = expand(quote!(net N { param g: [D]; param s: [D]; input x: [D];
                                        let a = sum(x); grad s = batchnorm(x, g, s); loss sum(g) + sum(s) + a; }))
        .to_string();
        assert!(out.contains("a `grad` line has no `let`"), "{out}");
    }

    /// Found by the fuzzer (`net_source`): a batchnorm in a `let` with a raw
    /// name (`let r#a1 = …`) made its field with `Ident::new`, a panic.
    #[test]
    fn a_batchnorm_in_a_raw_named_let_keeps_the_name_raw() {
        let out = expand(quote!(net N { param g: [D]; param s: [D]; input x: [D];
                                        let r#a1 = batchnorm(x, g, s); loss sum(r#a1); }))
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("r#a1") && out.contains("\"a1.running_mean\""), "{out}");
    }

    /// A net of params alone has no batched methods, no stubs of them (they
    /// would have a batch size nothing determines), and its docs say why,
    /// after the derivation's code block.
    #[test]
    fn a_net_without_inputs_has_no_batched_methods_and_says_why() {
        let out = expand(quote!(net Norm { param x: [N]; loss norm(x); })).to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("pub fn grad"), "{out}");
        assert!(!out.contains("fn loss_batch") && !out.contains("BatchNet"), "{out}");
        let doc = out.split("Generated by `net!`").nth(1).expect("the struct's docs");
        let fence = doc.rfind("```").expect("a closing fence");
        let note = doc.find("No batched methods").expect("a note on the batched methods");
        assert!(fence < note && doc[note..].contains("no inputs, labels or targets"), "{doc}");
    }

    /// The public functions of `code` (not `#[doc(hidden)]`, not `__`-named).
    fn public_fns(code: &str) -> std::collections::BTreeSet<String> {
        let mut names = std::collections::BTreeSet::new();
        for (at, _) in code.match_indices("pub fn ") {
            let name: String =
                code[at + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let before = &code[at.saturating_sub(40)..at];
            if !name.starts_with("__") && !before.contains("doc (hidden)") {
                names.insert(name);
            }
        }
        names
    }

    /// The `net!` docs' table of generated items (in `src/lib.rs` of the
    /// facade) names every public function a net gets, and nothing else.
    #[test]
    fn the_generated_items_table_is_in_step_with_the_generated_code() {
        let code = expand(quote! {
            pub net TwoLayer {
                param W1: [H, D]; param b1: [H]; param W2: [C, H]; param b2: [C];
                input x: [D]; label y: C;
                let z = W2 @ relu(W1 @ x + b1) + b2;
                output z;
                loss softmax_cross_entropy(z, y);
                grad x;
            }
        })
        .to_string();
        let generated = public_fns(&code);
        let lib = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../src/lib.rs")).unwrap();
        let start = lib.find("/// # Generated items").expect("the table's section");
        let table: String = lib[start..]
            .lines()
            .skip_while(|l| !l.starts_with("/// |"))
            .take_while(|l| l.starts_with("/// |"))
            .collect::<Vec<_>>()
            .join("\n");
        // Each `name(` or `name`` ` in the table's first column.
        let mut documented = std::collections::BTreeSet::new();
        for row in table.lines().skip(2) {
            let first = row.trim_start_matches("/// |").split(" | ").next().unwrap_or("");
            // `TwoLayer::summary()`, `cast::<U>()`: each path segment's name.
            for segment in first.split('`').skip(1).step_by(2).flat_map(|part| part.split("::")) {
                let name: String = segment.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if name != "struct" && name.chars().next().is_some_and(char::is_lowercase) {
                    documented.insert(name);
                }
            }
        }
        // `new` is the workspace's constructor, named in the description.
        let missing: Vec<_> = generated.iter().filter(|f| *f != "new" && !documented.contains(*f)).collect();
        assert!(missing.is_empty(), "generated but not in the table: {missing:?}\n{table}");
        let extra: Vec<_> = documented.iter().filter(|f| !generated.contains(*f)).collect();
        assert!(extra.is_empty(), "in the table but not generated: {extra:?}");
    }

    #[test]
    fn valid_and_invalid_expansions() {
        let ok = expand(quote!(net N { param W: [H, D]; input x: [D]; loss sum(W @ x); })).to_string();
        assert!(!ok.contains("compile_error"));
        assert!(ok.contains("pub fn derivation"));
        let bad = expand(quote!(net N { param W: [H, D]; input x: [H]; loss sum(W @ x); })).to_string();
        assert_eq!(bad.matches("compile_error").count(), 1);
        assert!(bad.contains("unreachable"), "a stub is emitted beside the error");
    }
}
