//! Fake Slack Web API (under `/slack/api/{method}`): a small workspace with
//! channels, DMs (some unread), mentions of Dana, one prompt-injection
//! message in #incidents, search, users and `chat.postMessage` (checked
//! against the connected account's `chat:write` scope). Every method
//! accepts GET query parameters or a POST form/JSON body.
//!
//! This module holds the method dispatch, the message and channel JSON and
//! `chat.postMessage`; the workspace's data is in `data`, `search.messages`
//! in `search`.

mod data;
mod search;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::providers::account_for_token;
use crate::state::{App, ConnectedAccount, SLACK, SlackPost};
use crate::wire::*;

use data::*;
use search::search;

type S = AxState<Arc<App>>;

#[derive(Clone)]
struct Msg {
    channel: String,
    ts: String,
    epoch: f64,
    user: String,
    text: String,
}

fn ts_for(anchor: DateTime<Utc>, min: i64, idx: usize) -> (String, f64) {
    let secs = anchor.timestamp() - min * 60;
    let micros = 100 + idx as i64;
    (
        format!("{secs}.{micros:06}"),
        secs as f64 + micros as f64 / 1e6,
    )
}

fn all_messages(anchor: DateTime<Utc>, posts: &[SlackPost]) -> Vec<Msg> {
    let mut out: Vec<Msg> = MESSAGES
        .iter()
        .enumerate()
        .map(|(i, (c, min, u, t))| {
            let (ts, epoch) = ts_for(anchor, *min, i);
            Msg {
                channel: c.to_string(),
                ts,
                epoch,
                user: u.to_string(),
                text: t.to_string(),
            }
        })
        .collect();
    out.extend(posts.iter().map(|p| Msg {
        channel: p.channel.clone(),
        epoch: p.ts.parse().unwrap_or(0.0),
        ts: p.ts.clone(),
        user: p.user.clone(),
        text: p.text.clone(),
    }));
    out.sort_by(|a, b| b.epoch.total_cmp(&a.epoch));
    out
}

fn find_channel(key: &str) -> Option<&'static Chan> {
    let k = key.trim().trim_start_matches('#');
    CHANNELS
        .iter()
        .find(|c| c.id == k || (!c.name.is_empty() && c.name == k))
        .or_else(|| CHANNELS.iter().find(|c| c.kind == Kind::Im && c.user == k))
}

fn channel_json(c: &Chan, anchor: DateTime<Utc>, msgs: &[Msg], with_read: bool) -> Value {
    let created = 1_600_000_000 + c.id.bytes().map(i64::from).sum::<i64>() * 1000;
    let mut v = if c.kind == Kind::Im {
        json!({
            "id": c.id, "created": created, "is_im": true, "is_org_shared": false,
            "user": c.user, "is_user_deleted": false, "priority": 0,
        })
    } else {
        json!({
            "id": c.id, "name": c.name, "name_normalized": c.name,
            "is_channel": c.kind == Kind::Public, "is_group": c.kind == Kind::Private,
            "is_im": false, "is_mpim": c.kind == Kind::Mpim, "is_private": c.kind != Kind::Public,
            "created": created, "is_archived": c.archived, "is_general": c.name == "general",
            "is_shared": false, "is_org_shared": false, "is_member": true,
            "topic": {"value": c.topic, "creator": "U0PRIYAK1", "last_set": created},
            "purpose": {"value": c.topic, "creator": "U0PRIYAK1", "last_set": created},
            "num_members": c.members,
        })
    };
    if with_read {
        let (last_read, _) = if c.last_read_min == 0 {
            ts_for(anchor, 0, 0)
        } else {
            ts_for(anchor, c.last_read_min, 0)
        };
        let lr: f64 = last_read.parse().unwrap_or(0.0);
        let unread = msgs
            .iter()
            .filter(|m| m.channel == c.id && m.epoch > lr && m.user != DANA)
            .count();
        v["last_read"] = json!(last_read);
        v["unread_count"] = json!(unread);
        v["unread_count_display"] = json!(unread);
    }
    v
}

