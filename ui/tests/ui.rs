//! Compile-fail cases: each file in `tests/ui/<category>/` is a mistake named
//! after itself, and its `.stderr` is the error the user sees. Regenerate with
//! `TRYBUILD=overwrite cargo test -p shapegrad-ui-tests` and read every diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
    t.compile_fail("tests/ui/net/*/*.rs");
}
