//! Layer 4: the real `ktui` binary in a terminal (tmux), driven from the keyboard as a
//! person would, checked against what peer clients see on the same cluster (the embedded
//! demo, Apache Kafka, a three-node cluster for failover).

#[path = "../support/mod.rs"]
mod support;

mod compose;
mod config;
mod demo;
mod demo_schemas;
mod failover_kafka;
mod feed;
mod groups;
mod schemas;
mod search;
mod signals;
mod tail;
mod topics;
mod topics_scale;
