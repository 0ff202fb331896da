//! The REST API: `/subjects…`, `/schemas…` and `/config…` with the real registry's
//! answers, status codes, `error_code`s and messages; and what a register body must hold.

use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::Value;

use super::body::parse_body;
use super::store::{LEVELS, Reference, State, StoredSchema, compile_proto, json_string};

/// An answer: the HTTP status and the body, JSON (of `CONTENT_TYPE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

/// A 200 with this JSON.
fn ok(body: String) -> Response {
    Response { status: 200, body }
}

/// `{"error_code":N,"message":"..."}`, as every error of the registry is.
pub fn error(status: u16, error_code: u32, message: &str) -> Response {
    Response {
        status,
        body: format!(
            r#"{{"error_code":{error_code},"message":{}}}"#,
            json_string(message)
        ),
    }
}

/// Jersey's 404 for a path no route matches.
fn not_found() -> Response {
    error(404, 404, "HTTP 404 Not Found")
}

/// A request's query parameters, decoded.
struct Params<'a>(&'a [(String, String)]);

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `format=serialized`: a Protobuf schema as a base64 descriptor.
    fn serialized(&self) -> bool {
        self.get("format") == Some("serialized")
    }
}

/// The answer to a request: its method, its path's segments (percent-decoded), its
/// query's parameters (decoded) and its body.
pub fn route(
    state: &mut State,
    method: &str,
    segments: &[String],
    query: &[(String, String)],
    body: &[u8],
) -> Response {
    let params = Params(query);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let reply = match segments.split_first() {
        None => (method == "GET").then(|| ok("{}".into())),
        Some((&"subjects", rest)) => subjects_route(state, method, rest, &params, body),
        Some((&"schemas", rest)) => schemas_route(state, method, rest, &params),
        Some((&"config", rest)) => config_route(state, method, rest, &params, body),
        Some(_) => None,
    };
    reply.unwrap_or_else(|| {
        if known_route(&segments) {
            error(405, 405, "HTTP 405 Method Not Allowed")
        } else {
            not_found()
        }
    })
}

