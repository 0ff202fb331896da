//! Layer 1: keys and fake worker events into `App`; assert its state, the commands it
//! sends the worker and the effects it asks of the run loop. No terminal, no broker.
//! Plus random inputs for every parser and payload renderer (`fuzz_parsers`).

#[path = "../support/mod.rs"]
mod support;

mod brokers;
mod clusters;
mod compose;
mod compose_schema;
mod compose_schema_example;
mod feed;
mod fuzz_parsers;
mod groups;
mod schemas;
mod tail;
mod topics;
