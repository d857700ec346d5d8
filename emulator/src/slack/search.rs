//! `search.messages`: words, the `in:`, `from:`, `after:`, `before:` and
//! `on:` modifiers, mentions of Dana, and paging.

use chrono::{DateTime, NaiveDate};
use serde_json::{Value, json};

use crate::wire::*;

use super::data::*;
use super::{Msg, err, find_channel, ok, parse_day, permalink};

pub(super) fn search(p: &Params, msgs: &[Msg]) -> Value {
    let Some(query) = p.get("query").filter(|q| !q.trim().is_empty()) else {
        return err("no_query");
    };
    let mut words: Vec<String> = Vec::new();
    let mut mention = false;
    let mut in_channel: Option<&'static Chan> = None;
    let mut bad_channel = false;
    let mut from: Option<String> = None;
    let mut after: Option<NaiveDate> = None;
    let mut before: Option<NaiveDate> = None;
    let mut on: Option<NaiveDate> = None;
    for tok in query.split_whitespace() {
        let tok = tok.trim_matches('"');
        let lower = tok.to_lowercase();
        if tok.contains(DANA) || lower == "@dana" {
            mention = true;
            continue;
        }
        if let Some((k, v)) = tok.split_once(':') {
            let v = v.trim_start_matches('@').trim_start_matches('#');
            match k.to_lowercase().as_str() {
                "in" => {
                    let v = v
                        .trim_start_matches("<#")
                        .split(['|', '>'])
                        .next()
                        .unwrap_or(v);
                    in_channel = find_channel(v);
                    bad_channel = in_channel.is_none();
                }
                "from" => {
                    let v = v.trim_start_matches("<@").trim_end_matches('>');
                    from = USERS
                        .iter()
                        .find(|u| u.0 == v || u.1.eq_ignore_ascii_case(v))
                        .map(|u| u.0.to_string())
                        .or(Some(v.to_string()));
                }
                "after" => after = parse_day(v),
                "before" => before = parse_day(v),
                "on" | "during" => on = parse_day(v),
                _ => {}
            }
            continue;
        }
        words.push(lower);
    }
    let matches: Vec<&Msg> = msgs
        .iter()
        .filter(|_| !bad_channel)
        .filter(|m| !mention || m.text.contains(&format!("<@{DANA}>")))
        .filter(|m| in_channel.is_none_or(|c| c.id == m.channel))
        .filter(|m| from.as_ref().is_none_or(|f| *f == m.user))
        .filter(|m| {
            let day = DateTime::from_timestamp(m.epoch as i64, 0).map(|d| d.date_naive());
            after.is_none_or(|a| day.is_some_and(|d| d > a))
                && before.is_none_or(|b| day.is_some_and(|d| d < b))
                && on.is_none_or(|o| day == Some(o))
        })
        .filter(|m| {
            let t = m.text.to_lowercase();
            words.iter().all(|w| t.contains(w.as_str()))
        })
        .collect();
    let count = p
        .get("count")
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|c| *c > 0)
        .unwrap_or(20)
        .min(100);
    let page = p
        .get("page")
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let total = matches.len();
    let pages = total.div_ceil(count).max(1);
    let items: Vec<Value> = matches
        .iter()
        .skip((page - 1) * count)
        .take(count)
        .map(|m| {
            let c = find_channel(&m.channel);
            let username = USERS
                .iter()
                .find(|u| u.0 == m.user)
                .map(|u| u.1)
                .unwrap_or("unknown");
            let chan = match c {
                Some(c) => json!({
                    "id": c.id,
                    "name": if c.kind == Kind::Im { c.user } else { c.name },
                    "is_channel": c.kind == Kind::Public, "is_group": c.kind == Kind::Private,
                    "is_im": c.kind == Kind::Im, "is_mpim": c.kind == Kind::Mpim,
                    "is_private": c.kind != Kind::Public, "is_shared": false,
                }),
                None => json!({"id": m.channel}),
            };
            json!({
                "iid": format!("emu-{}-{}", m.channel, m.ts),
                "team": TEAM_ID,
                "type": "message",
                "ts": m.ts,
                "text": m.text,
                "user": m.user,
                "username": username,
                "channel": chan,
                "permalink": permalink(&m.channel, &m.ts),
            })
        })
        .collect();
    ok(json!({
        "query": query,
        "messages": {
            "total": total,
            "matches": items,
            "paging": {"count": count, "total": total, "page": page, "pages": pages},
            "pagination": {
                "total_count": total, "page": page, "per_page": count, "page_count": pages,
                "first": ((page - 1) * count + 1).min(total.max(1)), "last": (page * count).min(total),
            },
        },
    }))
}