fn ok(mut body: Value) -> Value {
    body["ok"] = json!(true);
    body
}

fn err(e: &str) -> Value {
    json!({"ok": false, "error": e})
}

fn user_json(u: &(&str, &str, &str, &str, i64, bool)) -> Value {
    let (id, name, real, tz, off, bot) = *u;
    json!({
        "id": id, "team_id": TEAM_ID, "name": name, "deleted": false, "real_name": real,
        "tz": tz, "tz_label": tz, "tz_offset": off, "is_bot": bot, "is_admin": false,
        "profile": {
            "real_name": real, "display_name": name,
            "email": format!("{name}@example.com"),
            "image_48": format!("https://example.com/avatars/{name}.png"),
        },
    })
}

fn limit(p: &Params, default: usize, max: usize) -> usize {
    p.get("limit")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
        .min(max)
}

fn cursor(p: &Params) -> Result<usize, Value> {
    match p.get("cursor").filter(|c| !c.is_empty()) {
        None => Ok(0),
        Some(c) => cursor_decode(c).ok_or_else(|| err("invalid_cursor")),
    }
}

fn page_meta(next: Option<usize>) -> Value {
    json!({"next_cursor": next.map(cursor_encode).unwrap_or_default()})
}

fn permalink(channel: &str, ts: &str) -> String {
    format!(
        "https://acme.slack.com/archives/{channel}/p{}",
        ts.replace('.', "")
    )
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

pub async fn method(
    AxState(app): S,
    Path(method): Path<String>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = all_params(q.as_deref(), &headers, &body);
    if method == "api.test" {
        return json_response(200, json!({"ok": true, "args": p}));
    }
    if bearer(&headers).is_none() && !p.contains_key("token") {
        return json_response(200, err("not_authed"));
    }
    let Some((acc, anchor)) =
        account_for_token(&app, &headers, p.get("token").map(String::as_str), SLACK)
    else {
        return json_response(200, err("invalid_auth"));
    };
    let body = dispatch(&app, &method, &p, &acc, anchor);
    let mut r = json_response(200, body);
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&acc.scopes.join(",")) {
        h.insert("x-oauth-scopes", v);
    }
    let accepted = match method.as_str() {
        "chat.postMessage" => "chat:write",
        "search.messages" => "search:read",
        "users.info" | "users.list" => "users:read",
        m if m.starts_with("conversations.") => "channels:read,groups:read,im:read,mpim:read",
        _ => "",
    };
    if let Ok(v) = HeaderValue::from_str(accepted) {
        h.insert("x-accepted-oauth-scopes", v);
    }
    r
}

