//! `net!` on arbitrary text: whatever tokenizes is expanded and analyzed;
//! neither may panic.
#![no_main]

use std::str::FromStr;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(tokens) = proc_macro2::TokenStream::from_str(text) {
        let _ = shapegrad_dsl::expand_net(tokens);
    }
    let _ = shapegrad_dsl::analyze_source(text);
});
