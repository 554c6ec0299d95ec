//! The generated methods exist twice on x86-64, compiled for the baseline
//! instruction set and for AVX2/FMA, chosen at run time. Both copies must
//! compute the same bits (the compiler may not reorder or fuse floating-point
//! operations), so results never depend on the processor; and the chosen
//! copy's gradients match central differences.

#![cfg(target_arch = "x86_64")]

use shapegrad::prelude::*;

mod seeds;

use seeds::{Autoencoder, AutoencoderBatchWorkspace, AutoencoderGrad, AutoencoderWorkspace};
use seeds::{TwoLayer, TwoLayerGrad, TwoLayerWorkspace};

fn has_avx2() -> bool {
    let yes = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    if !yes {
        eprintln!("skipped: this processor lacks AVX2 or FMA, so only the baseline copy exists to run");
    }
    yes
}

fn bits<T: Into<f64> + Copy>(v: &[T]) -> Vec<u64> {
    v.iter().map(|&x| x.into().to_bits()).collect()
}

#[test]
fn both_copies_of_a_small_nets_methods_compute_the_same_bits() {
    if !has_avx2() {
        return;
    }
    dims! { D = 8; H = 16; C = 4; }
    let net = TwoLayer::<D, H, C, f32>::init(7);
    let mut ws = TwoLayerWorkspace::<D, H, C, f32>::new();
    for k in 0..20 {
        let x = Vector::<D, f32>::from_fn(|i, _| ((i * 7 + k * 3) as f32 * 0.37).sin() * 3.0);
        let y = Class::<C>::new(k % 4).unwrap();
        let (mut g0, mut g1) = (TwoLayerGrad::<D, H, C, f32>::zeros(), TwoLayerGrad::<D, H, C, f32>::zeros());
        let l0 = net.__grad_into_base(&mut ws, &x, y, &mut g0);
        // SAFETY: AVX2 and FMA were detected above.
        let l1 = unsafe { net.__grad_into_avx2(&mut ws, &x, y, &mut g1) };
        assert_eq!(l0.to_bits(), l1.to_bits(), "loss, example {k}");
        assert_eq!(bits(g0.W1.as_slice()), bits(g1.W1.as_slice()), "∂W1, example {k}");
        assert_eq!(bits(g0.W2.as_slice()), bits(g1.W2.as_slice()), "∂W2, example {k}");
        assert_eq!(bits(g0.b1.as_slice()), bits(g1.b1.as_slice()), "∂b1, example {k}");
        assert_eq!(bits(g0.b2.as_slice()), bits(g1.b2.as_slice()), "∂b2, example {k}");
        let z0 = net.__forward_with_base(&mut ws, &x);
        // SAFETY: as above.
        let z1 = unsafe { net.__forward_with_avx2(&mut ws, &x) };
        assert_eq!(bits(z0.as_slice()), bits(z1.as_slice()), "forward, example {k}");
        // SAFETY: as above.
        let l2 = unsafe { net.__loss_with_avx2(&mut ws, &x, y) };
        assert_eq!(net.__loss_with_base(&mut ws, &x, y).to_bits(), l2.to_bits(), "loss_with, example {k}");
    }
}

#[test]
fn both_copies_of_a_batched_and_a_boxed_net_compute_the_same_bits() {
    if !has_avx2() {
        return;
    }
    dims! { M = 24; N = 40; B = 5; }
    let net = Autoencoder::<M, N, f64>::init(3);
    let x = Vector::<N, f64>::from_fn(|i, _| (i as f64 * 0.3).cos());
    let mut ws = AutoencoderWorkspace::<M, N, f64>::new();
    let (mut g0, mut g1) = (AutoencoderGrad::<M, N, f64>::zeros(), AutoencoderGrad::<M, N, f64>::zeros());
    let l0 = net.__grad_into_base(&mut ws, &x, &mut g0);
    // SAFETY: AVX2 and FMA were detected above.
    let l1 = unsafe { net.__grad_into_avx2(&mut ws, &x, &mut g1) };
    assert_eq!(l0.to_bits(), l1.to_bits());
    assert_eq!(bits(g0.W.as_slice()), bits(g1.W.as_slice()));

    let xs = Matrix::<N, B, f64>::from_fn(|i, j| ((i + 3 * j) as f64 * 0.21).sin());
    let mut wb = AutoencoderBatchWorkspace::<M, N, B, f64>::new();
    let l0 = net.__grad_batch_into_base(&mut wb, &xs, &mut g0);
    // SAFETY: as above.
    let l1 = unsafe { net.__grad_batch_into_avx2(&mut wb, &xs, &mut g1) };
    assert_eq!(l0.to_bits(), l1.to_bits());
    assert_eq!(bits(g0.W.as_slice()), bits(g1.W.as_slice()));
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
