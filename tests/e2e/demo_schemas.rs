//! Layer 4: `ktui --demo` with its schema registry. The real binary in a terminal (tmux)
//! runs the embedded cluster and registry; the shop's Avro, Protobuf and JSON Schema topics
//! show decoded in the Tail tab, the Schemas tab lists their subjects, and
//! confluent-kafka's own Avro, Protobuf and JSON Schema deserializers, given the registry
//! URL the Schemas tab shows, read the very values `ktui consume` prints. A peer's serializer registers its schemas
//! (with a reference) in the demo's registry, and ktui decodes what it wrote.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::demo::{demo, shown_address};
use crate::support::process::run_with_timeout;
use crate::support::tui::Tui;
use crate::support::{KTUI, schema_peers, unique};

/// Bound for anything the UI should show after a broker or registry round trip.
const SHOWN: Duration = Duration::from_secs(20);

/// `ktui consume TOPIC -o beginning -e` against the demo, through its registry: each
/// line's JSON, sorted (the peer reads by partition, ktui as records arrive).
fn ktui_consume(address: &str, registry: &str, topic: &str) -> Vec<Value> {
    let ran = run_with_timeout(
        Command::new(KTUI)
            .env_remove("KTUI_CONFIG")
            .env_remove("KAFKA_BOOTSTRAP_SERVERS")
            .args(["-b", address, "--schema-registry", registry])
            .args(["consume", topic, "-o", "beginning", "-e"]),
        Duration::from_secs(60),
    );
    assert!(ran.success(), "ktui consume {topic}: {ran:?}");
    assert!(
        !ran.stderr.contains('⚠'),
        "every record decoded: {}",
        ran.stderr
    );
    sorted(
        ran.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect(),
    )
}

fn sorted(mut values: Vec<Value>) -> Vec<Value> {
    values.sort_by_key(Value::to_string);
    values
}

/// The registry URL in the Schemas tab's title (` Subjects 3 · URL · BACKWARD `).
fn shown_registry(screen: &str) -> String {
    screen
        .split(" · ")
        .find(|part| part.starts_with("http://"))
        .map_or_else(
            || panic!("no registry URL in the Schemas tab:\n{screen}"),
            |url| url.trim().to_string(),
        )
}

