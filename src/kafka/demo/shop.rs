//! The demo shop's schema-framed topics: `shop.orders` in Avro (two versions of
//! `shop.orders-value`), `shop.payments` in Protobuf and `shop.clicks` in JSON Schema,
//! framed as the Confluent serializers frame them, with the schemas in the demo's
//! registry ([`super::registry`]). Seeded at start, and while the demo runs one more
//! record now and then.

use anyhow::{Context as _, anyhow};
use serde_json::{Value, json};

use super::registry::State;
use super::registry::store::StoredSchema;
use super::trickle::{PATHS, SKUS, USERS};
use crate::schema::Encoder;
use crate::schema::registry::SchemaKind;

pub const ORDERS: &str = "shop.orders";
pub const PAYMENTS: &str = "shop.payments";
pub const CLICKS: &str = "shop.clicks";
/// The shop's topics, each with 3 partitions on the 3 brokers.
pub const TOPICS: &[&str] = &[ORDERS, PAYMENTS, CLICKS];

const ORDER_V1: &str = r#"{"type":"record","name":"Order","namespace":"shop","fields":[
  {"name":"order_id","type":"string"},
  {"name":"customer","type":{"type":"record","name":"Customer","fields":[
    {"name":"id","type":"long"},{"name":"name","type":"string"}]}},
  {"name":"items","type":{"type":"array","items":{"type":"record","name":"Item","fields":[
    {"name":"sku","type":"string"},{"name":"qty","type":"int"},
    {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}]}}},
  {"name":"status","type":{"type":"enum","name":"Status","symbols":["PLACED","PAID","SHIPPED","CANCELLED"]}},
  {"name":"placed_at","type":{"type":"long","logicalType":"timestamp-millis"}}
]}"#;

const PAYMENT: &str = r#"syntax = "proto3";
package shop;

import "google/protobuf/timestamp.proto";

message Payment {
  enum Method {
    CARD = 0;
    TRANSFER = 1;
    WALLET = 2;
  }
  string payment_id = 1;
  string order_id = 2;
  int64 amount_cents = 3;
  string currency = 4;
  Method method = 5;
  google.protobuf.Timestamp paid_at = 6;
}
"#;

const CLICK: &str = r#"{"$schema":"http://json-schema.org/draft-07/schema#","title":"Click","type":"object",
"properties":{"user_id":{"type":"integer"},"path":{"type":"string"},"duration_ms":{"type":"integer","minimum":0}},
"required":["user_id","path"]}"#;

/// The ids the shop's records are framed with, as the registry gave them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShopIds {
    pub order_v1: u32,
    pub order_v2: u32,
    pub payment: u32,
    pub click: u32,
}

/// The registry's contents: `shop.orders-value` v1 and v2, `shop.payments-value`,
/// `shop.clicks-value`; and the ids each got.
pub fn catalog() -> (State, ShopIds) {
    let mut state = State::new();
    let mut register = |topic: &str, kind: SchemaKind, text: &str| {
        let stored = StoredSchema {
            kind: kind.name().to_string(),
            text: text.to_string(),
            references: Vec::new(),
        };
        state.register(&format!("{topic}-value"), stored).0
    };
    let ids = ShopIds {
        order_v1: register(ORDERS, SchemaKind::Avro, ORDER_V1),
        order_v2: register(ORDERS, SchemaKind::Avro, &order_v2()),
        payment: register(PAYMENTS, SchemaKind::Protobuf, PAYMENT),
        click: register(CLICKS, SchemaKind::Json, CLICK),
    };
    (state, ids)
}

/// Version 2 of the order adds an optional coupon (a compatible change: it has a
/// default).
fn order_v2() -> String {
    let coupon = r#",
  {"name":"coupon","type":["null","string"],"default":null}
]}"#;
    ORDER_V1.replace("\n]}", coupon)
}

/// One record for a shop topic: its key (plain text) and its framed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopRecord {
    pub topic: &'static str,
    pub key: String,
    pub value: Vec<u8>,
}

