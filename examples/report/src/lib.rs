//! What the training examples report while and after they train (a
//! progress bar, the loss and accuracies per epoch, a plot), and where they
//! write. A crate of its own so that it is compiled once, not with each
//! example: editing an example's net then rebuilds the example alone.

pub mod plot;
pub mod progress;

/// Folder `name` in cargo's target directory, the one the running example
/// was built into (`target/` by default, or `CARGO_TARGET_DIR`), from
/// wherever it runs.
pub fn out_dir(name: &str) -> std::path::PathBuf {
    // The example runs as `<target>/<profile>/examples/<example>`.
    let exe = std::env::current_exe().ok();
    let target = exe.as_deref().and_then(|p| p.ancestors().nth(3)).unwrap_or(std::path::Path::new("target"));
    target.join(name)
}

/// The index of the largest value.
pub fn argmax(v: &[f32]) -> usize {
    v.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i)
}
