//! Layer 3: the forms a JSON Schema reference takes (names relative to an `$id`, absolute
//! URLs, a reference of a reference, a definition inside one, names ending with another's,
//! `../`): each validates with the schema it names, written by `ktui produce` and read
//! back by `ktui consume`. The peers' side of references is in `schemas_json_refs.rs`.

use std::process::Command;

use serde_json::{Value, json};

use super::schemas_json_refs::{ADDRESS, DEADLINE, ktui_consume, lines};
use crate::support::KTUI;
use crate::support::broker::MockCluster;
use crate::support::fake_registry::FakeRegistry;
use crate::support::process::run_with_input;

/// A schema's references as `FakeRegistry::register` takes them.
type Refs = Vec<(&'static str, &'static str, u32)>;

/// One way of writing a reference: the schemas registered (subject, text, references),
/// the last one the value's; a value it accepts, and one the referenced schema refuses
/// with these words.
struct Form {
    what: &'static str,
    schemas: Vec<(&'static str, String, Refs)>,
    valid: Value,
    invalid: Value,
    refused: &'static str,
}

fn order_with(id: Option<&str>, properties: &Value) -> String {
    let mut order = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": properties,
    });
    if let Some(id) = id {
        order["$id"] = json!(id);
    }
    order.to_string()
}

fn address_with(id: Option<&str>, zip: &Value) -> String {
    let mut address: Value = serde_json::from_str(ADDRESS).expect("ADDRESS is JSON");
    address["properties"]["zip"] = zip.clone();
    if let Some(id) = id {
        address["$id"] = json!(id);
    }
    address.to_string()
}

/// The zip's schema, a value it accepts, one it refuses and the words.
fn zip_case() -> (Value, Value, Value, &'static str) {
    (
        json!({"type": "string", "pattern": "^[0-9]{5}$"}),
        json!({"address": {"street": "x", "zip": "12345"}}),
        json!({"address": {"street": "x", "zip": "7500A"}}),
        r#".address.zip: "7500A" does not match "^[0-9]{5}$""#,
    )
}

/// Names relative and absolute, with and without `$id`s.
fn named_forms() -> Vec<Form> {
    let (zip, shipped, bad, refused) = zip_case();
    let url = "https://example.com/schemas/address.json";
    vec![
        Form {
            what: "a name relative to the value schema's $id",
            schemas: vec![
                ("a-address", address_with(None, &zip), vec![]),
                (
                    "a-value",
                    order_with(
                        Some("https://example.com/schemas/order.json"),
                        &json!({"address": {"$ref": "address.json"}}),
                    ),
                    vec![("address.json", "a-address", 1)],
                ),
            ],
            valid: shipped.clone(),
            invalid: bad.clone(),
            refused,
        },
        Form {
            what: "an absolute URL as the name, the referenced schema's $id",
            schemas: vec![
                ("b-address", address_with(Some(url), &zip), vec![]),
                (
                    "b-value",
                    order_with(None, &json!({"address": {"$ref": url}})),
                    vec![(url, "b-address", 1)],
                ),
            ],
            valid: shipped.clone(),
            invalid: bad.clone(),
            refused,
        },
        Form {
            what: "a relative name for a schema with an $id of its own",
            schemas: vec![
                ("c-address", address_with(Some(url), &zip), vec![]),
                (
                    "c-value",
                    order_with(None, &json!({"address": {"$ref": "address.json"}})),
                    vec![("address.json", "c-address", 1)],
                ),
            ],
            valid: shipped.clone(),
            invalid: bad.clone(),
            refused,
        },
    ]
}

