//! Slack's answers shaped into the tools' results: messages with names for
//! user ids, mentions, and which messages of a conversation are unread.
//! Outside input: never panics.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat};
use serde_json::Value;

use super::{Mention, Mentions, Message};
use crate::providers::{MAX_TEXT, opt_s, s, truncate};

/// Slack `ts` ("1700000000.000100") as RFC 3339.
pub fn ts_time(ts: &str) -> String {
    let secs = ts
        .split('.')
        .next()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    DateTime::from_timestamp(secs, 0)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

pub fn shape_message(m: &Value, names: &BTreeMap<String, String>) -> Message {
    let user = opt_s(m, "user")
        .or_else(|| opt_s(m, "bot_id"))
        .unwrap_or_default();
    let ts = s(m, "ts");
    Message {
        user_name: names.get(&user).cloned().or_else(|| opt_s(m, "username")),
        text: truncate(&resolve_mentions(&s(m, "text"), names), MAX_TEXT),
        time: ts_time(&ts),
        replies: m.get("reply_count").and_then(Value::as_u64),
        user,
        ts,
    }
}

/// Slack's user mentions (`<@U0DANA01>`, `<@U0DANA01|dana>`) as `@name`
/// where the name is known; unknown ones stay as Slack wrote them.
pub fn resolve_mentions(text: &str, names: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<@") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('>') else {
            rest = &rest[start..];
            break;
        };
        let inner = &after[..end];
        let (id, label) = match inner.split_once('|') {
            Some((id, label)) => (id, Some(label)),
            None => (inner, None),
        };
        match names.get(id).map(String::as_str).or(label) {
            Some(name) if !name.is_empty() => {
                out.push('@');
                out.push_str(name);
            }
            _ => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Messages of a DM that are unread: newer than `last_read` and not mine.
pub(super) fn unread_part(
    chan: &Value,
    messages: Vec<Value>,
    my_id: &str,
) -> (Option<u64>, Vec<Value>) {
    let count = chan
        .get("unread_count_display")
        .or_else(|| chan.get("unread_count"))
        .and_then(Value::as_u64);
    if count == Some(0) {
        return (count, Vec::new());
    }
    let last_read = opt_s(chan, "last_read")
        .filter(|l| l != "0000000000.000000")
        .and_then(|l| l.parse::<f64>().ok());
    let unread = messages
        .into_iter()
        .filter(|m| s(m, "user") != my_id)
        .filter(|m| match (last_read, s(m, "ts").parse::<f64>()) {
            (Some(read), Ok(ts)) => ts > read,
            _ => true,
        })
        .collect();
    (count, unread)
}

pub fn shape_mentions(body: &Value, limit: usize) -> Mentions {
    let messages = body.get("messages").cloned().unwrap_or(Value::Null);
    let matches = messages
        .get("matches")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let items: Vec<Mention> = matches
        .iter()
        .take(limit)
        .map(|m| {
            let chan = m.get("channel").cloned().unwrap_or(Value::Null);
            Mention {
                channel: opt_s(&chan, "name").unwrap_or_else(|| s(&chan, "id")),
                user: s(m, "user"),
                user_name: opt_s(m, "username"),
                text: truncate(&s(m, "text"), MAX_TEXT),
                time: ts_time(&s(m, "ts")),
                url: opt_s(m, "permalink"),
            }
        })
        .collect();
    let total = messages
        .get("total")
        .and_then(Value::as_u64)
        .unwrap_or(matches.len() as u64)
        .max(items.len() as u64);
    Mentions {
        total,
        omitted: total - items.len() as u64,
        items,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn unread_part_keeps_messages_after_last_read_not_mine() {
        let chan = json!({"last_read": "1700000100.000000", "unread_count_display": 2});
        let messages = vec![
            json!({"user": "U1", "ts": "1700000300.000100", "text": "new"}),
            json!({"user": "UME", "ts": "1700000200.000000", "text": "my reply"}),
            json!({"user": "U1", "ts": "1700000100.000000", "text": "read"}),
            json!({"user": "U1", "ts": "1700000050.000000", "text": "old"}),
        ];
        let (count, unread) = unread_part(&chan, messages.clone(), "UME");
        assert_eq!(count, Some(2));
        let texts: Vec<String> = unread.iter().map(|m| s(m, "text")).collect();
        assert_eq!(texts, ["new"]);

        // Nothing unread: no messages, whatever the history holds.
        let read = json!({"last_read": "1700000100.000000", "unread_count": 0});
        assert!(unread_part(&read, messages.clone(), "UME").1.is_empty());
        // Never read: every message not mine.
        let never = json!({"last_read": "0000000000.000000"});
        assert_eq!(unread_part(&never, messages, "UME").1.len(), 3);
    }

    #[test]
    fn mentions_use_known_names() {
        let names: BTreeMap<String, String> = [("U0DANA01".to_string(), "dana".to_string())].into();
        assert_eq!(
            resolve_mentions("<@U0DANA01> you are on call from 17:00", &names),
            "@dana you are on call from 17:00"
        );
        assert_eq!(
            resolve_mentions("hi <@U9|sam> and <@U8>", &names),
            "hi @sam and <@U8>"
        );
        assert_eq!(
            resolve_mentions("broken <@U0DANA01", &names),
            "broken <@U0DANA01"
        );
    }

    #[test]
    fn mentions_and_messages_are_compact() {
        let body = json!({"ok": true, "messages": {"total": 5, "matches": [
            {"user": "U1", "username": "sam", "text": "<@U0DANA01> please review", "ts": "1700000000.000100",
             "channel": {"id": "C1", "name": "eng-payments"}, "permalink": "https://x.slack.com/archives/C1/p1"},
            {"user": "U2", "text": "two", "ts": "1700000001.000100", "channel": {"id": "C2"}}
        ]}});
        let m = shape_mentions(&body, 1);
        assert_eq!((m.total, m.omitted, m.items.len()), (5, 4, 1));
        assert_eq!(m.items[0].channel, "eng-payments");
        assert_eq!(m.items[0].time, "2023-11-14T22:13:20Z");
        let msg = shape_message(
            &json!({"user": "U1", "text": "x".repeat(1000), "ts": "1700000000.1", "reply_count": 2}),
            &BTreeMap::from([("U1".to_string(), "Sam".to_string())]),
        );
        assert_eq!(msg.user_name.as_deref(), Some("Sam"));
        assert_eq!(msg.text.chars().count(), MAX_TEXT);
        assert_eq!(msg.replies, Some(2));
    }
}
