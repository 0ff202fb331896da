//! Many topics at once, for the tests and the benchmark at scale (10,000 topics, 1,000
//! groups' topics): created in batches, then waited for until every partition has a leader
//! (until then a producer refuses records for it, and ListOffsets fails). Shared with
//! `benches/compare` through `#[path]`.
#![allow(dead_code)] // each including tree uses it whole or not at all

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;

/// Creates `names` with `partitions` partitions each (replication 1), 500 per request, and
/// waits (up to 5 minutes) until every partition has a leader. Panics on a refusal.
pub fn create_led_topics(
    bootstrap: &str,
    names: &[String],
    partitions: i32,
    rt: &tokio::runtime::Runtime,
) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .expect("an admin client");
    for batch in names.chunks(500) {
        let topics: Vec<NewTopic> = batch
            .iter()
            .map(|n| NewTopic::new(n, partitions, TopicReplication::Fixed(1)))
            .collect();
        let created = rt
            .block_on(admin.create_topics(
                &topics,
                &AdminOptions::new().operation_timeout(Some(Duration::from_secs(120))),
            ))
            .expect("CreateTopics");
        assert!(created.iter().all(Result::is_ok), "{created:?}");
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    let want = usize::try_from(partitions).ok();
    loop {
        let missing = admin
            .inner()
            .fetch_metadata(None, Duration::from_secs(30))
            .map(|metadata| {
                let led: HashMap<&str, usize> = metadata
                    .topics()
                    .iter()
                    .map(|t| {
                        let led = t.partitions().iter().filter(|p| p.leader() >= 0).count();
                        (t.name(), led)
                    })
                    .collect();
                names
                    .iter()
                    .filter(|n| led.get(n.as_str()).copied() != want)
                    .count()
            });
        match missing {
            Ok(0) => return,
            Ok(missing) => eprintln!("{missing} topics not yet led everywhere"),
            Err(e) => eprintln!("metadata: {e}"),
        }
        assert!(
            Instant::now() < deadline,
            "partitions still without a leader after 5 minutes"
        );
        // Polling a condition with a deadline: the nodes are catching up.
        std::thread::sleep(Duration::from_millis(500));
    }
}
