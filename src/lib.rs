//! ktui: a terminal UI for Apache Kafka.
//!
//! The shape (`ARCHITECTURE.md` is the one-page version):
//! - [`app`]: the `App` state, `App::handle` (event in, commands out), the routing of keys
//!   and worker events, the chrome (toasts, help, clusters) and the run loop;
//! - [`tabs`]: one folder per tab, its state beside its view;
//! - [`ui`]: the frame (tab bar, body, status, hints, overlays), drawn from `&App`;
//! - [`widgets`], [`theme`], [`layout`], [`size`], [`text`]: leaves the others share;
//! - [`kafka`]: the worker that owns every rdkafka client (no UI imports), the demo
//!   cluster, and admin calls;
//! - [`schema`]: records framed by a schema registry (Avro, Protobuf, JSON Schema) as JSON;
//! - [`headless`]: subcommands that use the same engine without a terminal.

pub mod action;
pub mod app;
pub mod cli;
pub mod config;
pub mod effects;
pub mod event;
pub mod feed;
pub mod headless;
pub mod kafka;
pub mod keymap;
pub mod layout;
pub mod loadable;
pub mod schema;
pub mod secret;
pub mod size;
pub mod startup;
pub mod supervisor;
pub mod tabs;
pub mod text;
pub mod theme;
pub mod ui;
pub mod widgets;

pub use startup::run;
