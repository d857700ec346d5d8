//! A scripted OpenAI-compatible chat model (under `/v1`): tests queue exact
//! turns (text, tool calls with raw argument strings, HTTP errors) through
//! the control API; with an empty queue a deterministic DEMO model calls the
//! standup tools in parallel and then writes a Markdown brief from their
//! results. Supports plain JSON answers and SSE streaming.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State as AxState;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::state::App;
use crate::wire::json_response;

type S = AxState<Arc<App>>;

pub const MODEL_ID: &str = "emulator-demo";
pub const DEMO_TOOLS: [&str; 3] = ["github_review_requests", "calendar_today", "slack_unread"];

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

/// Hostile replies that never end, generated lazily (constant memory here,
/// whatever the client does): `content` (answer text), `arguments` (one tool
/// call's arguments), `tool_calls` (new tool calls), `line` (one SSE line
/// that never ends), `slow` (a few bytes of answer every 50 ms, forever).
pub const ENDLESS_MODES: [&str; 5] = ["content", "arguments", "tool_calls", "line", "slow"];

fn endless(mode: &str, id: String, created: i64, model: String) -> Response {
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

fn message_text(m: &Value) -> String {
    match m.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

fn service_name(tool: &str) -> String {
    if tool.starts_with("github") {
        "GitHub".into()
    } else if tool.starts_with("calendar") {
        "Calendar".into()
    } else if tool.starts_with("slack") {
        "Slack".into()
    } else {
        tool.to_string()
    }
}

fn str_field<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str).filter(|s| !s.is_empty()))
}

fn one_line(s: &str, max: usize) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max).collect::<String>())
    } else {
        flat
    }
}

fn bullet(item: &Value) -> String {
    let label = str_field(item, &["title", "summary", "text", "name", "subject"])
        .map(|s| one_line(s, 160))
        .unwrap_or_else(|| one_line(&item.to_string(), 80));
    let mut line = format!("- {label}");
    let start = match item.get("start") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(o @ Value::Object(_)) => str_field(o, &["dateTime", "date"]).map(str::to_string),
        _ => str_field(item, &["start_time", "time"]).map(str::to_string),
    };
    if let Some(s) = start {
        line.push_str(&format!(" ({s})"));
    }
    if let Some(u) = str_field(item, &["url", "html_url", "htmlLink", "permalink", "link"]) {
        line.push_str(&format!(" — {u}"));
    }
    line
}

fn items_of(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::Array(a) => Some(a.clone()),
        Value::Object(o) => {
            const PREFERRED: [&str; 13] = [
                "direct_messages",
                "mentions",
                "items",
                "results",
                "pull_requests",
                "prs",
                "events",
                "meetings",
                "messages",
                "unread",
                "notifications",
                "channels",
                "data",
            ];
            PREFERRED
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_array))
                .or_else(|| o.values().find_map(Value::as_array))
                .cloned()
        }
        _ => None,
    }
}

/// The user's UTC offset, from devcontext's system prompt ("... (UTC+01:00)").
fn zone_offset(messages: &[Value]) -> FixedOffset {
    let utc = FixedOffset::east_opt(0).expect("UTC");
    let Some(system) = messages
        .iter()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("system"))
        .map(message_text)
    else {
        return utc;
    };
    let Some(rest) = system.split("(UTC").nth(1) else {
        return utc;
    };
    let text = rest.split(')').next().unwrap_or("");
    DateTime::parse_from_rfc3339(&format!("2000-01-01T00:00:00{text}"))
        .map(|t| *t.offset())
        .unwrap_or(utc)
}

/// `HH:MM` of an RFC 3339 time in the user's zone; a bare date is "all day".
fn local_hm(t: &str, zone: FixedOffset) -> String {
    match DateTime::parse_from_rfc3339(t) {
        Ok(t) => t.with_timezone(&zone).format("%H:%M").to_string(),
        Err(_) if t.len() == 10 => "all day".into(),
        Err(_) => t.to_string(),
    }
}

