//! Composite functions: each defined once from other functions and
//! operators of `net!` (one line below: name, parameters, definition), so
//! it needs no kernel, no derivative op and no ONNX code — a call is
//! expanded into its definition where it is written (`check::functions`)
//! and every rule of those ops applies. The derivation names it, with its
//! derivative built once (`hardswish′(z)`, `check::functions`).

/// `(name, parameters, definition)`.
pub const COMPOSITES: &[(&str, &[&str], &str)] = &[
    ("hardswish", &["x"], "x * min(max(x + 3.0, 0.0), 6.0) / 6.0"),
    ("hardtanh", &["x"], "max(min(x, 1.0), -1.0)"),
    ("relu6", &["x"], "min(relu(x), 6.0)"),
    ("silu", &["x"], "x * sigmoid(x)"),
    ("mish", &["x"], "x * tanh(softplus(x))"),
    ("softsign", &["x"], "x / (1.0 + abs(x))"),
    ("hardsigmoid", &["x"], "relu6(x + 3.0) / 6.0"),
];

/// The parameters and definition of composite `name`.
pub fn composite(name: &str) -> Option<(&'static [&'static str], &'static str)> {
    COMPOSITES.iter().find(|c| c.0 == name).map(|c| (c.1, c.2))
}

/// Every composite's name.
pub fn composite_names() -> Vec<&'static str> {
    COMPOSITES.iter().map(|c| c.0).collect()
}
