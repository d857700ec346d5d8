//! Request-log middleware: records every non-control request (method, path,
//! masked query, status, kind of authentication, token-endpoint fields,
//! latency, and for the model endpoint the messages/tools/stream flag) so
//! tests can compare devcontext's audit trail with real traffic. Raw
//! secrets are never stored.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State as AxState};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::state::{App, LogEntry};
use crate::wire::{authorization, parse_params, rfc3339};

/// Largest request body the emulator buffers.
const MAX_BODY: usize = 64 * 1024 * 1024;

const SECRET_PREFIXES: [&str; 12] = [
    "emu_rt_",
    "emu_cs_",
    "emu_ac_",
    "emu_dc_",
    "emu_cc_",
    "emu_as_",
    "emu_mfa_",
    "ghu_emu",
    "xoxp-emu-",
    "ya29.emu",
    "eyJ",
    "emu_pt_",
];

fn secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    if k.ends_with("_type") || k == "code_challenge_method" || k == "user_code" {
        return false;
    }
    k == "code"
        || k.ends_with("_code")
        || k.contains("token")
        || k.contains("secret")
        || k.contains("verifier")
        || k.contains("password")
        || k.contains("assertion")
        || k.contains("key")
        || k == "ticket"
        || k == "auth_session"
}

fn secret_value(v: &str) -> bool {
    SECRET_PREFIXES.iter().any(|p| v.starts_with(p))
}

/// The query string as a JSON object with secret-like values replaced by "***".
pub fn masked_query(q: Option<&str>) -> Value {
    let Some(q) = q.filter(|q| !q.is_empty()) else {
        return Value::Null;
    };
    let mut out = Map::new();
    for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
        let v = if secret_key(&k) || secret_value(&v) {
            json!("***")
        } else {
            json!(v)
        };
        match out.get_mut(k.as_ref()) {
            Some(Value::Array(a)) => a.push(v),
            Some(prev) => {
                let p = prev.take();
                *prev = json!([p, v]);
            }
            None => {
                out.insert(k.into_owned(), v);
            }
        }
    }
    Value::Object(out)
}

fn model_summary(body: &[u8]) -> Option<Value> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let tools: Vec<Value> = v
        .get("tools")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter_map(|t| t.pointer("/function/name").cloned())
                .collect()
        })
        .unwrap_or_default();
    Some(json!({
        "model": v.get("model"),
        "messages": v.get("messages"),
        "tools": tools,
        "tool_choice": v.get("tool_choice"),
        "stream": v.get("stream").and_then(Value::as_bool).unwrap_or(false),
    }))
}

pub async fn record(AxState(app): AxState<Arc<App>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/__emulator") {
        return next.run(req).await;
    }
    let started = Instant::now();
    let method = req.method().to_string();
    let query = masked_query(req.uri().query());
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response(),
    };
    let params = parse_params(&parts.headers, &bytes).unwrap_or_default();
    let auth = authorization(&parts.headers).map(|a| a.trim().to_ascii_lowercase());
    let auth_kind = match auth {
        Some(a) if a.starts_with("bearer ") || a.starts_with("token ") => Some("bearer"),
        Some(a) if a.starts_with("basic ") => Some("basic"),
        _ if params.contains_key("client_secret") => Some("body"),
        _ => None,
    };
    let model = (path == "/v1/chat/completions")
        .then(|| model_summary(&bytes))
        .flatten();
    let (seq, at) = {
        let mut st = app.lock();
        st.next_seq += 1;
        (st.next_seq, rfc3339(st.now()))
    };
    let mut entry = LogEntry {
        seq,
        at,
        method,
        path,
        query,
        status: 0,
        auth_kind,
        grant_type: params.get("grant_type").cloned(),
        connection: params.get("connection").cloned(),
        subject_token_type: params.get("subject_token_type").cloned(),
        latency_ms: 0,
        model,
    };
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    entry.status = resp.status().as_u16();
    entry.latency_ms = started.elapsed().as_millis() as u64;
    app.lock().log.push(entry);
    resp
}