fn dispatch(
    app: &App,
    method: &str,
    p: &Params,
    acc: &ConnectedAccount,
    anchor: DateTime<Utc>,
) -> Value {
    let posts = app.lock().slack_posts.clone();
    let msgs = all_messages(anchor, &posts);
    let me = acc.identity.provider_user_id.clone();
    match method {
        "auth.test" => ok(json!({
            "url": "https://acme.slack.com/",
            "team": "Acme",
            "user": acc.identity.login,
            "team_id": TEAM_ID,
            "user_id": me,
            "is_enterprise_install": false,
        })),
        "conversations.list" | "users.conversations" => {
            let types = p
                .get("types")
                .map(|t| {
                    t.split(',')
                        .map(|s| s.trim().to_string())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_else(|| vec!["public_channel".into()]);
            let exclude_archived = p
                .get("exclude_archived")
                .is_some_and(|v| v == "true" || v == "1");
            let list: Vec<&Chan> = CHANNELS
                .iter()
                .filter(|c| {
                    let t = match c.kind {
                        Kind::Public => "public_channel",
                        Kind::Private => "private_channel",
                        Kind::Im => "im",
                        Kind::Mpim => "mpim",
                    };
                    types.iter().any(|x| x == t)
                })
                .filter(|c| !(exclude_archived && c.archived))
                .collect();
            let off = match cursor(p) {
                Ok(o) => o,
                Err(e) => return e,
            };
            let lim = limit(p, 100, 1000);
            let page: Vec<Value> = list
                .iter()
                .skip(off)
                .take(lim)
                .map(|c| channel_json(c, anchor, &msgs, false))
                .collect();
            let next = (off + lim < list.len()).then_some(off + lim);
            ok(json!({"channels": page, "response_metadata": page_meta(next)}))
        }
        "conversations.info" => match p.get("channel").and_then(|c| find_channel(c)) {
            Some(c) => ok(json!({"channel": channel_json(c, anchor, &msgs, true)})),
            None => err("channel_not_found"),
        },
        "conversations.history" => {
            let Some(c) = p.get("channel").and_then(|c| find_channel(c)) else {
                return err("channel_not_found");
            };
            let inclusive = p.get("inclusive").is_some_and(|v| v == "true" || v == "1");
            let oldest: f64 = p.get("oldest").and_then(|v| v.parse().ok()).unwrap_or(0.0);
            let latest: f64 = p
                .get("latest")
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::MAX);
            let list: Vec<&Msg> = msgs
                .iter()
                .filter(|m| m.channel == c.id)
                .filter(|m| {
                    if inclusive {
                        m.epoch >= oldest && m.epoch <= latest
                    } else {
                        m.epoch > oldest && m.epoch < latest
                    }
                })
                .collect();
            let off = match cursor(p) {
                Ok(o) => o,
                Err(e) => return e,
            };
            let lim = limit(p, 100, 999);
            let page: Vec<Value> = list
                .iter()
                .skip(off)
                .take(lim)
                .map(|m| json!({"type": "message", "user": m.user, "text": m.text, "ts": m.ts, "team": TEAM_ID}))
                .collect();
            let has_more = off + lim < list.len();
            ok(json!({
                "messages": page,
                "has_more": has_more,
                "pin_count": 0,
                "response_metadata": page_meta(has_more.then_some(off + lim)),
            }))
        }
        "users.info" => match p.get("user").and_then(|u| USERS.iter().find(|x| x.0 == u)) {
            Some(u) => ok(json!({"user": user_json(u)})),
            None => err("user_not_found"),
        },
        "users.list" => ok(json!({
            "members": USERS.iter().map(user_json).collect::<Vec<_>>(),
            "response_metadata": page_meta(None),
        })),
        "search.messages" => search(p, &msgs),
        "chat.postMessage" => post_message(app, p, acc),
        _ => json!({"ok": false, "error": "unknown_method", "req_method": method}),
    }
}

fn post_message(app: &App, p: &Params, acc: &ConnectedAccount) -> Value {
    if !acc.scopes.iter().any(|s| s == "chat:write") {
        return json!({
            "ok": false,
            "error": "missing_scope",
            "needed": "chat:write",
            "provided": acc.scopes.join(","),
        });
    }
    let Some(c) = p.get("channel").and_then(|c| find_channel(c)) else {
        return err("channel_not_found");
    };
    if c.archived {
        return err("is_archived");
    }
    let text = p.get("text").cloned().unwrap_or_default();
    if text.trim().is_empty() && p.get("blocks").is_none() && p.get("attachments").is_none() {
        return err("no_text");
    }
    let mut st = app.lock();
    let now = st.now();
    let n = st.slack_posts.len();
    let ts = format!("{}.{:06}", now.timestamp(), 900_000 + n % 99_999);
    let user = acc.identity.provider_user_id.clone();
    st.slack_posts.push(SlackPost {
        channel: c.id.into(),
        ts: ts.clone(),
        text: text.clone(),
        user: user.clone(),
    });
    st.writes.push(json!({
        "service": "slack",
        "kind": "chat.postMessage",
        "channel": c.id,
        "channel_name": c.name,
        "text": text,
        "ts": ts,
        "at": rfc3339(now),
    }));
    ok(json!({
        "channel": c.id,
        "ts": ts,
        "message": {"type": "message", "text": text, "user": user, "ts": ts, "team": TEAM_ID},
    }))
}
