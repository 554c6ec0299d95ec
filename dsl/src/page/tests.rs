use super::*;

const TWO_LAYER: &str = "use shapegrad::prelude::*;

dims! { D = 8; H = 16; C = 4; }

net! {
    pub net TwoLayer {
        param W1: [H, D];
        param b1: [H];
        param W2: [C, H];
        param b2: [C];
        input x: [D];
        label y: C;
        let z1 = W1 @ x + b1;
        let h1 = z1 * sigmoid(z1);
        let z2 = W2 @ h1 + b2;
        loss softmax_cross_entropy(z2, y);
    }
}
";

/// How many times `needle` occurs in `page`.
fn count(page: &str, needle: &str) -> usize {
    page.matches(needle).count()
}

#[test]
fn every_let_shows_its_shape_at_its_line() {
    let page = page_for_source("two_layer.rs", TWO_LAYER);
    for (line, shape) in [(13, "z1: [H]"), (14, "h1: [H]"), (15, "z2: [C]"), (16, "loss: a scalar")] {
        let at = page.find(&format!("data-line=\"{line}\"")).unwrap_or_else(|| panic!("line {line}"));
        let end = page[at..].find("</span></span>").map_or(page.len(), |e| at + e);
        assert!(page[at..end].contains(shape), "line {line}: {}", &page[at..end]);
    }
}

#[test]
fn the_graph_has_a_node_per_value_and_the_derivation_a_row_per_adjoint() {
    let page = page_for_source("two_layer.rs", TWO_LAYER);
    // W1 b1 W2 b2 x y z1 h1 z2 loss
    assert_eq!(count(&page, "<g class=\"node\""), 10, "{page}");
    // z1 reads W1, x and b1; h1 reads z1; z2 reads W2, h1, b2; the loss z2 and y.
    assert_eq!(count(&page, "<g class=\"edge\""), 3 + 1 + 3 + 2);
    let a = crate::analyze_source(TWO_LAYER.split_once("net! {").unwrap().1.rsplit_once('}').unwrap().0);
    assert_eq!(count(&page, "<mtr"), a.derivations[0].lines.len());
    assert_eq!(count(&page, "<mtr"), 7);
    assert!(page.contains("data-name=\"W1\" data-kind=\"Param\""));
}

#[test]
fn a_net_with_an_error_shows_it_at_its_line() {
    let bad = TWO_LAYER.replace("W1 @ x + b1", "W1.T @ x + b1");
    let page = page_for_source("two_layer.rs", &bad);
    assert!(page.contains("1 error"), "{page}");
    let err = page.find("class=\"error\" data-line=\"13\"").expect("the error under line 13");
    assert!(page[err..].contains("cannot multiply `W1.T` [D×H] by `x` [D]"), "{}", &page[err..err + 300]);
    // What checked still shows: the graph of the values, h1's shape unknown.
    assert!(page.contains("<svg"));
    assert!(!page.contains("<math"), "no derivation for a net with an error");
}

#[test]
fn a_file_without_nets_and_one_that_does_not_lex() {
    assert!(page_for_source("a.rs", "fn main() {}").contains("No <code>net!</code>"));
    let page = page_for_source("b.rs", "net! { net N { loss (x; } }");
    assert!(page.contains("cannot read the tokens"), "{page}");
}

#[test]
fn a_body_from_tokens_is_printed_a_statement_per_line() {
    let tokens: TokenStream =
        "net N { param W: [H, D]; input x: [D]; let z = sigmoid(W @ x); loss sum(z.T @ z); }"
            .parse()
            .unwrap();
    let page = page_for_tokens("N", tokens);
    assert!(page.contains("let z = sigmoid(W @ x);"), "{page}");
    assert!(page.contains("loss sum(z.T @ z);"), "{page}");
    assert!(page.contains("z: [H]"));
}

#[test]
fn the_params_table_counts_values_from_the_files_dims() {
    let page = page_for_source("two_layer.rs", TWO_LAYER);
    // W1 16·8, b1 16, W2 4·16, b2 4.
    assert!(page.contains("<td><code>W1</code></td><td>[H×D]</td><td>128</td>"), "{page}");
    assert!(page.contains("<td>total</td><td></td><td>212</td>"));
    let no_dims = TWO_LAYER.replace("dims! { D = 8; H = 16; C = 4; }", "");
    assert!(page_for_source("two_layer.rs", &no_dims).contains("? (a dim's size is not in this file)"));
}

/// Found by the fuzzer (`net_grammar`): a span without a place (line 0)
/// made the source block index line −1, a panic.
#[test]
fn a_net_without_line_numbers_is_shown_from_line_one() {
    let found = [Found { lines: (0, 0), analysis: crate::Analysis::default() }];
    let page = html::page("n.rs", "net! { net N {} }", &found, &HashMap::new());
    assert!(page.contains("data-line=\"1\""), "{page}");
}

#[test]
fn a_layers_backward_pass_is_shown_once_before_the_nets() {
    let src = "net! {
    layer Dense<I, O>(x) { param W: [O, I]; param b: [O]; W @ x + b }
    pub net Mlp {
        input x: [D];
        label y: C;
        param l1: Dense<D, H>;
        param l2: Dense<H, C>;
        loss softmax_cross_entropy(l2(relu(l1(x))), y);
    }
}
";
    let page = page_for_source("mlp.rs", src);
    assert_eq!(count(&page, "<p>layer Dense&lt;I, O&gt;(x) → y, backward once"), 1, "{page}");
    // Dense's ∂W, ∂b, ∂x once; the net's ∂l2 and ∂l1 (the calls' values)
    // and the four params' by call (`∂W|l1`).
    assert_eq!(count(&page, "<mtr"), 3 + 2 + 4, "{page}");
    assert!(!page.contains("PARSE ERROR"), "every line converts to MathML: {page}");
}
