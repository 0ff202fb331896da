//! The demo registry's REST API: the Confluent Schema Registry's routes that clients use
//! to read and register schemas, with its answers' shapes and its error bodies
//! (`{"error_code": 40403, "message": "Schema 9 not found"}`).

use std::sync::{Mutex, PoisonError};

use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::{Value, json};

use super::store::{Refusal, Store, Stored};
use crate::schema::Encoder;
use crate::schema::protobuf::ProtoSchema;
use crate::schema::registry::{Reference, SchemaKind};

/// An answer: the HTTP status and the JSON body.
pub type Answer = (u16, Value);

/// What a request asks: its method, path (percent-encoded) and query, and its body.
pub fn answer(store: &Mutex<Store>, method: &str, path: &str, query: &str, body: &[u8]) -> Answer {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
    let result = match (method, segments.as_slice()) {
        ("GET", []) => Ok(json!({})),
        ("GET", ["schemas", "types"]) => Ok(json!(["JSON", "PROTOBUF", "AVRO"])),
        ("GET", ["schemas", "ids", id]) => with_id(id).and_then(|id| {
            let schema = store.schema(id)?;
            let mut body = schema_body(schema);
            if query.split('&').any(|p| p == "format=serialized") {
                body["schema"] = json!(serialized(&store, schema));
            }
            Ok(body)
        }),
        ("GET", ["schemas", "ids", id, "versions"]) => {
            with_id(id).and_then(|id| store.holders(id)).map(|holders| {
                holders
                    .into_iter()
                    .map(|(subject, version)| json!({"subject": subject, "version": version}))
                    .collect()
            })
        }
        ("GET", ["schemas", "ids", id, "subjects"]) => {
            with_id(id).and_then(|id| store.holders(id)).map(|holders| {
                let mut subjects: Vec<String> = holders.into_iter().map(|(s, _)| s).collect();
                subjects.dedup();
                json!(subjects)
            })
        }
        ("GET", ["subjects"]) => Ok(json!(store.subjects())),
        ("GET", ["subjects", subject, "versions"]) => store.versions(subject).map(|v| json!(v)),
        ("GET", ["subjects", subject, "versions", version]) => {
            version_body(&store, subject, version)
        }
        ("GET", ["subjects", subject, "versions", version, "schema"]) => store
            .version(subject, version)
            .and_then(|(_, id)| store.schema(id))
            .map(|s| serde_json::from_str(&s.text).unwrap_or_else(|_| json!(s.text))),
        ("POST", ["subjects", subject, "versions"]) => submitted(body)
            .and_then(|schema| store.register(subject, schema).map(|id| json!({"id": id}))),
        ("POST", ["subjects", subject]) => submitted(body).and_then(|schema| {
            let (version, id) = store.lookup(subject, &schema)?;
            let mut found = schema_body(store.schema(id)?);
            found["subject"] = json!(subject);
            found["version"] = json!(version);
            found["id"] = json!(id);
            Ok(found)
        }),
        ("GET", ["config"]) => Ok(json!({"compatibilityLevel": store.compatibility})),
        ("GET", ["config", subject]) => {
            if query.split('&').any(|p| p == "defaultToGlobal=true") {
                Ok(json!({"compatibilityLevel": store.compatibility}))
            } else {
                Err(Refusal {
                    status: 404,
                    code: 40408,
                    message: format!(
                        "Subject '{subject}' does not have subject-level compatibility configured"
                    ),
                })
            }
        }
        ("PUT", ["config"]) => compatibility(body).map(|level| {
            store.compatibility.clone_from(&level);
            json!({"compatibility": level})
        }),
        (_, ["subjects" | "schemas" | "config", ..]) => Err(Refusal {
            status: 405,
            code: 405,
            message: "HTTP 405 Method Not Allowed".into(),
        }),
        _ => Err(Refusal {
            status: 404,
            code: 404,
            message: "HTTP 404 Not Found".into(),
        }),
    };
    match result {
        Ok(body) => (200, body),
        Err(refusal) => (
            refusal.status,
            json!({"error_code": refusal.code, "message": refusal.message}),
        ),
    }
}

fn with_id(text: &str) -> Result<u32, Refusal> {
    text.parse().map_err(|_| Refusal::schema_not_found(None))
}

/// `{"schema", "schemaType"?, "references"?}`: the type is left out for Avro, the
/// references when there are none, as the registry writes them.
fn schema_body(schema: &Stored) -> Value {
    let mut body = json!({"schema": schema.text});
    if schema.kind != SchemaKind::Avro {
        body["schemaType"] = json!(schema.kind.name());
    }
    if !schema.references.is_empty() {
        body["references"] = json!(schema.references);
    }
    body
}

/// A Protobuf schema as `format=serialized` asks (what confluent-kafka's
/// ProtobufDeserializer reads): its compiled `FileDescriptorProto`, base64, its references
/// resolved from the store. Any other schema, or one that does not compile, as it is.
fn serialized(store: &Store, schema: &Stored) -> String {
    if schema.kind != SchemaKind::Protobuf {
        return schema.text.clone();
    }
    let imports: Vec<(String, String)> = schema
        .references
        .iter()
        .filter_map(|r| {
            let (_, id) = store.version(&r.subject, &r.version.to_string()).ok()?;
            Some((r.name.clone(), store.schema(id).ok()?.text.clone()))
        })
        .collect();
    ProtoSchema::compile(&schema.text, &imports)
        .map_or_else(|_| schema.text.clone(), |compiled| compiled.serialized())
}