/// The lines a person would write for one source, if the tool is one the
/// demo knows: who, what and when, one line each, times in the user's zone.
fn brief_lines(tool: &str, v: &Value, zone: FixedOffset) -> Option<(String, Vec<String>)> {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    match tool {
        "github_review_requests" => {
            let items = v.get("items")?.as_array()?;
            let lines = items
                .iter()
                .map(|i| {
                    format!(
                        "- {}#{} {} — by {}, {}",
                        s(i, "repo"),
                        i.get("number").and_then(Value::as_u64).unwrap_or(0),
                        one_line(&s(i, "title"), 120),
                        s(i, "author"),
                        s(i, "url")
                    )
                })
                .collect();
            Some(("GitHub: pull requests to review".into(), lines))
        }
        "calendar_today" => {
            let events = v.get("events")?.as_array()?;
            let lines = events
                .iter()
                .map(|e| {
                    let (start, end) = (s(e, "start"), s(e, "end"));
                    let when = if e.get("all_day").and_then(Value::as_bool) == Some(true) {
                        "all day".to_string()
                    } else {
                        format!("{}–{}", local_hm(&start, zone), local_hm(&end, zone))
                    };
                    let place = e
                        .get("location")
                        .and_then(Value::as_str)
                        .filter(|l| !l.is_empty())
                        .map(|l| format!(" ({l})"))
                        .unwrap_or_default();
                    format!("- {when} {}{place}", one_line(&s(e, "title"), 120))
                })
                .collect();
            Some(("Calendar: today's meetings".into(), lines))
        }
        "slack_unread" => {
            let mut lines = Vec::new();
            for d in v.get("direct_messages")?.as_array()? {
                let who = d
                    .get("user_name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| s(d, "user"));
                for m in d
                    .get("messages")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    lines.push(format!(
                        "- {who} (DM, {}): {}",
                        local_hm(&s(m, "time"), zone),
                        one_line(&s(m, "text"), 160)
                    ));
                }
            }
            let mentions = v.pointer("/mentions/items").and_then(Value::as_array);
            for m in mentions.into_iter().flatten() {
                let who = m
                    .get("user_name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| s(m, "user"));
                lines.push(format!(
                    "- {who} mentioned you in #{} ({}): {}",
                    s(m, "channel"),
                    local_hm(&s(m, "time"), zone),
                    one_line(&s(m, "text"), 160)
                ));
            }
            Some(("Slack: direct messages and mentions".into(), lines))
        }
        _ => None,
    }
}

fn section(tool: &str, content: &str, zone: FixedOffset) -> String {
    let svc = service_name(tool);
    // devcontext wraps successful tool results as {"untrusted_data": ...}.
    let data: Option<Value> = serde_json::from_str::<Value>(content)
        .ok()
        .map(|v| v.get("untrusted_data").cloned().unwrap_or(v));
    if let Some(v) = data
        .as_ref()
        .filter(|v| v.get("error").is_none_or(Value::is_null))
        && let Some((title, lines)) = brief_lines(tool, v, zone)
    {
        let mut out = format!("### {title}\n");
        if lines.is_empty() {
            out.push_str("- Nothing to report.\n");
        }
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
        return out;
    }
    let mut out = format!("### {svc}\n");
    // devcontext wraps successful tool results as {"untrusted_data": ...}.
    let parsed: Option<Value> =
        serde_json::from_str::<Value>(content)
            .ok()
            .map(|v| match v.get("untrusted_data") {
                Some(inner) => inner.clone(),
                None => v,
            });
    match parsed {
        Some(v) if v.get("error").is_some_and(|e| !e.is_null()) => {
            let e = &v["error"];
            let err = e
                .as_str()
                .map(str::to_string)
                .or_else(|| str_field(e, &["message"]).map(str::to_string))
                .unwrap_or_else(|| e.to_string());
            out.push_str(&format!("I could not read {svc}: {err}"));
            if let Some(h) = str_field(&v, &["hint"]) {
                out.push_str(&format!(" — {h}"));
            }
            out.push('\n');
        }
        Some(v) => match items_of(&v) {
            Some(items) if items.is_empty() => out.push_str("- Nothing to report.\n"),
            Some(items) => {
                for it in items.iter().take(5) {
                    out.push_str(&bullet(it));
                    out.push('\n');
                }
                if items.len() > 5 {
                    out.push_str(&format!("- …and {} more\n", items.len() - 5));
                }
            }
            None if v.is_object() => {
                out.push_str(&bullet(&v));
                out.push('\n');
            }
            None => out.push_str(&format!("- {}\n", one_line(&v.to_string(), 160))),
        },
        None => out.push_str(&format!("- {}\n", one_line(content, 160))),
    }
    out
}

fn demo(messages: &[Value], tools: &[String]) -> Reply {
    let tool_msgs: Vec<&Value> = messages
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("tool"))
        .collect();
    if tool_msgs.is_empty() {
        let calls: Vec<ToolCall> = DEMO_TOOLS
            .iter()
            .filter(|t| tools.iter().any(|x| x == *t))
            .enumerate()
            .map(|(i, t)| ToolCall {
                id: format!("call_demo_{i}"),
                name: t.to_string(),
                arguments: "{}".into(),
            })
            .collect();
        if calls.is_empty() {
            return Reply {
                content: Some(
                    "Hi! I am the devcontext emulator's demo model. Give me the github_review_requests, calendar_today or slack_unread tools and I will prepare a standup brief.".into(),
                ),
                tool_calls: vec![],
            };
        }
        return Reply {
            content: None,
            tool_calls: calls,
        };
    }
    // Map tool_call_id -> tool name from the assistant turns.
    let mut names: Vec<(String, String)> = Vec::new();
    for m in messages {
        if let Some(Value::Array(calls)) = m.get("tool_calls") {
            for c in calls {
                if let (Some(id), Some(name)) = (
                    c.get("id").and_then(Value::as_str),
                    c.pointer("/function/name").and_then(Value::as_str),
                ) {
                    names.push((id.to_string(), name.to_string()));
                }
            }
        }
    }
    let zone = zone_offset(messages);
    let mut text = String::from("## Standup brief\n");
    for m in tool_msgs {
        let id = m.get("tool_call_id").and_then(Value::as_str).unwrap_or("");
        let name = names
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, n)| n.clone())
            .or_else(|| m.get("name").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| "tool".into());
        text.push('\n');
        text.push_str(&section(&name, &message_text(m), zone));
    }
    Reply {
        content: Some(text),
        tool_calls: vec![],
    }
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
