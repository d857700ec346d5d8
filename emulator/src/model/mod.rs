//! A scripted OpenAI-compatible chat model (under `/v1`): tests queue exact
//! turns (text, tool calls with raw argument strings, HTTP errors) through
//! the control API; with an empty queue a deterministic DEMO model calls the
//! standup tools in parallel and then writes a Markdown brief from their
//! results. Supports plain JSON answers and SSE streaming.
//!
//! This module holds `/v1/models`, `/v1/chat/completions` (JSON or SSE
//! chunks) and the scripted turns; the demo model's brief is in `demo`, the
//! replies that never end in `endless`.

mod demo;
mod endless;

pub use endless::ENDLESS_MODES;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State as AxState;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::state::App;
use crate::wire::json_response;

use demo::demo;
use endless::endless;

type S = AxState<Arc<App>>;

pub const MODEL_ID: &str = "emulator-demo";

struct ToolCall {
    id: String,
    name: String,
    arguments: String,
}

#[derive(Default)]
struct Reply {
    content: Option<String>,
    tool_calls: Vec<ToolCall>,
}

fn openai_error(status: u16, message: &str, kind: &str) -> Response {
    json_response(
        status,
        json!({"error": {"message": message, "type": kind, "param": null, "code": null}}),
    )
}

pub async fn models() -> Response {
    json_response(
        200,
        json!({"object": "list", "data": [{
            "id": MODEL_ID, "object": "model", "created": 1_767_225_600, "owned_by": "devcontext-emulator",
        }]}),
    )
}

/// Checks the shape of a scripted turn (used by the control endpoint too).
pub fn validate_turn(t: &Value) -> Result<(), String> {
    let Some(o) = t.as_object() else {
        return Err("each turn must be a JSON object".into());
    };
    if let Some(mode) = o.get("endless") {
        return match mode.as_str() {
            Some(m) if ENDLESS_MODES.contains(&m) => Ok(()),
            _ => Err(format!(
                "endless must be one of: {}",
                ENDLESS_MODES.join(", ")
            )),
        };
    }
    if !(o.contains_key("content") || o.contains_key("tool_calls") || o.contains_key("error")) {
        return Err("a turn needs one of: content, tool_calls, error, endless".into());
    }
    if let Some(tc) = o.get("tool_calls") {
        let Some(arr) = tc.as_array() else {
            return Err("tool_calls must be an array".into());
        };
        for c in arr {
            if c.get("name").and_then(Value::as_str).is_none() {
                return Err("every tool call needs a string name".into());
            }
        }
    }
    Ok(())
}

fn sse_response(body: Body) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

fn scripted(turn: &Value, n: u64) -> Result<Reply, Response> {
    if let Some(e) = turn.get("error") {
        let status = e.get("status").and_then(Value::as_u64).unwrap_or(500) as u16;
        let msg = e
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("scripted error");
        let kind = e
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or(if status == 429 {
                "rate_limit_error"
            } else {
                "server_error"
            });
        let mut r = openai_error(status, msg, kind);
        if let Some(Value::Object(h)) = e.get("headers") {
            for (k, v) in h {
                if let (Ok(name), Some(Ok(val))) = (
                    axum::http::HeaderName::from_bytes(k.as_bytes()),
                    v.as_str().map(HeaderValue::from_str),
                ) {
                    r.headers_mut().insert(name, val);
                }
            }
        }
        return Err(r);
    }
    let mut reply = Reply {
        content: turn
            .get("content")
            .and_then(Value::as_str)
            .map(str::to_string),
        ..Reply::default()
    };
    if let Some(Value::Array(calls)) = turn.get("tool_calls") {
        for (i, c) in calls.iter().enumerate() {
            let arguments = match c.get("arguments") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => "{}".into(),
                Some(other) => other.to_string(),
            };
            reply.tool_calls.push(ToolCall {
                id: c
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("call_s{n}_{i}")),
                name: c
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                arguments,
            });
        }
    }
    Ok(reply)
}

fn chunk(id: &str, created: i64, model: &str, delta: Value, finish: Value) -> String {
    let c = json!({
        "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
        "system_fingerprint": "fp_emulator",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
    });
    format!("data: {c}\n\n")
}

