//! Functions of values defined once (`fn NAME(x) = …;`, in a net or beside
//! the nets of an invocation) and the registry's composite functions
//! (hardswish, hardtanh, relu6, silu, mish, softsign, hardsigmoid), each expanded where it
//! is called: values against their closed forms written here, gradients
//! against finite differences, batches against the mean of their examples.

use shapegrad::prelude::*;

dims! { D = 5; H = 4; B = 3; }

net! {
    /// Every composite, each on its own part of `W @ x`.
    pub net Composites {
        param W: [H, D];
        input x: [D];
        let z = 3.0 * (W @ x);
        output z;
        loss sum(hardswish(z)) + sum(hardtanh(z)) + sum(relu6(z)) + sum(silu(z)) + sum(mish(z)) + sum(softsign(z))
            + sum(hardsigmoid(z));
    }
}

net! {
    fn gate(a, b) = sigmoid(a) * tanh(b);
    fn hs(v) = v * min(max(v + 3.0, 0.0), 6.0) / 6.0;

    /// A function of two values, and one written like a composite.
    pub net Gated {
        param W: [H, D];
        param U: [H, D];
        input x: [D];
        let h = gate(W @ x, U @ x);
        loss sum(hs(h * 4.0)) - sum(hardswish(h * 4.0)) + sum(square(h));
    }

    /// A loss that is one function of `z`: `∂z` is its derivative alone.
    pub net OneFunction {
        param W: [H, D];
        input x: [D];
        let z = W @ x;
        loss sum(hs(z));
    }

    /// The invocation's functions are every net's.
    pub net Shared {
        param W: [H, D];
        input x: [D];
        fn twice(v) = 2.0 * v;
        loss sum(gate(twice(W @ x), W @ x));
    }
}

fn x() -> Vector<D, f64> {
    Vector::from_fn(|i, _| 0.8 * i as f64 - 1.7)
}

fn w() -> Matrix<H, D, f64> {
    Matrix::from_fn(|i, j| 0.7 * ((i * 5 + j) as f64 * 1.3).sin())
}

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

#[test]
fn the_composites_are_their_definitions() {
    let net = Composites { W: w() };
    let z = net.forward(&x());
    let want: f64 = z
        .as_slice()
        .iter()
        .map(|&v| {
            let hardswish = v * (v + 3.0).clamp(0.0, 6.0) / 6.0;
            let hardtanh = v.clamp(-1.0, 1.0);
            let relu6 = v.clamp(0.0, 6.0);
            let silu = v * sigmoid(v);
            let mish = v * (1.0 + v.exp()).ln().tanh();
            let softsign = v / (1.0 + v.abs());
            let hardsigmoid = ((v + 3.0) / 6.0).clamp(0.0, 1.0);
            hardswish + hardtanh + relu6 + silu + mish + softsign + hardsigmoid
        })
        .sum();
    assert!((net.loss(&x()) - want).abs() < 1e-12, "{} vs {want}", net.loss(&x()));
    assert!(net.gradcheck(&x()).is_ok(1e-6));
    // In batches: the mean of the examples.
    let xs = Matrix::<D, B, f64>::from_fn(|i, b| 0.5 * i as f64 - 0.9 * b as f64);
    let mean: f64 = (0..3).map(|b| net.loss(&xs.column(b))).sum::<f64>() / 3.0;
    assert!((net.loss_batch(&xs) - mean).abs() < 1e-12);
}

#[test]
fn a_function_of_the_net_is_its_body_where_it_is_called() {
    let net = Gated { W: w(), U: Matrix::from_fn(|i, j| 0.3 * (i as f64 - j as f64)) };
    let (a, b) = (&net.W * &x(), &net.U * &x());
    // hs and hardswish cancel: the loss is Σ h², h = σ(a) ⊙ tanh(b).
    let want: f64 = (0..4).map(|i| (sigmoid(a[i]) * b[i].tanh()).powi(2)).sum();
    assert!((net.loss(&x()) - want).abs() < 1e-12, "{} vs {want}", net.loss(&x()));
    assert!(net.gradcheck(&x()).is_ok(1e-6));
    let shared = Shared { W: w() };
    let a = &shared.W * &x();
    let want: f64 = (0..4).map(|i| sigmoid(2.0 * a[i]) * a[i].tanh()).sum();
    assert!((shared.loss(&x()) - want).abs() < 1e-12);
    assert!(shared.gradcheck(&x()).is_ok(1e-6));
}

net! {
    /// The fused `swish` kernel beside its composite `silu` (`x ⊙ σ(x)`).
    pub net FusedAndComposite {
        param W: [H, D];
        input x: [D];
        let z = W @ x;
        loss sum(swish(z) * z) - sum(silu(z) * z) + 0.25 * sum(silu(z));
    }
}

