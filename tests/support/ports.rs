//! Loopback ports for brokers, claimed across every test (and benchmark) process of this
//! checkout.
//!
//! A port from the OS (`bind(0)`) is released before the broker binds it, seconds later
//! for a JVM, and another process may be handed the same port meanwhile: its client would
//! then talk to the wrong broker. Broker ports therefore come from 20000–32767, below
//! Linux's ephemeral range (so no `bind(0)` hands them out), and each is claimed with an
//! advisory lock on a file in `target/tmp/kafka-ports`, held until the process exits (the
//! kernel drops it then, whatever way the process ends).

use std::fs::{self, File};
use std::hash::{BuildHasher as _, RandomState};
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::sync::Mutex;

/// A port no other process of this checkout has claimed and nobody listens on.
pub fn broker_port() -> u16 {
    static HELD: Mutex<Vec<File>> = Mutex::new(Vec::new());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kafka-ports");
    fs::create_dir_all(&dir).expect("the port claims dir");
    let state = RandomState::new();
    for attempt in 0u32..10_000 {
        let port = 20_000 + (state.hash_one(attempt) % 12_768) as u16;
        let Ok(claim) = File::create(dir.join(port.to_string())) else {
            continue;
        };
        if claim.try_lock().is_err() {
            continue; // another process holds it
        }
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            HELD.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(claim);
            return port;
        }
    }
    panic!("no free broker port in 20000-32767")
}
