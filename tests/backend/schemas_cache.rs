//! Layer 3: the schema cache (`ktui::schema::Schemas`) against the fake registry: an id is
//! fetched once; when the registry failed to say which subjects hold it, only that is
//! asked again later (the schema keeps decoding meanwhile), a registry that will not say
//! (403) is not asked again, and one that stopped answering trips the breaker instead of
//! costing a deadline per id.

use std::time::Duration;

use ktui::schema::{RegistrySettings, Schemas};

use crate::support::fake_registry::{BACKEND_ERROR, FakeRegistry};

const PING: &str = r#"{"type":"record","name":"Ping","fields":[{"name":"id","type":"long"}]}"#;

/// `GET /schemas/ids/1/versions …` lines the registry saw.
fn holder_asks(registry: &FakeRegistry) -> usize {
    registry
        .request_lines()
        .iter()
        .filter(|l| l.starts_with("GET /schemas/ids/1/versions"))
        .count()
}

fn holders(schemas: &Schemas) -> Vec<(String, i32)> {
    schemas
        .get(1)
        .expect("the schema decodes")
        .info
        .holders
        .iter()
        .map(|h| (h.subject.clone(), h.version))
        .collect()
}

#[test]
fn holders_the_registry_failed_to_name_are_asked_again_alone() {
    let registry = FakeRegistry::start_in_background();
    assert_eq!(registry.register("pings-value", "AVRO", PING, vec![]), 1);
    registry.set_failure_on("/versions", BACKEND_ERROR);
    // No wait between asks: every `get` is past the retry time.
    let schemas = Schemas::new(&RegistrySettings::new(registry.url()))
        .expect("a client")
        .with_retry_after(Duration::ZERO);
    assert_eq!(holders(&schemas), [], "decodes without its holders");
    assert_eq!((registry.schema_fetches(1), holder_asks(&registry)), (1, 1));
    assert_eq!(holders(&schemas), []);
    assert_eq!(
        (registry.schema_fetches(1), holder_asks(&registry)),
        (1, 2),
        "the holders asked again, the schema not fetched again"
    );
    registry.set_failure(None);
    assert_eq!(holders(&schemas), [("pings-value".to_string(), 1)]);
    assert_eq!(holders(&schemas), [("pings-value".to_string(), 1)]);
    assert_eq!(
        (registry.schema_fetches(1), holder_asks(&registry)),
        (1, 3),
        "known now: not asked again"
    );
}

#[test]
fn a_registry_that_will_not_name_holders_is_not_asked_again() {
    let registry = FakeRegistry::start_in_background();
    assert_eq!(registry.register("pings-value", "AVRO", PING, vec![]), 1);
    registry.set_failure_on("/versions", (403, 40301, "User is denied operation"));
    let schemas = Schemas::new(&RegistrySettings::new(registry.url()))
        .expect("a client")
        .with_retry_after(Duration::ZERO);
    assert_eq!(holders(&schemas), []);
    assert_eq!(holders(&schemas), []);
    assert_eq!((registry.schema_fetches(1), holder_asks(&registry)), (1, 1));
}

#[test]
fn a_registry_that_stops_answering_keeps_cached_schemas_and_fails_the_rest_at_once() {
    let registry = FakeRegistry::start_in_background();
    assert_eq!(registry.register("pings-value", "AVRO", PING, vec![]), 1);
    let other = PING.replace("Ping", "Other");
    assert_eq!(registry.register("other-value", "AVRO", &other, vec![]), 2);
    let schemas = Schemas::new(&RegistrySettings::new(registry.url()))
        .expect("a client")
        .with_retry_after(Duration::from_secs(3_600));
    assert_eq!(holders(&schemas), [("pings-value".to_string(), 1)]);
    // Dead: requests are read and never answered; the client gives up at its deadline.
    registry.set_dead(true);
    let before = (registry.connections(), registry.request_count());
    assert!(schemas.get(1).is_ok(), "cached: decodes");
    assert_eq!(
        (registry.connections(), registry.request_count()),
        before,
        "and asks nothing"
    );
    let why = schemas.get(2).expect_err("id 2 was never fetched");
    assert!(
        why.starts_with("schema 2: the schema registry at ")
            && why.ends_with(" did not answer within 5 s"),
        "{why}"
    );
    // The breaker: another id fails with that reason without asking the registry.
    let asked = registry.request_count();
    let again = schemas.get(3).expect_err("down");
    assert_eq!(
        again,
        why.replace("schema 2", "schema 3"),
        "the same reason"
    );
    assert_eq!(registry.request_count(), asked, "no new request");
}

#[test]
fn a_holders_lookup_the_registry_does_not_answer_trips_no_breaker() {
    let registry = FakeRegistry::start_in_background();
    assert_eq!(registry.register("pings-value", "AVRO", PING, vec![]), 1);
    let other = PING.replace("Ping", "Other");
    assert_eq!(registry.register("other-value", "AVRO", &other, vec![]), 2);
    registry.set_failure_on("/versions", BACKEND_ERROR);
    let schemas = Schemas::new(&RegistrySettings::new(registry.url()))
        .expect("a client")
        .with_retry_after(Duration::ZERO);
    assert_eq!(holders(&schemas), []);
    // Its holders asked again while the registry is gone: it still decodes.
    registry.stop();
    assert!(schemas.get(1).is_ok());
    // Back: another id is asked for, not failed by a breaker the holders tripped.
    registry.restart();
    registry.set_failure(None);
    assert!(schemas.get(2).is_ok(), "{:?}", schemas.get(2).err());
    assert_eq!(registry.schema_fetches(2), 1);
}
