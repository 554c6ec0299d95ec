//! Softmax cross-entropy at logits of ±1e4 and ±1e30, in f32 and f64:
//! finite, and equal to the stable closed form `logsumexp(z) − z_y` with
//! gradient `softmax(z) − onehot(y)`, computed here in f64.

use shapegrad::prelude::*;

dims! { C = 4; }

net! {
    net Ce {
        param b: [C];
        input z: [C];
        label y: C;
        loss softmax_cross_entropy(z + b, y);
    }
}

/// `(loss, gradient)` of softmax cross-entropy by its definition, shifted
/// by the largest logit so that nothing overflows.
fn closed_form(z: &[f64], y: usize) -> (f64, Vec<f64>) {
    let m = z.iter().cloned().fold(f64::MIN, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let sum: f64 = e.iter().sum();
    let loss = (m - z[y]) + sum.ln();
    (loss, e.iter().enumerate().map(|(i, v)| v / sum - f64::from(i == y)).collect())
}

fn check<T: Scalar>(z: [f64; 4], tol: f64) {
    for y in 0..4 {
        let net = Ce::<T>::zeros();
        let zt = Vector::<C, T>::from_fn(|i, _| T::from_f64(z[i]));
        let (loss, g) = net.grad(&zt, Class::new(y).unwrap());
        // The logits as the element type holds them.
        let held: Vec<f64> = zt.as_slice().iter().map(|v| v.to_f64()).collect();
        let (want, want_g) = closed_form(&held, y);
        let loss = loss.to_f64();
        assert!(loss.is_finite(), "{z:?}, y = {y}: loss {loss}");
        assert!((loss - want).abs() <= tol * want.abs().max(1.0), "{z:?}, y = {y}: {loss} vs {want}");
        for (i, (a, b)) in g.b.as_slice().iter().zip(&want_g).enumerate() {
            let a = a.to_f64();
            assert!(a.is_finite() && (a - b).abs() <= tol, "{z:?}, y = {y}: ∂b[{i}] {a} vs {b}");
        }
    }
}

#[test]
fn extreme_logits_give_finite_correct_losses_and_gradients() {
    for scale in [1e4, 1e30] {
        for z in [
            [scale, -scale, 0.0, 1.0],
            [-scale, -scale, -scale, -scale],
            [scale, scale, -scale, 0.5],
            [-scale, 2.0, -scale, scale],
            [scale, scale, scale, scale],
        ] {
            check::<f64>(z, 1e-12);
            check::<f32>(z, 1e-6);
        }
    }
}
