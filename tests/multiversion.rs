//! The generated methods exist twice on x86-64, compiled for the baseline
//! instruction set and for AVX2/FMA, chosen at run time. The AVX2 copy runs
//! small `f32` products in fused multiply-adds (and rank-2 updates with one
//! fused multiply-add per element), so the two copies agree to within
//! rounding, not bit for bit; each copy's gradients match an `f64`
//! reference that is itself checked against central differences.

#![cfg(target_arch = "x86_64")]

use shapegrad::isa::{Avx2, Portable};
use shapegrad::prelude::*;

mod seeds;

use seeds::{Autoencoder, AutoencoderBatchWorkspace, AutoencoderGrad, AutoencoderWorkspace};
use seeds::{TwoLayer, TwoLayerGrad, TwoLayerWorkspace};

/// The token, or `None` on a processor without AVX2 and FMA, where only the
/// baseline copy exists to run; under `CI` that is a failure (CI's machines
/// have both), so a check is never skipped unseen there.
fn avx2() -> Option<Avx2> {
    let token = Avx2::detect();
    if token.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs on a processor without AVX2 and FMA: the AVX2 copy is untested"
        );
        eprintln!("skipped: this processor lacks AVX2 or FMA, so only the baseline copy exists to run");
    }
    token
}

/// `a` and `b` agree to within `tol` of the larger magnitude in `b`.
fn close<T: Into<f64> + Copy>(a: &[T], b: &[T], tol: f64, what: &str) {
    let scale = b.iter().fold(1.0f64, |m, &x| m.max(x.into().abs()));
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        let (x, y) = (x.into(), y.into());
        assert!((x - y).abs() <= tol * scale, "{what}[{i}]: {x} against {y}");
    }
    assert_eq!(a.len(), b.len(), "{what}");
}

#[test]
fn both_copies_of_a_small_nets_methods_agree_and_match_f64() {
    let Some(isa) = avx2() else { return };
    dims! { D = 8; H = 16; C = 4; }
    let net = TwoLayer::<D, H, C, f32>::init(7);
    let wide = net.cast::<f64>();
    let mut ws = TwoLayerWorkspace::<D, H, C, f32>::new();
    for k in 0..20 {
        let x = Vector::<D, f32>::from_fn(|i, _| ((i * 7 + k * 3) as f32 * 0.37).sin() * 3.0);
        let y = Class::<C>::new(k % 4).unwrap();
        let (mut g0, mut g1) = (TwoLayerGrad::<D, H, C, f32>::zeros(), TwoLayerGrad::<D, H, C, f32>::zeros());
        let l0 = net.__grad_into_base(Portable, &mut ws, &x, y, &mut g0);
        // SAFETY: the token proves AVX2 and FMA.
        let l1 = unsafe { net.__grad_into_avx2(isa, &mut ws, &x, y, &mut g1) };
        // The reference: the same net in f64 (its gradient is checked
        // against central differences by `gradcheck` below).
        let (l, g) = wide.grad(&x.cast::<f64>(), y);
        for (copy, (lc, gc)) in [("portable", (l0, &g0)), ("AVX2", (l1, &g1))] {
            let what = format!("{copy} copy, example {k}");
            close(&[f64::from(lc)], &[l], 1e-5, &format!("loss, {what}"));
            close(gc.W1.cast::<f64>().as_slice(), g.W1.as_slice(), 1e-5, &format!("∂W1, {what}"));
            close(gc.b1.cast::<f64>().as_slice(), g.b1.as_slice(), 1e-5, &format!("∂b1, {what}"));
            close(gc.W2.cast::<f64>().as_slice(), g.W2.as_slice(), 1e-5, &format!("∂W2, {what}"));
            close(gc.b2.cast::<f64>().as_slice(), g.b2.as_slice(), 1e-5, &format!("∂b2, {what}"));
        }
        let z0 = net.__forward_with_base(Portable, &mut ws, &x);
        // SAFETY: as above.
        let z1 = unsafe { net.__forward_with_avx2(isa, &mut ws, &x) };
        close(z1.as_slice(), z0.as_slice(), 1e-6, &format!("forward, example {k}"));
        // SAFETY: as above.
        let l2 = unsafe { net.__loss_with_avx2(isa, &mut ws, &x, y) };
        close(
            &[l2],
            &[net.__loss_with_base(Portable, &mut ws, &x, y)],
            1e-6,
            &format!("loss_with, example {k}"),
        );
        // The documented methods (the AVX2 copy here) give what `grad_into` gives.
        let (l3, g3) = net.grad(&x, y);
        assert_eq!((l3.to_bits(), g3.W1.as_slice()), (l1.to_bits(), g1.W1.as_slice()), "grad, example {k}");
        assert_eq!(net.loss(&x, y).to_bits(), l2.to_bits(), "loss, example {k}");
        assert_eq!(net.forward(&x).as_slice(), z1.as_slice(), "forward, example {k}");
    }
}

#[test]
fn both_copies_of_a_batched_and_a_boxed_net_agree() {
    let Some(isa) = avx2() else { return };
    dims! { M = 24; N = 40; B = 5; }
    let net = Autoencoder::<M, N, f64>::init(3);
    let x = Vector::<N, f64>::from_fn(|i, _| (i as f64 * 0.3).cos());
    let mut ws = AutoencoderWorkspace::<M, N, f64>::new();
    let (mut g0, mut g1) = (AutoencoderGrad::<M, N, f64>::zeros(), AutoencoderGrad::<M, N, f64>::zeros());
    let l0 = net.__grad_into_base(Portable, &mut ws, &x, &mut g0);
    // SAFETY: the token proves AVX2 and FMA.
    let l1 = unsafe { net.__grad_into_avx2(isa, &mut ws, &x, &mut g1) };
    close(&[l1], &[l0], 1e-13, "loss");
    close(g1.W.as_slice(), g0.W.as_slice(), 1e-13, "∂W");

    let xs = Matrix::<N, B, f64>::from_fn(|i, j| ((i + 3 * j) as f64 * 0.21).sin());
    let mut wb = AutoencoderBatchWorkspace::<M, N, B, f64>::new();
    let l0 = net.__grad_batch_into_base(Portable, &mut wb, &xs, &mut g0);
    // SAFETY: as above.
    let l1 = unsafe { net.__grad_batch_into_avx2(isa, &mut wb, &xs, &mut g1) };
    close(&[l1], &[l0], 1e-13, "batch loss");
    close(g1.W.as_slice(), g0.W.as_slice(), 1e-13, "batch ∂W");
}

#[test]
fn the_chosen_copy_matches_central_differences() {
    dims! { D = 8; H = 16; C = 4; }
    let net = TwoLayer::<D, H, C, f32>::init(11);
    let x = Vector::<D, f32>::from_fn(|i, _| (i as f32 * 0.9).sin());
    for k in 0..4 {
        let report = net.gradcheck(&x, Class::<C>::new(k).unwrap());
        assert!(report.is_ok(1e-7), "{report}");
    }
    dims! { M = 4; N = 8; }
    let ae = Autoencoder::<M, N, f32>::init(1);
    let report = ae.gradcheck(&Vector::<N, f32>::from_fn(|i, _| (i as f32 * 0.7).sin()));
    assert!(report.is_ok(1e-7), "{report}");
}
