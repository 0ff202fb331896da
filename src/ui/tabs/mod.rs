//! One module per tab: its state next to its view.

pub mod compose;
pub mod placeholder;
pub mod tail;
pub mod topics;
