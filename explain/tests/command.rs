//! The command on the repository's examples: a page per file, every net in
//! it, written where `-o` says; a missing file is an error, not a panic.

use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shapegrad-explain")).args(args).output().expect("the command runs")
}

#[test]
fn the_two_layer_example_and_the_attention_block_get_their_pages() {
    let dir = std::env::temp_dir().join(format!("shapegrad-explain-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/");
    for (file, net, value) in
        [("02-two-layer.rs", "TwoLayer", "z1: [H]"), ("05-attention.rs", "Block", "a: [T×T]")]
    {
        let out = dir.join(format!("{file}.html"));
        let o = run(&[&format!("{root}{file}"), "-o", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let page = std::fs::read_to_string(&out).unwrap();
        assert!(page.contains(&format!("data-net=\"{net}\"")), "{file}: no section for {net}");
        assert!(page.contains(value), "{file}: no `{value}`");
        assert!(page.contains("<math") && page.contains("<svg"));
    }
}

#[test]
fn a_missing_file_is_an_error_message() {
    let o = run(&["no/such/file.rs"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read no/such/file.rs"));
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("usage: shapegrad-explain"));
}