/// Nested, inside a schema, names that overlap or climb folders.
fn nested_forms() -> Vec<Form> {
    let (zip, shipped, bad, refused) = zip_case();
    vec![
        Form {
            what: "a reference of a reference",
            schemas: vec![
                ("d-zip", zip.to_string(), vec![]),
                (
                    "d-address",
                    address_with(None, &json!({"$ref": "zip.json"})),
                    vec![("zip.json", "d-zip", 1)],
                ),
                (
                    "d-value",
                    order_with(None, &json!({"address": {"$ref": "address.json"}})),
                    vec![("address.json", "d-address", 1)],
                ),
            ],
            valid: shipped.clone(),
            invalid: bad.clone(),
            refused,
        },
        Form {
            what: "a definition inside the referenced schema",
            schemas: vec![
                (
                    "e-defs",
                    json!({"definitions": {"Address": serde_json::from_str::<Value>(ADDRESS)
                        .expect("ADDRESS is JSON")}})
                    .to_string(),
                    vec![],
                ),
                (
                    "e-value",
                    order_with(
                        None,
                        &json!({"address": {"$ref": "defs.json#/definitions/Address"}}),
                    ),
                    vec![("defs.json", "e-defs", 1)],
                ),
            ],
            valid: shipped.clone(),
            invalid: bad.clone(),
            refused,
        },
        Form {
            what: "two names, one ending with the other",
            schemas: vec![
                ("f-address", address_with(None, &zip), vec![]),
                (
                    "f-billing",
                    json!({
                        "type": "object",
                        "properties": {"iban": {"type": "string", "pattern": "^[A-Z]{2}"}},
                        "required": ["iban"],
                        "additionalProperties": false,
                    })
                    .to_string(),
                    vec![],
                ),
                (
                    "f-value",
                    order_with(
                        None,
                        &json!({
                            "address": {"$ref": "address.json"},
                            "bill_to": {"$ref": "billing/address.json"},
                        }),
                    ),
                    vec![
                        ("address.json", "f-address", 1),
                        ("billing/address.json", "f-billing", 1),
                    ],
                ),
            ],
            valid: json!({"address": {"street": "x", "zip": "12345"}, "bill_to": {"iban": "FR76"}}),
            invalid: json!({"address": {"street": "x", "zip": "12345"}, "bill_to": {"iban": "fr76"}}),
            refused: r#".bill_to.iban: "fr76" does not match "^[A-Z]{2}""#,
        },
        Form {
            what: "a name climbing out of the value schema's folder",
            schemas: vec![
                ("g-address", address_with(None, &zip), vec![]),
                (
                    "g-value",
                    order_with(
                        None,
                        &json!({"address": {"$ref": "../common/address.json"}}),
                    ),
                    vec![("../common/address.json", "g-address", 1)],
                ),
            ],
            valid: shipped.clone(),
            invalid: bad,
            refused,
        },
    ]
}

/// Each form: ktui frames the value the schemas accept and refuses the one the referenced
/// schema does not, naming its path; the record it wrote decodes back, naming the subject.
#[test]
fn every_form_of_reference_validates_with_the_referenced_schema() {
    let cluster = MockCluster::start();
    let registry = FakeRegistry::start_in_background();
    let mut failures = Vec::new();
    for form in named_forms().into_iter().chain(nested_forms()) {
        let mut subject = "";
        for (name, text, references) in &form.schemas {
            registry.register(name, "json", text, references.clone());
            subject = name;
        }
        let topic = cluster.topic("sr-json-refs-form", 1);
        let input = format!("{}\n{}\n", form.valid, form.invalid);
        let ran = run_with_input(
            Command::new(KTUI)
                .args([
                    "-b",
                    cluster.bootstrap(),
                    "--schema-registry",
                    &registry.url(),
                ])
                .args(["produce", &topic, "--value-subject", subject]),
            input.as_bytes(),
            DEADLINE,
        );
        let refused = format!("ktui: line 2: value: {}", form.refused);
        let summary = format!("ktui: produced 1 message to {topic}; 1 failed: ");
        if ran.code() != Some(1)
            || ran.stderr.lines().next() != Some(refused.as_str())
            || !ran.stderr.contains(&summary)
        {
            failures.push(format!(
                "{}: produce ({:?}): {}",
                form.what,
                ran.code(),
                ran.stderr
            ));
            continue;
        }
        let envelopes = lines(&ktui_consume(cluster.bootstrap(), &registry.url(), &topic));
        let decoded = envelopes
            .iter()
            .map(|e| {
                (
                    e["value_decoded"].clone(),
                    e["value_schema"]["subject"].clone(),
                )
            })
            .collect::<Vec<_>>();
        if decoded != [(form.valid.clone(), json!(subject))] {
            failures.push(format!("{}: decoded {envelopes:#?}", form.what));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
