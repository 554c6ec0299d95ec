//! Names the generated code must not take from the user: dims called `T`
//! (the usual time dim), `B`, `E`, `N`, `Elem`, and inputs named like a dim
//! (`dims!` makes each dim a unit struct, which also lives among values).

use shapegrad::prelude::*;

dims! { T = 3; B = 2; E = 4; N = 5; Elem = 2; M = 3; }

net! {
    /// Every dim named like one of the generated code's generic parameters.
    net Clash {
        param W: [T, E];
        param V: [B, T];
        param U: [N, B];
        param Z: [Elem, N];
        input x: [E];
        let h = tanh(W @ x);
        let z = Z @ (U @ (V @ h));
        output z;
        loss 0.5 * sum(z * z);
    }
}

net! {
    /// An input and a param named like dims that are in scope.
    net Shadow {
        param N: [M, E];
        input M: [E];
        input E: [M];
        loss sum(E * (N @ M));
    }
}

#[test]
fn dims_named_like_generated_generics_work_per_example_and_batched() {
    let net = Clash::<f64>::init(3);
    let x = Vector::<E, f64>::from_fn(|i, _| 0.3 * i as f64 - 0.4);
    let report = net.gradcheck(&x);
    assert!(report.is_ok(1e-6) && report.all_zero().is_empty(), "{report}");
    // The loss by hand.
    let h = (&net.W * &x).map(f64::tanh);
    let z = &net.Z * &(&net.U * &(&net.V * &h));
    let want = 0.5 * z.as_slice().iter().map(|v| v * v).sum::<f64>();
    assert!((net.loss(&x) - want).abs() < 1e-12);
    // A batch of two identical columns has the same mean loss.
    let xs = Matrix::<E, U2, f64>::from_fn(|i, _| x[i]);
    assert!((net.loss_batch(&xs) - want).abs() < 1e-12);
    assert_eq!(net.forward(&x).as_slice(), z.as_slice());
}

#[test]
fn inputs_and_params_named_like_dims_work() {
    let mut net = Shadow::<f64>::zeros();
    net.N = Matrix::from_fn(|i, j| (i + 2 * j) as f64 * 0.1);
    let (m, e) =
        (Vector::<E, f64>::from_fn(|i, _| i as f64), Vector::<M, f64>::from_fn(|i, _| 1.0 - i as f64));
    let want: f64 = (0..3).map(|i| e[i] * (0..4).map(|j| net.N[(i, j)] * m[j]).sum::<f64>()).sum();
    assert!((net.loss(&m, &e) - want).abs() < 1e-12);
    let (_, g) = net.grad(&m, &e);
    // ∂N = e mᵀ.
    for i in 0..3 {
        for j in 0..4 {
            assert!((g.N[(i, j)] - e[i] * m[j]).abs() < 1e-12);
        }
    }
}
