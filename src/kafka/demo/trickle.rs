//! The records the demo keeps writing into `sample` while it runs, so Tail and the Topics
//! counts move on first launch: a shop's events as a quickstart user would produce them,
//! JSON and text, mostly keyed, some with headers.

use std::time::Duration;

/// One made-up record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrickleRecord {
    pub key: Option<String>,
    pub value: String,
    pub headers: Vec<(String, String)>,
}

/// The shop's customers (the schema-framed topics' too, see `shop`).
pub(super) const USERS: &[(u32, &str)] = &[
    (1, "ada"),
    (7, "linus"),
    (17, "grace"),
    (23, "margaret"),
    (42, "ken"),
    (64, "barbara"),
    (99, "zoë"),
];
pub(super) const SKUS: &[(&str, u32)] = &[
    ("KB-101 keyboard", 4900),
    ("MS-220 mouse", 1950),
    ("HD-300 headset", 8900),
    ("CB-010 usb cable", 690),
    ("MN-270 monitor", 21900),
];
pub(super) const PATHS: &[&str] = &["/", "/cart", "/orders", "/search?q=kafka", "/account"];
const SERVICES: &[&str] = &["checkout", "payments", "inventory", "search"];

/// Makes the records, from a seed so a test can repeat a sequence.
pub struct Trickle {
    rng: fastrand::Rng,
    next_order: u64,
}

impl Trickle {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: fastrand::Rng::with_seed(seed),
            next_order: 10_200 + seed % 1000,
        }
    }

    /// How long to wait before the next record: `mean` give or take a half.
    pub fn pause(&mut self, mean: Duration) -> Duration {
        let millis = mean.as_millis().min(u128::from(u32::MAX)) as u64;
        Duration::from_millis(millis / 2 + self.rng.u64(0..=millis.max(1)))
    }

    pub fn next_record(&mut self) -> TrickleRecord {
        let (id, name) = USERS[self.rng.usize(..USERS.len())];
        let key = format!("user-{id}");
        match self.rng.u8(0..10) {
            0..=3 => self.order(id, name, key),
            4..=5 => self.page_view(id, key),
            6..=7 => self.log_line(),
            _ => TrickleRecord {
                key: Some(key),
                value: format!(
                    "{name} {}",
                    self.pick(&[
                        "signed in",
                        "signed out",
                        "updated their address",
                        "left a review"
                    ])
                ),
                headers: Vec::new(),
            },
        }
    }

    fn order(&mut self, id: u32, name: &str, key: String) -> TrickleRecord {
        let (sku, cents) = SKUS[self.rng.usize(..SKUS.len())];
        let quantity = self.rng.u32(1..=3);
        let order = self.next_order;
        self.next_order += 1;
        let status = self.pick(&["created", "paid", "paid", "shipped", "cancelled"]);
        let value = serde_json::json!({
            "event": "order",
            "order_id": format!("o-{order}"),
            "user": {"id": id, "name": name},
            "item": sku,
            "quantity": quantity,
            "amount": f64::from(cents * quantity) / 100.0,
            "currency": "EUR",
            "status": status,
        });
        TrickleRecord {
            key: Some(key),
            value: value.to_string(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("source".into(), "checkout".into()),
            ],
        }
    }

    fn page_view(&mut self, id: u32, key: String) -> TrickleRecord {
        let value = serde_json::json!({
            "event": "page_view",
            "user_id": id,
            "path": self.pick(PATHS),
            "duration_ms": self.rng.u32(40..4000),
        });
        TrickleRecord {
            key: Some(key),
            value: value.to_string(),
            headers: Vec::new(),
        }
    }

    fn log_line(&mut self) -> TrickleRecord {
        let service = self.pick(SERVICES);
        let (level, message) = match self.rng.u8(0..10) {
            0 => ("ERROR", "upstream timed out after 3000 ms"),
            1..=2 => ("WARN", "retrying request (attempt 2 of 5)"),
            _ => ("INFO", "request served"),
        };
        let latency = self.rng.u32(2..900);
        let trace = format!("{:016x}", self.rng.u64(..));
        TrickleRecord {
            key: Some(service.to_string()),
            value: format!("{level} [{service}] {message} latency={latency}ms trace={trace}"),
            headers: vec![("trace-id".into(), trace)],
        }
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.rng.usize(..from.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_mix_json_and_text_keyed_with_some_headers() {
        let mut trickle = Trickle::new(3);
        let records: Vec<_> = (0..200).map(|_| trickle.next_record()).collect();
        let json = records
            .iter()
            .filter(|r| serde_json::from_str::<serde_json::Value>(&r.value).is_ok())
            .count();
        assert!(json > 40 && json < 160, "{json} of 200 are JSON");
        assert!(records.iter().all(|r| r.key.is_some()));
        assert!(records.iter().any(|r| r.headers.is_empty()));
        assert!(records.iter().any(|r| !r.headers.is_empty()));
        let orders: Vec<_> = records
            .iter()
            .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.value).ok())
            .filter(|v| v["event"] == "order")
            .map(|v| v["order_id"].as_str().unwrap().to_string())
            .collect();
        let mut unique = orders.clone();
        unique.dedup();
        assert_eq!(orders, unique, "order ids increase");
    }

    #[test]
    fn the_pause_stays_near_the_mean() {
        let mut trickle = Trickle::new(1);
        let mean = Duration::from_secs(2);
        for _ in 0..100 {
            let pause = trickle.pause(mean);
            assert!(pause >= mean / 2 && pause <= mean * 3 / 2, "{pause:?}");
        }
    }
}
