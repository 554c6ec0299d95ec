//! Marks the ONNX tests as ignored, not passed, where no Python with
//! onnxruntime is named: `SHAPEGRAD_PYTHON` (or `CI`, where a missing
//! interpreter is a failure, not a skip) turns on `cfg(onnxruntime)`.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=SHAPEGRAD_PYTHON");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rustc-check-cfg=cfg(onnxruntime)");
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("SHAPEGRAD_PYTHON") || set("CI") {
        println!("cargo::rustc-cfg=onnxruntime");
    }
}
