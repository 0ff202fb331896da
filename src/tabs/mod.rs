//! One module per tab: its state next to its view.

pub mod compose;
pub mod feed;
pub mod tail;
pub mod topics;