/// `/subjects...`; `None` when no route serves this method and path.
fn subjects_route(
    state: &mut State,
    method: &str,
    segments: &[&str],
    params: &Params<'_>,
    body: &[u8],
) -> Option<Response> {
    let serialized = params.serialized();
    Some(match (method, segments) {
        ("GET", []) => {
            let prefix = params.get("subjectPrefix").unwrap_or("");
            let names: Vec<String> = state
                .subjects
                .keys()
                .filter(|s| s.starts_with(prefix))
                .map(|s| json_string(s))
                .collect();
            ok(format!("[{}]", names.join(",")))
        }
        ("GET", [subject, "versions"]) => match state.subjects.get(*subject) {
            Some(versions) => {
                let numbers: Vec<String> = (1..=versions.len()).map(|v| v.to_string()).collect();
                ok(format!("[{}]", numbers.join(",")))
            }
            None => subject_not_found(subject),
        },
        ("POST", [subject, "versions"]) => match parse_body(state, body) {
            Ok(schema) => {
                let id = state.register(subject, schema).0;
                ok(format!(r#"{{"id":{id}}}"#))
            }
            Err(reply) => reply,
        },
        ("POST", [subject]) => {
            let schema = match parse_body(state, body) {
                Ok(schema) => schema,
                Err(reply) => return Some(reply),
            };
            let Some(versions) = state.subjects.get(*subject) else {
                return Some(subject_not_found(subject));
            };
            let found = versions
                .iter()
                .position(|id| state.schema(*id) == Some(&schema));
            match found {
                Some(index) => version_json(state, subject, index as u32 + 1, serialized),
                None => error(404, 40403, "Schema not found"),
            }
        }
        ("GET", [subject, "versions", version, rest @ ..]) if rest.len() <= 1 => {
            let number = match version_number(state, subject, version) {
                Ok(n) => n,
                Err(reply) => return Some(reply),
            };
            match rest {
                [] => version_json(state, subject, number, serialized),
                ["schema"] => {
                    let id = state.version(subject, number).unwrap_or_default();
                    schema_text(state, id, serialized)
                }
                ["referencedby"] => {
                    let ids: Vec<String> = state
                        .schemas
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| {
                            s.references
                                .iter()
                                .any(|r| r.subject == *subject && r.version == number)
                        })
                        .map(|(i, _)| (i + 1).to_string())
                        .collect();
                    ok(format!("[{}]", ids.join(",")))
                }
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// `/schemas...`; `None` when no route serves this method and path.
fn schemas_route(
    state: &State,
    method: &str,
    segments: &[&str],
    params: &Params<'_>,
) -> Option<Response> {
    let serialized = params.serialized();
    let ("GET", ["ids", id, rest @ ..]) = (method, segments) else {
        return (method == "GET" && segments == ["types"])
            .then(|| ok(r#"["JSON","PROTOBUF","AVRO"]"#.into()));
    };
    if !matches!(rest, [] | ["schema" | "versions" | "subjects"]) {
        return None;
    }
    // A path parameter that is not an int matches no route (Jersey's 404).
    let Ok(id) = id.parse::<u32>() else {
        return Some(not_found());
    };
    let Some(schema) = state.schema(id) else {
        return Some(error(404, 40403, &format!("Schema {id} not found")));
    };
    Some(match rest {
        [] => {
            let text = match shown_text(state, schema, serialized) {
                Ok(text) => text,
                Err(reply) => return Some(reply),
            };
            let mut out = String::from("{");
            schema_fields(&mut out, schema, &text);
            ok(out)
        }
        ["schema"] => schema_text(state, id, serialized),
        ["versions"] => {
            let pairs: Vec<String> = subject_versions_of(state, id)
                .iter()
                .map(|(s, v)| format!(r#"{{"subject":{},"version":{v}}}"#, json_string(s)))
                .collect();
            ok(format!("[{}]", pairs.join(",")))
        }
        _ => {
            let mut names: Vec<String> = subject_versions_of(state, id)
                .into_iter()
                .map(|(s, _)| json_string(&s))
                .collect();
            names.dedup();
            ok(format!("[{}]", names.join(",")))
        }
    })
}

/// `/config...`; `None` when no route serves this method and path.
fn config_route(
    state: &mut State,
    method: &str,
    segments: &[&str],
    params: &Params<'_>,
    body: &[u8],
) -> Option<Response> {
    let level_json = |level: &str| format!(r#"{{"compatibilityLevel":{}}}"#, json_string(level));
    Some(match (method, segments) {
        ("GET", []) => ok(level_json(&state.global_level)),
        ("GET", [subject]) => {
            let default_to_global = params
                .get("defaultToGlobal")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            match state.subject_levels.get(*subject) {
                Some(level) => ok(level_json(level)),
                None if default_to_global => ok(level_json(&state.global_level)),
                None => error(
                    404,
                    40408,
                    &format!(
                        "Subject '{subject}' does not have subject-level compatibility configured"
                    ),
                ),
            }
        }
        ("PUT", [] | [_]) => {
            let level = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
                v.get("compatibility")?
                    .as_str()
                    .map(str::to_ascii_uppercase)
            });
            let Some(level) = level.filter(|l| LEVELS.contains(&l.as_str())) else {
                return Some(error(
                    422,
                    42203,
                    "Invalid compatibility level. Valid values are none, backward, forward, full, \
                     backward_transitive, forward_transitive, and full_transitive",
                ));
            };
            match segments {
                [subject] => {
                    state
                        .subject_levels
                        .insert((*subject).to_string(), level.clone());
                }
                _ => state.global_level.clone_from(&level),
            }
            ok(format!(r#"{{"compatibility":{}}}"#, json_string(&level)))
        }
        _ => return None,
    })
}

/// Whether some method serves this path (so another method gets 405, not 404).
fn known_route(segments: &[&str]) -> bool {
    matches!(
        segments,
        [] | ["subjects" | "config"]
            | ["subjects" | "config", _]
            | ["subjects", _, "versions"]
            | ["subjects", _, "versions", _]
            | ["subjects", _, "versions", _, "schema" | "referencedby"]
            | ["schemas", "types"]
            | ["schemas", "ids", _]
    )
}

fn subject_not_found(subject: &str) -> Response {
    error(404, 40401, &format!("Subject '{subject}' not found."))
}

/// `latest`, `-1` or a number, checked against the subject.
fn version_number(state: &State, subject: &str, version: &str) -> Result<u32, Response> {
    let latest = version == "latest" || version == "-1";
    let number = if latest {
        None
    } else {
        match version.parse::<u32>() {
            Ok(n) if (1..=i32::MAX.unsigned_abs()).contains(&n) => Some(n),
            _ => {
                return Err(error(
                    422,
                    42202,
                    &format!(
                        "The specified version '{version}' is not a valid version id. Allowed \
                         values are between [1, 2^31-1] and the string \"latest\""
                    ),
                ));
            }
        }
    };
    let Some(versions) = state.subjects.get(subject) else {
        return Err(subject_not_found(subject));
    };
    match number {
        None => Ok(versions.len() as u32),
        Some(n) if (n as usize) <= versions.len() => Ok(n),
        Some(n) => Err(error(404, 40402, &format!("Version {n} not found."))),
    }
}

/// `{"subject","version","id",("schemaType"),"schema",("references")}`.
fn version_json(state: &State, subject: &str, version: u32, serialized: bool) -> Response {
    let id = state.version(subject, version).unwrap_or_default();
    let Some(schema) = state.schema(id) else {
        return error(404, 40403, &format!("Schema {id} not found"));
    };
    let text = match shown_text(state, schema, serialized) {
        Ok(text) => text,
        Err(reply) => return reply,
    };
    let mut out = format!(
        r#"{{"subject":{},"version":{version},"id":{id},"#,
        json_string(subject)
    );
    schema_fields(&mut out, schema, &text);
    ok(out)
}

/// A schema's fields in the registry's order (`schemaType` only when not Avro, then
/// `schema`, then `references` when it has some), and the closing brace.
fn schema_fields(out: &mut String, schema: &StoredSchema, text: &str) {
    if schema.kind != "AVRO" {
        let _ = write!(out, r#""schemaType":{},"#, json_string(&schema.kind));
    }
    let _ = write!(out, r#""schema":{}"#, json_string(text));
    if !schema.references.is_empty() {
        let _ = write!(
            out,
            r#","references":{}"#,
            references_json(&schema.references)
        );
    }
    out.push('}');
}

/// The bare schema text (`/schema` endpoints).
fn schema_text(state: &State, id: u32, serialized: bool) -> Response {
    match state.schema(id) {
        Some(schema) => match shown_text(state, schema, serialized) {
            Ok(text) => ok(text),
            Err(reply) => reply,
        },
        None => error(404, 40403, &format!("Schema {id} not found")),
    }
}

/// The text answered: as registered, or for `format=serialized` a Protobuf schema as a
/// base64 `FileDescriptorProto`.
fn shown_text(state: &State, schema: &StoredSchema, serialized: bool) -> Result<String, Response> {
    if !serialized
        || schema.kind != "PROTOBUF"
        || crate::schema::protobuf::as_descriptor(&schema.text).is_some()
    {
        return Ok(schema.text.clone());
    }
    let descriptor = compile_proto(state, &schema.text, &schema.references)
        .map_err(|e| error(500, 50005, &format!("Error while serializing schema: {e}")))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(descriptor))
}

fn references_json(references: &[Reference]) -> String {
    let items: Vec<String> = references
        .iter()
        .map(|r| {
            format!(
                r#"{{"name":{},"subject":{},"version":{}}}"#,
                json_string(&r.name),
                json_string(&r.subject),
                r.version
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// Every (subject, version) holding this id, subjects sorted.
fn subject_versions_of(state: &State, id: u32) -> Vec<(String, u32)> {
    state
        .subjects
        .iter()
        .flat_map(|(subject, versions)| {
            versions
                .iter()
                .enumerate()
                .filter(move |(_, v)| **v == id)
                .map(move |(i, _)| (subject.clone(), i as u32 + 1))
        })
        .collect()
}

#[cfg(test)]
#[path = "routes_tests.rs"]
mod tests;
