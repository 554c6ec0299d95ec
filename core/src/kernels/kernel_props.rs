//! Property tests: every path of the product kernel — the plain loops, the
//! loops compiled for AVX2/FMA (with their matrix·vector FMA loops), the packed AVX2 kernel, and the dispatcher
//! that picks among them — against a naive triple loop in f64, on random
//! shapes (odd sizes, partial 6×16 tiles, more than one 256-deep block of
//! `k`, more than one 2048-wide block of `n`), transposes, scalings and
//! accumulation.

use proptest::prelude::*;

use crate::kernel::gemm;
use crate::loops::{Op, Product, gemm_loops};

/// `alpha·op(a)·op(b) (+ c)` by its definition, in f64.
#[allow(clippy::too_many_arguments)]
fn naive(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    ta: bool,
    b: &[f32],
    tb: bool,
    alpha: f32,
    c: &[f32],
    acc: bool,
) -> Vec<f64> {
    let at = |i: usize, p: usize| f64::from(if ta { a[p * m + i] } else { a[i * k + p] });
    let bt = |p: usize, j: usize| f64::from(if tb { b[j * k + p] } else { b[p * n + j] });
    (0..m * n)
        .map(|ij| {
            let (i, j) = (ij / n, ij % n);
            let dot: f64 = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
            f64::from(alpha) * dot + if acc { f64::from(c[ij]) } else { 0.0 }
        })
        .collect()
}

fn values(len: usize, seed: u64) -> Vec<f32> {
    (0..len).map(|i| (((i as u64).wrapping_mul(2654435761) ^ seed) % 1000) as f32 / 500.0 - 1.0).collect()
}

fn shape() -> impl Strategy<Value = (usize, usize, usize)> {
    prop_oneof![
        (1usize..40, 1usize..40, 1usize..40),
        (1usize..20, 1usize..70, 250usize..300),
        (6usize..13, 2040usize..2060, 8usize..12),
        // Matrix·vector and vector·matrix products (the thin FMA loops):
        // rows in fours and a remainder, columns in 64s, 8s and a remainder.
        (1usize..150, Just(1usize), 1usize..300),
        (Just(1usize), 1usize..150, 1usize..300),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_kernel_path_is_the_naive_product(
        (m, n, k) in shape(),
        ta: bool,
        tb: bool,
        acc: bool,
        alpha in prop_oneof![Just(1.0f32), -2.0f32..2.0],
        seed: u64,
    ) {
        let (a, b, c0) = (values(m * k, seed), values(k * n, seed ^ 7), values(m * n, seed ^ 13));
        let want = naive(m, n, k, &a, ta, &b, tb, alpha, &c0, acc);
        let op = |t: bool| if t { Op::T } else { Op::N };
        let p = Product { m, n, k, alpha, a: &a, op_a: op(ta), b: &b, op_b: op(tb), accumulate: acc };
        let mut paths: Vec<(&str, Vec<f32>)> = Vec::new();
        let mut c = c0.clone();
        gemm_loops(p, &mut c);
        paths.push(("loops", c));
        let mut c = c0.clone();
        gemm(p, &mut c);
        paths.push(("dispatch", c));
        #[cfg(target_arch = "x86_64")]
        if crate::simd::avx2_available() {
            let mut c = c0.clone();
            // SAFETY: AVX2 and FMA are present (checked just above).
            unsafe { crate::simd::loops(p, &mut c) };
            paths.push(("avx2 loops", c));
            for isa in crate::simd::Isa::supported() {
                let mut c = c0.clone();
                crate::simd::sgemm_on(isa, p, &mut c);
                paths.push((isa.name(), c));
            }
        }
        let tol = 1e-5 * (k as f64 + 1.0);
        for (name, got) in paths {
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                prop_assert!((f64::from(*g) - w).abs() <= tol * (1.0 + w.abs()), "{name} {m}×{n}×{k} ta {ta} tb {tb} acc {acc}: [{i}] {g} vs {w}");
            }
        }
    }
}
