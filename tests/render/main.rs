//! Layer 2: each tab in each state drawn into ratatui's `TestBackend` and checked with
//! insta, plus asserts on the drawn cells where colour or safety depends on it.

#[path = "../support/mod.rs"]
mod support;

mod compose;
mod tail;
mod topics;
