//! Hostile model replies that never end (benches/ask_bounds.sh and the
//! model-bounds tests): generated lazily, so the emulator's memory stays
//! constant whatever the client does.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::Response;
use serde_json::{Value, json};

use super::{chunk, sse_response};

/// Hostile replies that never end, generated lazily (constant memory here,
/// whatever the client does): `content` (answer text), `arguments` (one tool
/// call's arguments), `tool_calls` (new tool calls), `line` (one SSE line
/// that never ends), `slow` (a few bytes of answer every 50 ms, forever).
pub const ENDLESS_MODES: [&str; 5] = ["content", "arguments", "tool_calls", "line", "slow"];

pub(super) fn endless(mode: &str, id: String, created: i64, model: String) -> Response {
    let first = match mode {
        "line" => format!(
            "data: {{\"id\":\"{id}\",\"object\":\"chat.completion.chunk\",\"created\":{created},\
             \"model\":\"{model}\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\""
        ),
        "arguments" => chunk(
            &id,
            created,
            &model,
            json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_endless", "type": "function",
                   "function": {"name": "github_activity", "arguments": "{\"repo\": \""}}]}),
            Value::Null,
        ),
        _ => chunk(
            &id,
            created,
            &model,
            json!({"role": "assistant", "content": ""}),
            Value::Null,
        ),
    };
    let mode = mode.to_string();
    let piece = "x".repeat(4096);
    let s = futures::stream::unfold(0u64, move |i| {
        let body = if i == 0 {
            first.clone()
        } else {
            match mode.as_str() {
                "line" => piece.clone(),
                "arguments" => chunk(
                    &id,
                    created,
                    &model,
                    json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}),
                    Value::Null,
                ),
                "tool_calls" => chunk(
                    &id,
                    created,
                    &model,
                    json!({"tool_calls": [{"index": i - 1, "id": format!("call_e{i}"), "type": "function",
                           "function": {"name": "slack_unread", "arguments": "{}"}}]}),
                    Value::Null,
                ),
                "slow" => chunk(&id, created, &model, json!({"content": "."}), Value::Null),
                _ => chunk(&id, created, &model, json!({"content": piece}), Value::Null),
            }
        };
        let slow = mode == "slow";
        async move {
            if slow {
                tokio::time::sleep(Duration::from_millis(50)).await;
            } else if i % 64 == 0 {
                tokio::task::yield_now().await;
            }
            Some((Ok::<_, Infallible>(Bytes::from(body)), i + 1))
        }
    });
    sse_response(Body::from_stream(s))
}
