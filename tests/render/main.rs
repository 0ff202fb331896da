//! Layer 2: each tab in each state drawn into ratatui's `TestBackend` and checked with
//! insta, plus asserts on the drawn cells where colour or safety depends on it. One module
//! per tab (`chrome` is what every tab shares: the help overlay and the status bar), and
//! one snapshot folder per module: `snapshots/<module>/<test>.snap`.

/// `insta::assert_snapshot!` into the calling module's folder, `snapshots/<module>/`, the
/// snapshot named after the test alone.
macro_rules! assert_snapshot {
    ($($snapshot:tt)*) => {
        insta::with_settings!(
            {
                snapshot_path => $crate::snapshot_folder(module_path!()),
                prepend_module_to_snapshot => false,
            },
            { insta::assert_snapshot!($($snapshot)*) }
        )
    };
}

#[path = "../support/mod.rs"]
mod support;

mod brokers;
mod chrome;
mod clusters;
mod compose;
mod feed;
mod groups;
mod schemas;
mod tail;
mod topics;

/// `snapshots/<module>` for a module path `render::<module>`.
fn snapshot_folder(module_path: &str) -> String {
    let module = module_path.rsplit("::").next().unwrap_or(module_path);
    format!("snapshots/{module}")
}
