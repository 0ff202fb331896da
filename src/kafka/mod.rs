//! The Kafka side: clients, the worker, admin calls and the demo cluster.
//! Nothing in here knows about the terminal (no ratatui, no crossterm), so the headless
//! subcommands and the tests use it directly.

pub mod admin;
pub mod brokers;
pub mod client;
pub mod demo;
pub mod envelope;
pub mod filter;
pub mod groups;
pub mod model;
pub mod position;
pub mod produce;
pub mod tail;
pub mod watermarks;
pub mod worker;

pub use client::ClientSettings;
pub use model::{ClusterSnapshot, Connection, TopicInfo};
pub use worker::{
    Command, FeedCounts, FeedJob, FeedUpdate, KafkaEvent, RequestId, ValueFormat, WorkerOptions,
};
