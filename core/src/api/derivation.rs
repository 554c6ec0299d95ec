//! The derived backward pass `net!` prints: for every element type, and for
//! a generic net in the names of the dims it is instantiated with.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// A net's derived backward pass, one line per adjoint with its shape: for
/// every element type (`TwoLayer::<f64>::derivation()`). `net!` implements
/// it; the default element type also has it as an inherent function, so
/// `TwoLayer::derivation()` needs no import.
pub trait Derivation {
    /// The derivation as text.
    fn derivation() -> &'static str;
    /// The derivation as a LaTeX `aligned` block.
    fn derivation_latex() -> &'static str;
}

/// Marks a generic dim in a derivation's template: `\u{1}M\u{2}` for `M`.
pub const OPEN: char = '\u{1}';
/// Ends a mark; see [`OPEN`].
pub const CLOSE: char = '\u{2}';

/// `template` with each marked generic dim `generics[i]` written as
/// `names[i]` (in LaTeX, a name of several letters upright: `\text{Hidden}`),
/// built once per instantiation `K` and template, then shared (a lookup per
/// call; a string per instantiation stays allocated).
pub fn instantiate<K: 'static>(
    template: &'static str,
    generics: &[&str],
    names: &[&str],
    latex: bool,
) -> &'static str {
    static DONE: OnceLock<Mutex<HashMap<(TypeId, usize), &'static str>>> = OnceLock::new();
    let key = (TypeId::of::<K>(), template.as_ptr() as usize);
    let done = DONE.get_or_init(Default::default);
    // A poisoned lock only means another thread panicked mid-insert; the map is still valid.
    let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
    done.entry(key).or_insert_with(|| {
        let upright: Vec<String> = names
            .iter()
            .map(|n| if latex && n.chars().count() > 1 { format!("\\text{{{n}}}") } else { n.to_string() })
            .collect();
        let names: Vec<&str> = upright.iter().map(String::as_str).collect();
        Box::leak(substitute(template, generics, &names).into_boxed_str())
    })
}

/// `template` with its marks replaced: a marked `generics[i]` by `names[i]`,
/// any other marked name by itself.
pub fn substitute(template: &str, generics: &[&str], names: &[&str]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len_utf8()..];
        let end = after.find(CLOSE).unwrap_or(after.len());
        let name = &after[..end];
        let i = generics.iter().position(|g| *g == name);
        out.push_str(i.and_then(|i| names.get(i)).copied().unwrap_or(name));
        rest = after.get(end + CLOSE.len_utf8()..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_dims_take_the_instantiated_names() {
        let t = "∂W = z xᵀ   [\u{1}M\u{2}×\u{1}N\u{2}]\nmean over \u{1}M\u{2}·\u{1}N\u{2}";
        assert_eq!(
            substitute(t, &["M", "N"], &["Hidden", "Input"]),
            "∂W = z xᵀ   [Hidden×Input]\nmean over Hidden·Input"
        );
        assert_eq!(
            substitute(t, &[], &[]),
            "∂W = z xᵀ   [M×N]\nmean over M·N",
            "unknown marks keep their names"
        );
        static T: &str = "[\u{1}M\u{2}]";
        let a = instantiate::<(u8,)>(T, &["M"], &["H"], false);
        assert_eq!(a, "[H]");
        assert!(std::ptr::eq(a, instantiate::<(u8,)>(T, &["M"], &["H"], false)), "built once");
        assert_eq!(instantiate::<(u16,)>(T, &["M"], &["D"], false), "[D]");
        static L: &str = "[\u{1}M\u{2} \\times \u{1}N\u{2}]";
        assert_eq!(
            instantiate::<(u32,)>(L, &["M", "N"], &["Hidden", "N"], true),
            "[\\text{Hidden} \\times N]"
        );
    }
}