/// Makes the shop's records, from a seed so a test can repeat a sequence.
pub struct Shop {
    rng: fastrand::Rng,
    next_order: u64,
    /// Which topic the next record is for (orders, payments, clicks in turn).
    turn: usize,
    order_v1: Encoder,
    order_v2: Encoder,
    payment: Encoder,
    click: Encoder,
}

impl Shop {
    pub fn new(seed: u64, ids: ShopIds) -> anyhow::Result<Self> {
        let encoder = |id: u32, version: i32, kind, text: &str, topic: &str| {
            Encoder::for_schema(
                id,
                kind,
                text,
                Some((format!("{topic}-value"), version)),
                None,
            )
            .map_err(|e| anyhow!("the demo's {topic} schema: {e}"))
        };
        Ok(Self {
            rng: fastrand::Rng::with_seed(seed),
            next_order: 20_000 + seed % 1000,
            turn: 0,
            order_v1: encoder(ids.order_v1, 1, SchemaKind::Avro, ORDER_V1, ORDERS)?,
            order_v2: encoder(ids.order_v2, 2, SchemaKind::Avro, &order_v2(), ORDERS)?,
            payment: encoder(ids.payment, 1, SchemaKind::Protobuf, PAYMENT, PAYMENTS)?,
            click: encoder(ids.click, 1, SchemaKind::Json, CLICK, CLICKS)?,
        })
    }

    /// What the shop's topics start with: three orders of each version, then a payment
    /// and a click each, in turn.
    pub fn seed_records(&mut self) -> anyhow::Result<Vec<ShopRecord>> {
        let mut records = Vec::new();
        for version in [1, 2] {
            for _ in 0..3 {
                records.push(self.order(version)?);
            }
        }
        for _ in 0..3 {
            records.push(self.payment()?);
            records.push(self.click()?);
        }
        Ok(records)
    }

    /// The next record while the demo runs: an order (version 2), a payment, a click, in
    /// turn.
    pub fn next_record(&mut self) -> anyhow::Result<ShopRecord> {
        self.turn = (self.turn + 1) % 3;
        match self.turn {
            1 => self.order(2),
            2 => self.payment(),
            _ => self.click(),
        }
    }

    fn now_millis() -> i64 {
        jiff::Timestamp::now().as_millisecond()
    }

    fn order(&mut self, version: i32) -> anyhow::Result<ShopRecord> {
        let (id, name) = USERS[self.rng.usize(..USERS.len())];
        let items: Vec<Value> = (0..self.rng.usize(1..=3))
            .map(|_| {
                let (sku, cents) = SKUS[self.rng.usize(..SKUS.len())];
                json!({
                    "sku": sku,
                    "qty": self.rng.u32(1..=3),
                    "price": format!("{}.{:02}", cents / 100, cents % 100),
                })
            })
            .collect();
        let order = self.next_order;
        self.next_order += 1;
        let placed_at = jiff::Timestamp::from_millisecond(Self::now_millis())
            .context("the clock")?
            .to_string();
        let status = ["PLACED", "PAID", "PAID", "SHIPPED", "CANCELLED"][self.rng.usize(..5)];
        let mut value = json!({
            "order_id": format!("o-{order}"),
            "customer": {"id": id, "name": name},
            "items": items,
            "status": status,
            "placed_at": placed_at,
        });
        let encoder = if version == 1 {
            &self.order_v1
        } else {
            value["coupon"] = match self.rng.u8(0..4) {
                0 => json!("WINTER10"),
                _ => Value::Null,
            };
            &self.order_v2
        };
        Ok(ShopRecord {
            topic: ORDERS,
            key: format!("customer-{id}"),
            value: encode(encoder, &value)?,
        })
    }

