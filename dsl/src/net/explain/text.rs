//! The derivation's text: generic dims marked for instantiation, widths
//! without the marks, long lines wrapped, names as LaTeX writes them.

/// How a generic dim is marked in a derivation: `\u{1}M\u{2}`, so that a
/// generic net's `derivation()` can write the dims it is instantiated with
/// (`shapegrad::derivation::instantiate` replaces the marks; the two crates
/// agree on these characters).
pub(super) const OPEN: char = '\u{1}';
pub(super) const CLOSE: char = '\u{2}';

/// A derivation's text without its marks: the generic dims by their names.
pub fn plain(s: &str) -> String {
    s.chars().filter(|&c| c != OPEN && c != CLOSE).collect()
}

const GREEK: [&str; 19] = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa", "lambda", "mu", "nu",
    "xi", "pi", "rho", "sigma", "tau", "phi", "omega",
];

/// A name in LaTeX; see `Printer::name`.
pub(super) fn latex_name(name: &str) -> String {
    // A layer's name path, `blocks.3.W1`: each part by itself.
    if name.contains('.') {
        return name.split('.').map(latex_name).collect::<Vec<_>>().join(".");
    }
    // A call's value, `r₂` (the second call of `r`): a subscript.
    if let Some(i) = name.find(|c: char| ('₀'..='₉').contains(&c)).filter(|&i| i > 0) {
        let (base, sub) = name.split_at(i);
        let digits: String =
            sub.chars().map(|c| char::from_digit(c as u32 - '₀' as u32, 10).unwrap_or(c)).collect();
        return format!("{{{}}}_{{{digits}}}", latex_name(base));
    }
    let word = |w: &str| {
        if GREEK.contains(&w) {
            format!("\\{w}")
        } else if w.chars().count() > 1 {
            format!("\\text{{{}}}", w.replace('_', "\\_"))
        } else {
            w.to_string()
        }
    };
    let sub = |s: &str| {
        if s.chars().count() == 1 || s.chars().all(|c| c.is_ascii_digit()) { s.to_string() } else { word(s) }
    };
    if let Some((base, rest)) = name.split_once('_').filter(|(b, r)| !b.is_empty() && !r.is_empty()) {
        return format!("{}_{{{}}}", word(base), sub(rest));
    }
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 && digits < name.len() {
        let (base, d) = name.split_at(name.len() - digits);
        return format!("{}_{{{d}}}", word(base));
    }
    let mut chars = name.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some(b), Some(s), None) if b.is_alphabetic() && s.is_alphanumeric() && !GREEK.contains(&name) => {
            format!("{b}_{{{s}}}")
        }
        _ => word(name),
    }
}

/// The width of `s` as printed: its characters, marks left out.
pub(super) fn width(s: &str) -> usize {
    s.chars().filter(|&c| c != OPEN && c != CLOSE).count()
}

/// `s` in lines of at most `width` characters where it can be: broken only
/// before a `+`, `−`, `-` or `=` outside every bracket, the operator starting
/// the next line. A part with no such place stays whole.
pub(super) fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        match c {
            '(' | '[' | '{' | '⟨' => depth += 1,
            ')' | ']' | '}' | '⟩' => depth -= 1,
            ' ' if depth == 0 => {
                let next = chars.get(k + 1).map(|&(_, c)| c);
                let after = chars.get(k + 2).map(|&(_, c)| c);
                if matches!(next, Some('+' | '−' | '-' | '=')) && after == Some(' ') && i > start {
                    parts.push(s[start..i].to_string());
                    start = i + 1;
                }
            }
            _ => {}
        }
    }
    parts.push(s[start..].to_string());
    let mut lines: Vec<String> = Vec::new();
    for part in parts {
        match lines.last_mut() {
            Some(line) if self::width(line) + 1 + self::width(&part) <= width => {
                line.push(' ');
                line.push_str(&part);
            }
            _ => lines.push(part),
        }
    }
    lines
}

/// A size in LaTeX: a name of several letters upright (`\\text{Hidden}`),
/// a derived size's operators as math (`\\text{F2} \\cdot (\\text{Rows}/4)`).
pub fn latex_size(text: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.chars().count() > 1 && word.chars().next().is_some_and(char::is_alphabetic) {
            out.push_str(&format!("\\text{{{word}}}"));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '_' {
            word.push(ch);
            continue;
        }
        flush(&mut word, &mut out);
        match ch {
            '·' => out.push_str(" \\cdot "),
            '−' => out.push_str(" - "),
            '+' => out.push_str(" + "),
            '×' => out.push_str(" \\times "),
            c => out.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}
