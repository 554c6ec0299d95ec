//! The compile-fail cases live in `tests/ui/`; see `tests/ui.rs`.
