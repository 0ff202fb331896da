//! Layer 3: ktui's Kafka side (the worker, the tail and produce engines, the feed's
//! sources) and its headless subcommands over TCP, against librdkafka's mock cluster, fake
//! servers and Apache Kafka, checked with independent peer clients. Plus the benchmark's
//! smoke run.

#[path = "../support/mod.rs"]
mod support;

mod bench_smoke;
mod broker_kafka;
mod brokers_kafka;
mod demo_front;
mod demo_groups;
mod feed_servers;
mod groups_kafka;
mod headless_hardening;
mod interop_kafka;
mod produce_broker;
mod schemas_cache;
mod schemas_hostile;
mod schemas_json_ref_forms;
mod schemas_json_refs;
mod schemas_kafka;
mod schemas_tls;
mod search;
mod security_broker;
mod share_groups;
mod tail_mock;
mod worker_mock;
