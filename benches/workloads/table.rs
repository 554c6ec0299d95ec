//! The table of the README's performance section, from criterion's results.

use std::path::Path;

/// Median time in µs of `group/name`, from criterion's `estimates.json`.
fn median_us(group: &str, name: &str) -> Option<f64> {
    // Criterion writes under the workspace's target directory; a benchmark
    // runs in its package's directory, `benches/`.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("criterion").join(group).join(name).join("new/estimates.json");
    let json = std::fs::read_to_string(path).ok()?;
    let median = &json[json.find("\"median\"")?..];
    let value = &median[median.find("\"point_estimate\":")? + 17..];
    let end = value.find([',', '}'])?;
    value[..end].trim().parse::<f64>().ok().map(|ns| ns / 1000.0)
}

pub fn print() {
    let rows = [
        ("problem 1 autoencoder, 4×8", "autoencoder_4x8", "nalgebra", 0.8),
        ("problem 3 two-layer, 8-16-4", "two_layer_8_16_4", "nalgebra", 0.8),
        ("autoencoder 64×256", "autoencoder_64x256", "nalgebra", 0.8),
        ("two-layer 784-128-10, batch 64", "two_layer_784_128_10_b64", "nalgebra", 0.7),
        ("digits CNN (32, 64 kernels), batch 32", "cnn_digits_b32", "hand", 1.0),
    ];
    println!(
        "\nkernel: {} (chosen at run time; SHAPEGRAD_KERNEL=avx2 or =portable to compare)",
        shapegrad::kernel_isa()
    );
    println!(
        "\n| workload | shapegrad µs (documented: `grad`, `grad_batch`) | shapegrad µs (`_into`) | reference | reference µs | ratio (documented) | target |"
    );
    println!("|---|---:|---:|---|---:|---:|---:|");
    for (label, group, reference, target) in rows {
        if let (Some(d), Some(s), Some(n)) = (
            median_us(group, "shapegrad_documented"),
            median_us(group, "shapegrad"),
            median_us(group, reference),
        ) {
            let ok = if d / n <= target { "met" } else { "missed" };
            println!(
                "| {label} | {d:.3} | {s:.3} | {reference} | {n:.3} | {:.2}× | ≤ {target:.1}× ({ok}) |",
                d / n
            );
        }
    }
    if let (Some(t), Some(s), Some(s_into)) = (
        median_us("sgemm_512", "gemm"),
        median_us("block_d64_t64_b32", "shapegrad_documented"),
        median_us("block_d64_t64_b32", "shapegrad"),
    ) {
        let peak = 2.0 * 512f64.powi(3) / (t * 1e3);
        let achieved = crate::block::FLOPS / (s * 1e3);
        println!(
            "
transformer block (D 64, F 256, V 64, T 64, batch 32; the contract's, loss and every gradient, f32): grad_batch {:.0} µs (grad_batch_into {:.0} µs), {:.1} MFLOP at {achieved:.1} GFLOP/s = {:.0}% of the sgemm peak; PyTorch eager on one core: `benches/pytorch/block_step.py`",
            s,
            s_into,
            crate::block::FLOPS / 1e6,
            100.0 * achieved / peak
        );
    }
    if let (Some(t), Some(s)) =
        (median_us("sgemm_512", "gemm"), median_us("two_layer_784_128_10_b64", "shapegrad_documented"))
    {
        let peak = 2.0 * 512f64.powi(3) / (t * 1e3);
        // Forward W1X, W2H; backward ∂W2, ∂H, ∂W1 (no ∂X): 2·(784·128 + 128·10)·64·… FLOPs.
        let flops = 2.0 * 64.0 * (2.0 * 784.0 * 128.0 + 3.0 * 128.0 * 10.0);
        let achieved = flops / (s * 1e3);
        println!(
            "\nsgemm peak (gemm crate with x86-v4, 512³, one core): {peak:.1} GFLOP/s; the 784-128-10 step (grad_batch) is {:.1} MFLOP: {achieved:.1} GFLOP/s = {:.0}% of peak (target ≥ 75%)",
            flops / 1e6,
            100.0 * achieved / peak
        );
    }
}