/// A fused kernel is kept for speed; it must equal its composite: here the
/// two cancel, leaving `Σ silu(z) / 4`, and so do their gradients.
#[test]
fn the_fused_swish_equals_its_composite_silu() {
    let net = FusedAndComposite { W: w() };
    let z = &net.W * &x();
    let want: f64 = z.as_slice().iter().map(|&v| 0.25 * v * sigmoid(v)).sum();
    assert!((net.loss(&x()) - want).abs() < 1e-12);
    let (_, g) = net.grad(&x());
    for i in 0..4 {
        let v = z[i];
        let d = 0.25 * (sigmoid(v) + v * sigmoid(v) * (1.0 - sigmoid(v)));
        for j in 0..5 {
            assert!((g.W[(i, j)] - d * x()[j]).abs() < 1e-12, "∂W[{i}, {j}]");
        }
    }
}

net! {
    /// A negative literal argument is a number: a slope below zero.
    pub net NegativeSlope {
        param W: [H, D];
        input x: [D];
        loss sum(leaky_relu(W @ x, -0.1)) + sum(max(W @ x, -0.5));
    }
}

#[test]
fn a_negative_literal_is_a_number_where_one_is_read() {
    let net = NegativeSlope { W: w() };
    let z = &net.W * &x();
    let want: f64 = z.as_slice().iter().map(|&v| if v > 0.0 { v } else { -0.1 * v } + v.max(-0.5)).sum();
    assert!((net.loss(&x()) - want).abs() < 1e-12, "{} vs {want}", net.loss(&x()));
    assert!(net.gradcheck(&x()).is_ok(1e-6));
}

#[test]
fn the_derivation_names_each_function_and_defines_it_once() {
    let d = Composites::derivation();
    // ∂z through each composite, by its name, its derivative built once.
    assert!(d.contains("∂z = hardswish′(z) + hardtanh′(z) + relu6′(z) + silu′(z) + mish′(z)"), "{d}");
    assert!(d.contains("where silu(x) = x * sigmoid(x), so silu′(z) = σ(z)(1 + z(1 − σ(z)))"), "{d}");
    assert!(d.contains("where hardsigmoid(x) = relu6(x + 3) / 6, so hardsigmoid′(z) ="), "{d}");
    assert_eq!(d.matches("where hardswish(x)").count(), 1, "{d}");
    // A function of the net's own, called on an expression.
    let g = Gated::derivation();
    assert!(g.contains("hs′(h ⊙ 4)") && g.contains("where hs(v) = v * min(max(v + 3, 0), 6) / 6"), "{g}");
    assert!(Composites::derivation_latex().contains("\\operatorname{hardswish}'(z)"));
    // An adjoint that is one function's derivative alone is printed by its name too.
    let one = OneFunction::derivation();
    assert!(one.contains("∂z = hs′(z) ") && one.contains("∂W = hs′(z) xᵀ "), "{one}");
}

net! {
    fn hs(v) = v * min(max(v + 3.0, 0.0), 6.0) / 6.0;

    /// A recurrence whose step applies a function of the net.
    pub net Recurrent {
        param Wx: [H, D];
        param Wh: [H, H];
        input xs: [B, D];
        input h0: [H];
        for t in B {
            init h = h0;
            let h[t] = hs(Wx @ xs[t] + Wh @ h[t - 1]);
        }
        loss sum(h[B - 1]);
    }
}

#[test]
fn a_function_in_a_recurrence_is_differentiated_and_printed_by_name() {
    let net = Recurrent { Wx: w(), Wh: Matrix::from_fn(|i, j| 0.4 * ((i * 4 + j) as f64 * 0.9).cos()) };
    let xs = Matrix::<B, D, f64>::from_fn(|t, j| 0.6 * j as f64 - 0.8 * t as f64);
    let h0 = Vector::<H, f64>::from_fn(|i, _| 0.3 * i as f64 - 0.5);
    // The recurrence by hand: h ← hardswish(Wx x[t] + Wh h).
    let mut h = h0.clone();
    for t in 0..3 {
        let x = Vector::<D, f64>::from_fn(|j, _| xs[(t, j)]);
        let a = &(&net.Wx * &x) + &(&net.Wh * &h);
        h = a.map(|v| v * (v + 3.0).clamp(0.0, 6.0) / 6.0);
    }
    assert!((net.loss(&xs, &h0) - h.sum()).abs() < 1e-12);
    let report = net.gradcheck(&xs, &h0);
    assert!(report.is_ok(1e-6), "{report}");
    let d = Recurrent::derivation();
    assert!(d.contains("hs′("), "{d}");
    assert!(d.contains("where hs(v) = v * min(max(v + 3, 0), 6) / 6, so hs′("), "{d}");
}
