//! The filtered stream's rules: `GET`/`POST /2/tweets/search/stream/rules`.

use serde::Deserialize;

use super::{ApiError, HttpOutcome, Options, classify_status, http_client, without_url_query};

/// One filtered-stream rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct StreamRule {
    #[serde(default)]
    pub id: String,
    pub value: String,
    #[serde(default)]
    pub tag: Option<String>,
}

#[derive(Deserialize)]
struct RulesAnswer {
    #[serde(default)]
    data: Vec<StreamRule>,
    #[serde(default)]
    errors: Vec<ApiError>,
}

async fn rules_call(request: reqwest::RequestBuilder) -> Result<Vec<StreamRule>, String> {
    let response = request
        .send()
        .await
        .map_err(|e| format!("network error: {}", without_url_query(&e)))?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if status != 200 && status != 201 {
        return Err(match classify_status(status, &body, None) {
            HttpOutcome::Fatal(r) | HttpOutcome::Retry(_, r) => r,
        });
    }
    let answer: RulesAnswer =
        serde_json::from_slice(&body).map_err(|e| format!("unexpected answer: {e}"))?;
    if let (Some(e), true) = (answer.errors.first(), answer.data.is_empty()) {
        return Err(format!("{}: {}", e.title, e.detail));
    }
    Ok(answer.data)
}

/// `GET /2/tweets/search/stream/rules`.
pub async fn list_rules(options: &Options) -> Result<Vec<StreamRule>, String> {
    let client = http_client()?;
    rules_call(
        client
            .get(options.rules_url())
            .bearer_auth(options.token.expose()),
    )
    .await
}

/// `POST /2/tweets/search/stream/rules` with `add`.
pub async fn add_rule(
    options: &Options,
    value: &str,
    tag: Option<&str>,
) -> Result<Vec<StreamRule>, String> {
    let client = http_client()?;
    let body = serde_json::json!({ "add": [{ "value": value, "tag": tag }] });
    rules_call(
        client
            .post(options.rules_url())
            .bearer_auth(options.token.expose())
            .json(&body),
    )
    .await
}

/// `POST /2/tweets/search/stream/rules` with `delete`.
pub async fn delete_rules(options: &Options, ids: &[String]) -> Result<(), String> {
    let client = http_client()?;
    let body = serde_json::json!({ "delete": { "ids": ids } });
    rules_call(
        client
            .post(options.rules_url())
            .bearer_auth(options.token.expose())
            .json(&body),
    )
    .await
    .map(|_| ())
}
