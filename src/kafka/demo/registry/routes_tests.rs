//! The routes answered as the registry answers: shapes, codes, serialized Protobuf.

use serde_json::json;

use super::*;

fn call(state: &mut State, method: &str, path: &str, body: &str) -> (u16, Value) {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let query: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let answer = route(state, method, &segments, &query, body.as_bytes());
    let body = serde_json::from_str(&answer.body).unwrap_or(Value::String(answer.body));
    (answer.status, body)
}

#[test]
fn registering_then_reading_back_answers_as_the_registry_does() {
    let mut state = State::new();
    let record = r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}"#;
    let body = json!({"schema": record}).to_string();
    let post = |state: &mut State| call(state, "POST", "/subjects/t-value/versions", &body);
    assert_eq!(post(&mut state), (200, json!({"id": 1})));
    assert_eq!(
        post(&mut state),
        (200, json!({"id": 1})),
        "no second version"
    );
    assert_eq!(
        call(&mut state, "GET", "/schemas/ids/1?subject=t-value", ""),
        (200, json!({"schema": record}))
    );
    assert_eq!(
        call(&mut state, "GET", "/subjects/t-value/versions/latest", ""),
        (
            200,
            json!({"subject": "t-value", "version": 1, "id": 1, "schema": record})
        )
    );
    // The bare schema, as registered.
    let (status, text) = call(&mut state, "GET", "/subjects/t-value/versions/1/schema", "");
    assert_eq!((status, text), (200, serde_json::from_str(record).unwrap()));
    assert_eq!(
        call(&mut state, "GET", "/schemas/ids/1/versions", ""),
        (200, json!([{"subject": "t-value", "version": 1}]))
    );
    assert_eq!(
        call(
            &mut state,
            "GET",
            "/config/t-value?defaultToGlobal=true",
            ""
        ),
        (200, json!({"compatibilityLevel": "BACKWARD"}))
    );
    let (status, found) = call(&mut state, "POST", "/subjects/t-value", &body);
    assert_eq!((status, &found["version"]), (200, &json!(1)));
}

#[test]
fn errors_have_the_registrys_codes_and_bodies() {
    let mut state = State::new();
    assert_eq!(
        call(&mut state, "GET", "/schemas/ids/17", ""),
        (
            404,
            json!({"error_code": 40403, "message": "Schema 17 not found"})
        )
    );
    assert_eq!(
        call(&mut state, "GET", "/subjects/a%2Fb/versions", ""),
        (
            404,
            json!({"error_code": 40401, "message": "Subject 'a/b' not found."})
        )
    );
    // The version is checked before the subject.
    let (status, body) = call(&mut state, "GET", "/subjects/nope/versions/abc", "");
    assert_eq!((status, &body["error_code"]), (422, &json!(42202)));
    let bad = json!({"schema": "{\"type\": \"recrod\"}"}).to_string();
    let (status, body) = call(&mut state, "POST", "/subjects/x-value/versions", &bad);
    assert_eq!(
        (status, &body["error_code"]),
        (422, &json!(42201)),
        "{body}"
    );
    assert_eq!(call(&mut state, "POST", "/subjects/x/versions", "{").0, 400);
    assert_eq!(call(&mut state, "GET", "/schemas/ids/x", "").0, 404);
    assert_eq!(call(&mut state, "GET", "/associations", "").0, 404);
    assert_eq!(call(&mut state, "DELETE", "/subjects/x", "").0, 405);
}

#[test]
fn a_protobuf_schema_is_served_as_a_descriptor_when_asked_serialized() {
    let mut state = State::new();
    let text = "syntax = \"proto3\"; package p; message M { string s = 1; }";
    let body = json!({"schema": text, "schemaType": "PROTOBUF"}).to_string();
    assert_eq!(
        call(&mut state, "POST", "/subjects/p-value/versions", &body).0,
        200
    );
    let (_, plain) = call(&mut state, "GET", "/schemas/ids/1", "");
    assert_eq!(plain["schema"], text);
    let (_, serialized) = call(&mut state, "GET", "/schemas/ids/1?format=serialized", "");
    let descriptor = serialized["schema"].as_str().unwrap();
    let again = crate::schema::protobuf::ProtoSchema::compile(descriptor, &[]).unwrap();
    assert_eq!(again.message_names(), ["p.M"]);
}