/// Small pieces like a real model streams, but at most ~256 of them, so a
/// huge scripted turn (1 MB of arguments) streams in well under a second.
fn piece_size(s: &str, small: usize) -> usize {
    small.max(s.len() / 256)
}

fn pieces(s: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

pub async fn chat(AxState(app): S, body: Bytes) -> Response {
    let req: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return openai_error(
                400,
                &format!("Invalid JSON body: {e}"),
                "invalid_request_error",
            );
        }
    };
    let Some(messages) = req.get("messages").and_then(Value::as_array) else {
        return openai_error(
            400,
            "'messages' is a required property",
            "invalid_request_error",
        );
    };
    let stream = req.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let include_usage = req
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let model = req
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or(MODEL_ID)
        .to_string();
    let tool_choice_none = req.get("tool_choice").and_then(Value::as_str) == Some("none");
    let tools: Vec<String> = req
        .get("tools")
        .filter(|_| !tool_choice_none)
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter_map(|t| t.pointer("/function/name").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let (turn, n, created) = {
        let mut st = app.lock();
        st.model_calls += 1;
        (st.script.pop_front(), st.model_calls, st.now().timestamp())
    };
    if let Some(mode) = turn
        .as_ref()
        .and_then(|t| t.get("endless"))
        .and_then(Value::as_str)
    {
        return endless(mode, format!("chatcmpl-emu-{n:06}"), created, model);
    }
    let reply = match turn {
        Some(t) => match scripted(&t, n) {
            Ok(r) => r,
            Err(resp) => return resp,
        },
        None => demo(messages, &tools),
    };
    let id = format!("chatcmpl-emu-{n:06}");
    let finish = if reply.tool_calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    let prompt_tokens = (body.len() / 4 + 1) as u64;
    let out_len = reply.content.as_ref().map_or(0, String::len)
        + reply
            .tool_calls
            .iter()
            .map(|t| t.name.len() + t.arguments.len())
            .sum::<usize>();
    let completion_tokens = (out_len / 4 + 1) as u64;
    let usage = json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    });
    if !stream {
        let mut message = json!({"role": "assistant", "content": reply.content, "refusal": null});
        if !reply.tool_calls.is_empty() {
            message["tool_calls"] = Value::Array(
                reply
                    .tool_calls
                    .iter()
                    .map(|t| {
                        json!({"id": t.id, "type": "function",
                               "function": {"name": t.name, "arguments": t.arguments}})
                    })
                    .collect(),
            );
        }
        return json_response(
            200,
            json!({
                "id": id, "object": "chat.completion", "created": created, "model": model,
                "system_fingerprint": "fp_emulator",
                "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
                "usage": usage,
            }),
        );
    }
    let mut events: Vec<String> = vec![chunk(
        &id,
        created,
        &model,
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    if let Some(c) = &reply.content {
        for p in pieces(c, piece_size(c, 12)) {
            events.push(chunk(
                &id,
                created,
                &model,
                json!({"content": p}),
                Value::Null,
            ));
        }
    }
    for (i, t) in reply.tool_calls.iter().enumerate() {
        events.push(chunk(
            &id,
            created,
            &model,
            json!({"tool_calls": [{"index": i, "id": t.id, "type": "function",
                                   "function": {"name": t.name, "arguments": ""}}]}),
            Value::Null,
        ));
        for p in pieces(&t.arguments, piece_size(&t.arguments, 8)) {
            events.push(chunk(
                &id,
                created,
                &model,
                json!({"tool_calls": [{"index": i, "function": {"arguments": p}}]}),
                Value::Null,
            ));
        }
    }
    events.push(chunk(&id, created, &model, json!({}), json!(finish)));
    if include_usage {
        let u = json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": "fp_emulator", "choices": [], "usage": usage,
        });
        events.push(format!("data: {u}\n\n"));
    }
    events.push("data: [DONE]\n\n".into());
    let s = futures::stream::iter(events).then(|e| async move {
        tokio::time::sleep(Duration::from_millis(2)).await;
        Ok::<_, Infallible>(Bytes::from(e))
    });
    sse_response(Body::from_stream(s))
}