fn version_body(store: &Store, subject: &str, version: &str) -> Result<Value, Refusal> {
    let (number, id) = store.version(subject, version)?;
    let mut body = schema_body(store.schema(id)?);
    body["subject"] = json!(subject);
    body["version"] = json!(number);
    body["id"] = json!(id);
    Ok(body)
}

/// A schema as a client registers it: checked as the registry would (it compiles).
fn submitted(body: &[u8]) -> Result<Stored, Refusal> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Submitted {
        schema: String,
        #[serde(default)]
        schema_type: Option<SchemaKind>,
        #[serde(default)]
        references: Vec<Reference>,
    }
    let submitted: Submitted = serde_json::from_slice(body).map_err(|e| Refusal {
        status: 422,
        code: 422,
        message: format!("Unrecognized request body: {e}"),
    })?;
    let schema = Stored {
        kind: submitted.schema_type.unwrap_or(SchemaKind::Avro),
        text: submitted.schema,
        references: submitted.references,
    };
    // One without references is compiled, as the registry does; the references' own
    // checking is theirs.
    if schema.references.is_empty() {
        Encoder::for_schema(0, schema.kind, &schema.text, None, None)
            .map_err(|why| Refusal::invalid_schema(&why))?;
    }
    Ok(schema)
}

fn compatibility(body: &[u8]) -> Result<String, Refusal> {
    const LEVELS: &[&str] = &[
        "NONE",
        "BACKWARD",
        "BACKWARD_TRANSITIVE",
        "FORWARD",
        "FORWARD_TRANSITIVE",
        "FULL",
        "FULL_TRANSITIVE",
    ];
    let level = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["compatibility"].as_str().map(str::to_uppercase))
        .filter(|level| LEVELS.contains(&level.as_str()));
    level.ok_or_else(|| Refusal {
        status: 422,
        code: 42203,
        message: "Invalid compatibility level. Valid values are none, backward, forward, full, \
                  backward_transitive, forward_transitive, and full_transitive"
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(store: &Mutex<Store>, method: &str, path: &str, body: &str) -> Answer {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        answer(store, method, path, query, body.as_bytes())
    }

    #[test]
    fn registering_then_reading_back_answers_as_the_registry_does() {
        let store = Mutex::new(Store::default());
        let record = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
        let (status, body) = call(
            &store,
            "POST",
            "/subjects/t-value/versions",
            &json!({"schema": record}).to_string(),
        );
        assert_eq!((status, body), (200, json!({"id": 1})));
        assert_eq!(
            call(&store, "GET", "/schemas/ids/1?subject=t-value", ""),
            (200, json!({"schema": record}))
        );
        assert_eq!(
            call(&store, "GET", "/subjects/t-value/versions/latest", ""),
            (
                200,
                json!({"subject": "t-value", "version": 1, "id": 1, "schema": record})
            )
        );
        assert_eq!(
            call(&store, "GET", "/schemas/ids/1/versions", ""),
            (200, json!([{"subject": "t-value", "version": 1}]))
        );
        assert_eq!(
            call(&store, "GET", "/config/t-value?defaultToGlobal=true", ""),
            (200, json!({"compatibilityLevel": "BACKWARD"}))
        );
        let (status, found) = call(
            &store,
            "POST",
            "/subjects/t-value",
            &json!({"schema": record}).to_string(),
        );
        assert_eq!(
            (status, &found["version"], &found["id"]),
            (200, &json!(1), &json!(1))
        );
    }

    #[test]
    fn a_protobuf_schema_is_served_as_a_descriptor_when_asked_serialized() {
        let store = Mutex::new(Store::default());
        let text = "syntax = \"proto3\"; package p; message M { string s = 1; }";
        let body = json!({"schema": text, "schemaType": "PROTOBUF"}).to_string();
        assert_eq!(
            call(&store, "POST", "/subjects/p-value/versions", &body).0,
            200
        );
        let (_, plain) = call(&store, "GET", "/schemas/ids/1", "");
        assert_eq!(plain["schema"], text);
        let (_, serialized) = call(&store, "GET", "/schemas/ids/1?format=serialized", "");
        let descriptor = serialized["schema"].as_str().unwrap();
        assert!(!descriptor.contains(' '), "{descriptor}");
        // What is served compiles back to the same message.
        let again = ProtoSchema::compile(descriptor, &[]).unwrap();
        assert_eq!(again.message_names(), ["p.M"]);
    }

    #[test]
    fn errors_have_the_registrys_codes_and_bodies() {
        let store = Mutex::new(Store::default());
        assert_eq!(
            call(&store, "GET", "/schemas/ids/17", ""),
            (
                404,
                json!({"error_code": 40403, "message": "Schema 17 not found"})
            )
        );
        assert_eq!(
            call(&store, "GET", "/subjects/a%2Fb/versions", ""),
            (
                404,
                json!({"error_code": 40401, "message": "Subject 'a/b' not found."})
            )
        );
        let (status, body) = call(
            &store,
            "POST",
            "/subjects/x-value/versions",
            &json!({"schema": "{\"type\": \"recrod\"}"}).to_string(),
        );
        assert_eq!(
            (status, &body["error_code"]),
            (422, &json!(42201)),
            "{body}"
        );
        assert_eq!(call(&store, "GET", "/associations", "").0, 404);
        assert_eq!(call(&store, "DELETE", "/subjects/x", "").0, 405);
    }
}
