//! What `net!` generates for small nets: which calls the methods make.

use super::*;
use quote::quote;

fn generate(tokens: TokenStream) -> String {
    let (m, adj, _) = crate::net::derived(tokens);
    Codegen::new(&m, false).generate(&adj, "", "", Err("test".into())).to_string()
}

/// The body of the generated method `name` (of its copy inlined into
/// both instruction sets' versions, when it has two), up to the next `pub fn`.
fn method<'s>(code: &'s str, name: &str) -> &'s str {
    let start = code
        .find(&format!("pub fn __{name}_base ("))
        .or_else(|| code.find(&format!("pub fn {name} (")))
        .unwrap_or_else(|| panic!("no `{name}` in {code}"));
    let rest = &code[start + 6..];
    &rest[..rest.find("pub fn").unwrap_or(rest.len())]
}

#[test]
fn transposes_fold_into_products_and_activations_fuse() {
    let code = generate(quote! {
        net N { param W: [H, D]; param V: [C, H]; input x: [D]; label y: C;
                let h = tanh(W @ x); loss softmax_cross_entropy(V @ h, y); }
    });
    let grad = method(&code, "grad_into");
    // ∂h = Vᵀ ∂z without copying Vᵀ, ∂V = ∂z hᵀ without copying hᵀ.
    assert!(grad.contains(". set_t_matmul_on (__isa ,"), "{grad}");
    assert!(grad.contains(". set_matmul_t_on (__isa ,"), "{grad}");
    assert!(!grad.contains("set_transpose"), "no transpose is materialized: {grad}");
    // ∂(Wx) = ∂h ⊙ tanh′(Wx), reusing tanh(Wx), in one pass.
    assert!(grad.contains("Tanh as :: shapegrad :: ops :: Unary > :: vjp_into"), "{grad}");
    assert!(!grad.contains("derivative"), "{grad}");
    // The gradients of the params are written straight into the output.
    assert!(grad.contains("__out . V . set_matmul_t") && grad.contains("__out . W . set_matmul_t"), "{grad}");
    assert!(!grad.contains("copy_from"), "{grad}");
}

#[test]
fn methods_compute_only_what_they_need() {
    let code = generate(quote! {
        net N { param W: [H, D]; param V: [C, H]; input x: [D]; label y: C;
                let h = sigmoid(W @ x); let z = V @ h; output h; loss softmax_cross_entropy(z, y); }
    });
    let forward = method(&code, "forward_with");
    assert!(forward.contains("Sigmoid as :: shapegrad :: ops :: Unary > :: map_into"), "{forward}");
    assert!(!forward.contains("self . V"), "the output needs W only: {forward}");
    let loss = method(&code, "loss_with");
    assert!(!loss.contains("cross_entropy_dz"), "no backward pass in `loss`: {loss}");
    // No adjoint of the input: ∂W = ∂(Wx) xᵀ, and nothing computes Wᵀ ∂(Wx).
    let grad = method(&code, "grad_into");
    assert_eq!(grad.matches("set_matmul_t").count(), 2, "∂V = ∂z hᵀ and ∂W = ∂(Wx) xᵀ only: {grad}");
    assert_eq!(grad.matches("set_t_matmul").count(), 1, "∂h = Vᵀ ∂z, and no Wᵀ ∂(Wx): {grad}");
}

#[test]
fn a_gradient_read_elsewhere_is_copied_out() {
    // ∂b2 is ∂z2, which ∂W2 also reads: it is computed once and copied.
    let code = generate(quote! {
        net N { param W: [C, D]; param b: [C]; input x: [D]; label y: C;
                loss softmax_cross_entropy(W @ x + b, y); }
    });
    let grad = method(&code, "grad_into");
    assert!(grad.contains("__out . b . copy_from"), "{grad}");
    assert_eq!(grad.matches("set_softmax_cross_entropy_dz").count(), 1, "{grad}");
}

#[test]
fn two_outer_products_into_one_gradient_are_one_pass() {
    // The tied autoencoder: ∂W = ∂z xᵀ + z vᵀ, each element written once.
    let code = generate(quote! {
        net N { param W: [M, D]; input x: [D]; let z = W @ x; let v = W.T @ z - x; loss 0.5 * sum(v * v); }
    });
    let grad = method(&code, "grad_into");
    assert!(grad.contains("__out . W . set_outer_sum"), "{grad}");
    assert!(!grad.contains("add_matmul_t"), "{grad}");
}

#[test]
fn the_documented_methods_of_a_small_net_keep_each_buffer_in_a_local() {
    let code = generate(quote! {
        net N { param W: [H, D]; param b: [H]; param V: [C, H]; input x: [D]; label y: C;
                let h = sigmoid(W @ x + b); output h; loss softmax_cross_entropy(V @ h, y); }
    });
    for name in ["__grad_local", "__loss_local", "__forward_local"] {
        let body = method(&code, name);
        assert!(!body.contains("__ws ."), "{name} reads a workspace struct: {body}");
        assert!(body.contains("let mut __ws_n"), "{name} declares no local buffer: {body}");
        // Every local it declares is one the body writes.
        for decl in body.split("let mut __ws_").skip(1) {
            let local = format!("__ws_{}", &decl[..decl.find(' ').unwrap()]);
            assert!(body.matches(&local).count() > 1, "{local} declared, never used: {body}");
        }
    }
    // Only a small net goes there: the documented `grad` checks first.
    assert!(method(&code, "grad").contains("INLINE"), "{}", method(&code, "grad"));
}