#[test]
fn the_demos_schema_topics_decode_on_screen_and_peers_read_them_through_its_registry() {
    if !Tui::tmux_available() || !schema_peers::serializers_available() {
        return;
    }
    let Some(tui) = demo(&["--topic", "shop.orders", "-o", "beginning"], &[]) else {
        return;
    };
    let address = shown_address(&tui);

    // The Tail tab: the six Avro orders (three of each version), decoded.
    tui.wait_until("the shop's orders decoded in the Tail tab", SHOWN, |s| {
        s.matches(r#" {"order_id":"o-"#).count() == 6 && !s.contains('⚠')
    });

    // The Schemas tab: the three subjects, their types, the topic each belongs to.
    tui.send_key("7");
    let screen = tui.wait_until("the demo registry's subjects", SHOWN, |s| {
        s.contains("Subjects 3 · http://")
            && s.contains("shop.clicks-value")
            && s.contains("shop.orders-value")
            && s.contains("shop.payments-value")
    });
    let registry = shown_registry(&screen);
    // The first subject's detail: its version, id, type and level, and its topic.
    let detail = tui.wait_until("the selected subject's detail", SHOWN, |s| {
        s.contains("version 1 of 1 · id 4 · JSON · compatibility BACKWARD")
    });
    assert!(
        detail.contains("topic   shop.clicks (its values)"),
        "{detail}"
    );

    // confluent-kafka's AvroDeserializer and JSONDeserializer, through the demo's
    // registry, read what ktui prints.
    let peer_orders =
        schema_peers::consume(&address, &registry, "shop.orders", "avro", 6, false, None);
    assert_eq!(
        ktui_consume(&address, &registry, "shop.orders"),
        sorted(peer_orders)
    );
    let peer_clicks =
        schema_peers::consume(&address, &registry, "shop.clicks", "json", 3, false, None);
    assert_eq!(
        ktui_consume(&address, &registry, "shop.clicks"),
        sorted(peer_clicks)
    );
    // ProtobufDeserializer asks the registry for the schema serialized (a descriptor).
    let peer_payments = schema_peers::consume_registry_proto(
        &address,
        &registry,
        "shop.payments",
        3,
        3,
        "shop.Payment",
    );
    assert!(
        peer_payments.iter().all(|p| p["currency"] == "EUR"),
        "{peer_payments:?}"
    );
    assert_eq!(
        ktui_consume(&address, &registry, "shop.payments"),
        sorted(peer_payments)
    );

    // A peer registers its own schemas there (one referencing another) and writes framed
    // records; ktui decodes them to the values it gave.
    let topic = unique("peer-avro");
    let written = schema_peers::produce(&address, &registry, &topic, "avro", false);
    assert_eq!(written.len(), 3, "{written:#?}");
    assert_eq!(ktui_consume(&address, &registry, &topic), sorted(written));

    // Compose on the orders: with the value empty, choosing their schema fills it with an
    // example the schema takes (every field), which sends framed.
    tui.send_key("3");
    tui.wait_until("Compose on shop.orders", SHOWN, |s| {
        s.contains("│shop.orders ")
    });
    for _ in 0..5 {
        tui.send_key("Tab"); // topic, partition, key, key schema, schema
    }
    tui.send_keys("shop.orders-value");
    tui.send_key("Tab");
    tui.wait_until("the example, matching the schema", SHOWN, |s| {
        s.contains(r#""order_id": "","#)
            && s.contains(r#""status": "PLACED","#)
            && s.contains("✓ matches shop.orders-value v2 · id 2 · AVRO")
    });
    tui.send_key("C-s");
    tui.wait_until("the send delivered", SHOWN, |s| {
        s.contains("Deliveries (1)")
    });
    let orders = ktui_consume(&address, &registry, "shop.orders");
    assert_eq!(orders.len(), 7, "{orders:?}");
    assert!(
        orders
            .iter()
            .any(|o| o["order_id"] == "" && o["items"] == serde_json::json!([])),
        "{orders:?}"
    );
}

/// `ktui --demo ARGS…` headless, with the tests' demo environment.
fn demo_headless(args: &[&str]) -> crate::support::process::Ran {
    let mut command = Command::new(KTUI);
    command
        .env_remove("KTUI_CONFIG")
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .env_remove("KTUI_SCHEMA_REGISTRY")
        .envs(crate::support::tui::DEMO_ENV)
        .arg("--demo")
        .args(args);
    run_with_timeout(&mut command, Duration::from_secs(60))
}

#[test]
fn a_headless_demo_decodes_through_its_own_registry_unless_another_is_given() {
    let ran = demo_headless(&["consume", "shop.orders", "-o", "beginning", "-e"]);
    assert!(ran.success(), "{ran:?}");
    let orders: Vec<Value> = ran
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(orders.len(), 6, "{}", ran.stdout);
    assert!(
        orders.iter().all(|o| o["order_id"].is_string()),
        "{orders:?}"
    );
    // Three of each version: the second has the coupon.
    assert_eq!(
        orders.iter().filter(|o| o.get("coupon").is_some()).count(),
        3
    );

    // Given --schema-registry, the demo uses that one: here nobody answers, which is
    // said, and the records print raw.
    let nobody = crate::support::unused_address();
    let registry = format!("http://{nobody}");
    let ran = demo_headless(&[
        "--schema-registry",
        &registry,
        "consume",
        "shop.orders",
        "-o",
        "beginning",
        "-e",
    ]);
    assert!(ran.success(), "{ran:?}");
    assert!(
        ran.stderr
            .contains(&format!("cannot reach the schema registry at {registry}")),
        "{}",
        ran.stderr
    );
    assert!(!ran.stdout.contains("\"order_id\""), "{}", ran.stdout);
}
