//! The page in a real browser: headless Chromium (Debian's `chromium`;
//! `.ci/run` installs it) loads the pages of the two homework nets, the
//! digits CNN, the attention block and a net with an error; its DOM (after
//! the browser parsed the HTML, SVG and MathML) has every `let` with its
//! shape, one graph node per value, one MathML row per adjoint, and the
//! error at its line; and it renders a screenshot. Without Chromium the test
//! says so and passes only outside CI.

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        let ok = Command::new(name).arg("--version").output().ok()?.status.success();
        ok.then(|| PathBuf::from(name))
    })
}

fn root(file: &str) -> String {
    format!("{}/../{file}", env!("CARGO_MANIFEST_DIR"))
}

/// The page of `source` (a path) written into `dir`, and the DOM Chromium makes of it.
fn dom(browser: &Path, dir: &Path, source: &str) -> String {
    let name = Path::new(source).file_name().unwrap().to_string_lossy().into_owned();
    let page = dir.join(format!("{name}.html"));
    let out = Command::new(env!("CARGO_BIN_EXE_shapegrad-explain"))
        .arg(source)
        .arg("-o")
        .arg(&page)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(browser)
        .args(["--headless", "--disable-gpu", "--no-sandbox", "--dump-dom"])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(out.status.success(), "chromium: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The part of `dom` inside the section of net `net`.
fn section<'a>(dom: &'a str, net: &str) -> &'a str {
    let start = dom.find(&format!("data-net=\"{net}\"")).unwrap_or_else(|| panic!("no section for {net}"));
    let end = dom[start..].find("</section>").map_or(dom.len(), |e| start + e);
    &dom[start..end]
}

/// The number of values (lets, params, inputs, labels, loss) that the net's
/// derivation has lines for, read back from `shapegrad_dsl` on the same text.
fn expected(source: &str, net: &str) -> (usize, usize, Vec<(usize, String)>) {
    let text = std::fs::read_to_string(source).unwrap();
    let mut counts = None;
    let mut found = Vec::new();
    for chunk in text.split("net! {").skip(1) {
        let body: String = chunk.to_string();
        // The invocation's body: up to its closing brace at depth zero.
        let mut depth = 1;
        let end = body.char_indices().find_map(|(i, c)| {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
            (depth == 0).then_some(i)
        });
        let a = shapegrad_dsl::analyze_source(&body[..end.unwrap_or(body.len())]);
        for n in &a.nets {
            if n.net == net {
                let adjoints = a.derivations.iter().find(|d| d.net == net).map_or(0, |d| d.lines.len());
                counts = Some((n.values.len(), adjoints));
                found = n
                    .values
                    .iter()
                    .filter(|v| v.kind == shapegrad_dsl::ValueKind::Let)
                    .map(|v| (0, format!("{}: {}", v.name, v.shape.clone().unwrap_or_default())))
                    .collect();
            }
        }
    }
    let (values, adjoints) = counts.unwrap_or_else(|| panic!("{net} is not in {source}"));
    (values, adjoints, found)
}

#[test]
fn pages_render_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI installs chromium (`.ci/run`)");
        eprintln!("no chromium here: the browser test did not run");
        return;
    };
    let dir = std::env::temp_dir().join(format!("shapegrad-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("tests/net_homework.rs", "Autoencoder"),
        ("tests/net_homework.rs", "TwoLayer"),
        ("examples/train_digits_cnn.rs", "DigitCnn"),
        ("examples/05-attention.rs", "Block"),
    ];
    for (file, net) in cases {
        let source = root(file);
        let dom = dom(&browser, &dir, &source);
        let s = section(&dom, net);
        let (values, adjoints, lets) = expected(&source, net);
        assert_eq!(s.matches("<g class=\"node\"").count(), values, "{net}: one graph node per value");
        assert_eq!(s.matches("<mtr").count(), adjoints, "{net}: one MathML row per adjoint");
        for (_, shape) in lets {
            assert!(s.contains(&shape.replace('>', "&gt;")), "{net}: `{shape}` beside its let");
        }
    }
    // A net with an error: the message under its line, no derivation.
    let bad = dir.join("slip.rs");
    let text = std::fs::read_to_string(root("examples/02-two-layer.rs")).unwrap();
    let line = text.lines().position(|l| l.contains("let z1 = W1 @ x + b1;")).unwrap() + 1;
    std::fs::write(&bad, text.replace("let z1 = W1 @ x + b1;", "let z1 = W1.T @ x + b1;")).unwrap();
    let dom = dom(&browser, &dir, bad.to_str().unwrap());
    let at = dom.find(&format!("class=\"error\" data-line=\"{line}\"")).expect("the error at its line");
    assert!(dom[at..].contains("cannot multiply `W1.T` [D×H] by `x` [D]"));
    assert!(!dom.contains("<math"));
    // And a screenshot of the two-layer net's page.
    let png = dir.join("two-layer.png");
    let page = dir.join("02-two-layer.rs.html");
    Command::new(env!("CARGO_BIN_EXE_shapegrad-explain"))
        .arg(root("examples/02-two-layer.rs"))
        .arg("-o")
        .arg(&page)
        .output()
        .unwrap();
    let out = Command::new(&browser)
        .args(["--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--window-size=1200,1500"])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(out.status.success());
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000, "{} bytes", bytes.len());
}