    fn payment(&mut self) -> anyhow::Result<ShopRecord> {
        // One of the last few orders.
        let order = self.next_order.saturating_sub(self.rng.u64(1..=4));
        let paid_at = jiff::Timestamp::from_millisecond(Self::now_millis())
            .context("the clock")?
            .to_string();
        let method = ["CARD", "CARD", "TRANSFER", "WALLET"][self.rng.usize(..4)];
        let value = json!({
            "paymentId": format!("p-{:08x}", self.rng.u32(..)),
            "orderId": format!("o-{order}"),
            "amountCents": self.rng.u32(690..=65_700).to_string(),
            "currency": "EUR",
            "method": method,
            "paidAt": paid_at,
        });
        Ok(ShopRecord {
            topic: PAYMENTS,
            key: format!("o-{order}"),
            value: encode(&self.payment, &value)?,
        })
    }

    fn click(&mut self) -> anyhow::Result<ShopRecord> {
        let (id, _) = USERS[self.rng.usize(..USERS.len())];
        let value = json!({
            "user_id": id,
            "path": PATHS[self.rng.usize(..PATHS.len())],
            "duration_ms": self.rng.u32(40..4000),
        });
        Ok(ShopRecord {
            topic: CLICKS,
            key: format!("customer-{id}"),
            value: encode(&self.click, &value)?,
        })
    }
}

fn encode(encoder: &Encoder, value: &Value) -> anyhow::Result<Vec<u8>> {
    encoder
        .encode(value.to_string().as_bytes())
        .map_err(|e| anyhow!("a demo record for {}: {e}", encoder.describe()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::wire;

    #[test]
    fn the_catalog_holds_the_shops_subjects_with_the_ids_the_records_name() {
        let (state, ids) = catalog();
        assert_eq!(
            state.subjects.keys().collect::<Vec<_>>(),
            [
                "shop.clicks-value",
                "shop.orders-value",
                "shop.payments-value"
            ]
        );
        assert_eq!(state.version("shop.orders-value", 1), Some(1));
        assert_eq!(state.version("shop.orders-value", 2), Some(2));
        assert_eq!(state.version("shop.payments-value", 1), Some(3));
        assert_eq!(state.version("shop.clicks-value", 1), Some(4));
        assert_eq!(
            ids,
            ShopIds {
                order_v1: 1,
                order_v2: 2,
                payment: 3,
                click: 4
            }
        );
        // Version 2 is version 1 and the coupon.
        let v2: Value = serde_json::from_str(&order_v2()).unwrap();
        let v1: Value = serde_json::from_str(ORDER_V1).unwrap();
        assert_eq!(
            v2["fields"].as_array().unwrap()[..5],
            v1["fields"].as_array().unwrap()[..]
        );
        assert_eq!(v2["fields"][5]["name"], "coupon");
        let mut shop = Shop::new(7, ids).unwrap();
        let records = shop.seed_records().unwrap();
        let ids: Vec<(&str, u32)> = records
            .iter()
            .map(|r| (r.topic, wire::split(&r.value).unwrap().0))
            .collect();
        assert_eq!(
            &ids[..6],
            &[
                (ORDERS, 1),
                (ORDERS, 1),
                (ORDERS, 1),
                (ORDERS, 2),
                (ORDERS, 2),
                (ORDERS, 2)
            ]
        );
        assert!(
            ids[6..]
                .iter()
                .all(|(t, id)| (*t == PAYMENTS && *id == 3) || (*t == CLICKS && *id == 4))
        );
    }

    #[test]
    fn records_decode_back_to_what_was_made() {
        let mut shop = Shop::new(11, catalog().1).unwrap();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..30 {
            let record = shop.next_record().unwrap();
            let (id, payload) = wire::split(&record.value).unwrap();
            let encoder = match id {
                2 => &shop.order_v2,
                3 => &shop.payment,
                4 => &shop.click,
                other => panic!("id {other}"),
            };
            let (_, decoded) = encoder.compiled.decode(payload);
            let decoded: Value = serde_json::from_str(&decoded.unwrap()).unwrap();
            match record.topic {
                ORDERS => assert!(decoded["order_id"].as_str().unwrap().starts_with("o-")),
                PAYMENTS => assert_eq!(decoded["currency"], "EUR"),
                _ => assert!(decoded["path"].as_str().unwrap().starts_with('/')),
            }
            seen.insert(record.topic);
        }
        assert_eq!(seen.len(), 3);
    }
}
