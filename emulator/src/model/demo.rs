//! The demo model: with nothing scripted, it calls the standup tools in
//! parallel, then writes the brief a person would from their results (pull
//! requests to review, today's meetings in the user's zone, one line per
//! Slack DM and mention).

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::{Reply, ToolCall};

pub const DEMO_TOOLS: [&str; 3] = ["github_review_requests", "calendar_today", "slack_unread"];

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

pub(super) fn demo(messages: &[Value], tools: &[String]) -> Reply {
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
