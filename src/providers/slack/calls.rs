//! The Slack tools' requests: finding a channel by name, a channel's
//! history, unread direct messages and mentions (started early from the
//! last run's hints), and the planned post (the one write).

use std::collections::BTreeMap;

use futures::{StreamExt, stream};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::args::bare;
use super::shape::unread_part;
use super::{
    ChannelHistory, ChannelHistoryArgs, DirectMessages, Message, PostMessageArgs, Posted, Unread,
    UnreadArgs, resolve_mentions, shape_mentions, shape_message,
};
use crate::broker::{ApiClient, ApiResponse, BodyFormat, WriteRequest};
use crate::error::{Error, Result};
use crate::providers::{opt_s, s};

/// Most `conversations.list` pages read while looking for a channel.
const MAX_LIST_PAGES: usize = 20;
/// Most direct-message conversations checked for unread messages.
const MAX_DMS: usize = 20;
/// Most user names looked up per call.
const MAX_NAMES: usize = 10;
/// Most Slack requests of one tool call in flight at once.
const MAX_IN_FLIGHT: usize = 8;

/// Finds a channel's id by name, reading `conversations.list` page by page.
async fn find_channel(api: &ApiClient<'_>, name: &str) -> Result<String> {
    let mut cursor = String::new();
    let mut seen = 0usize;
    for _ in 0..MAX_LIST_PAGES {
        let mut query = vec![
            ("types", "public_channel,private_channel".to_string()),
            ("exclude_archived", "true".to_string()),
            ("limit", "200".to_string()),
        ];
        if !cursor.is_empty() {
            query.push(("cursor", cursor.clone()));
        }
        let r = api.get("/conversations.list", &query).await?;
        let channels = r
            .body
            .get("channels")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        seen += channels.len();
        if let Some(c) = channels.iter().find(|c| s(c, "name") == name) {
            return Ok(s(c, "id"));
        }
        cursor = next_cursor(&r.body);
        if cursor.is_empty() {
            break;
        }
    }
    Err(Error::upstream(format!(
        "Slack: no channel named #{name} among the {seen} channels visible to you"
    ))
    .with_hint(
        "check the name (without the workspace prefix); private channels need you to be a member",
    ))
}

fn next_cursor(body: &Value) -> String {
    body.get("response_metadata")
        .map(|m| s(m, "next_cursor"))
        .unwrap_or_default()
}

/// Looks up display names for up to [`MAX_NAMES`] user ids, concurrently;
/// failures leave ids as they are.
async fn user_names(api: &ApiClient<'_>, ids: Vec<String>) -> BTreeMap<String, String> {
    let mut unique: Vec<String> = ids
        .into_iter()
        .filter(|i| i.starts_with(['U', 'W']))
        .collect();
    unique.sort();
    unique.dedup();
    unique.truncate(MAX_NAMES);
    stream::iter(unique)
        .map(|id| async move {
            let r = api.get("/users.info", &[("user", id.clone())]).await.ok()?;
            let u = r.body.get("user").cloned().unwrap_or(Value::Null);
            let name = u
                .get("profile")
                .and_then(|p| opt_s(p, "display_name"))
                .or_else(|| opt_s(&u, "real_name"))
                .or_else(|| opt_s(&u, "name"))?;
            Some((id, name))
        })
        .buffer_unordered(MAX_IN_FLIGHT)
        .filter_map(|pair| async move { pair })
        .collect()
        .await
}

pub async fn channel_history(
    api: ApiClient<'_>,
    args: ChannelHistoryArgs,
) -> Result<ChannelHistory> {
    let name = bare(&args.channel).to_string();
    let id = find_channel(&api, &name).await?;
    let r = api
        .get(
            "/conversations.history",
            &[("channel", id.clone()), ("limit", args.limit.to_string())],
        )
        .await?;
    let raw = r
        .body
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let raw: Vec<Value> = raw.into_iter().take(args.limit as usize).collect();
    let names = user_names(&api, raw.iter().map(|m| s(m, "user")).collect()).await;
    Ok(ChannelHistory {
        channel: name,
        channel_id: id,
        more: r
            .body
            .get("has_more")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        messages: raw.iter().map(|m| shape_message(m, &names)).collect(),
    })
}

/// Reads every page (bounded) of my direct-message conversations as
/// (conversation id, other user's id).
async fn direct_conversations(api: &ApiClient<'_>) -> Result<Vec<(String, String)>> {
    let mut ims = Vec::new();
    let mut cursor = String::new();
    for _ in 0..MAX_LIST_PAGES {
        let mut query = vec![("types", "im".to_string()), ("limit", "200".to_string())];
        if !cursor.is_empty() {
            query.push(("cursor", cursor.clone()));
        }
        let r = api.get("/conversations.list", &query).await?;
        for c in r
            .body
            .get("channels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            ims.push((s(c, "id"), s(c, "user")));
        }
        cursor = next_cursor(&r.body);
        if cursor.is_empty() {
            break;
        }
    }
    Ok(ims)
}

/// One direct-message conversation's unread state and its latest messages,
/// fetched together: the messages are filtered by `last_read` afterwards, so
/// neither call waits for the other.
async fn direct_unread(api: &ApiClient<'_>, id: &str, limit: usize) -> Result<(Value, Vec<Value>)> {
    let info_query = [("channel", id.to_string())];
    let history_query = [("channel", id.to_string()), ("limit", limit.to_string())];
    let (info, history) = futures::try_join!(
        api.get("/conversations.info", &info_query),
        api.get("/conversations.history", &history_query),
    )?;
    let chan = info.body.get("channel").cloned().unwrap_or(Value::Null);
    let messages = history
        .body
        .get("messages")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    Ok((chan, messages))
}

/// What `slack.unread` remembers between runs (see [`crate::hints`]).
#[derive(Debug, Default, Serialize, Deserialize)]
struct UnreadHints {
    user_id: String,
    direct_conversations: Vec<(String, String)>,
}

/// Reads several DMs, a few at a time; one result per conversation, in order.
async fn read_dms(
    api: &ApiClient<'_>,
    ims: &[(String, String)],
    limit: usize,
) -> Vec<Result<(Value, Vec<Value>)>> {
    stream::iter(ims)
        .map(|(id, _)| direct_unread(api, id, limit))
        .buffered(MAX_IN_FLIGHT)
        .collect()
        .await
}

/// Messages that mention me (needs search:read).
async fn search_mentions(api: &ApiClient<'_>, my_id: &str, limit: usize) -> Result<ApiResponse> {
    let query = [
        ("query", format!("<@{my_id}>")),
        ("count", limit.to_string()),
        ("sort", "timestamp".to_string()),
        ("sort_dir", "desc".to_string()),
    ];
    api.get("/search.messages", &query).await
}

/// Unread DMs and mentions of me. Slack needs my user id (for the search)
/// and my DM list (for the reads) first; the last run's answers to those
/// are remembered, so the reads start at once beside the two lookups, and
/// only what the lookups show to be new or changed is read after them.
pub async fn unread(api: ApiClient<'_>, args: UnreadArgs) -> Result<Unread> {
    let limit = args.limit as usize;
    let hint: UnreadHints = api.hint().unwrap_or_default();
    let guessed: Vec<(String, String)> = hint
        .direct_conversations
        .into_iter()
        .take(MAX_DMS)
        .collect();
    let guessed_id = hint.user_id;
    let (lookups, early_reads, early_search, early_names) = futures::join!(
        async { futures::try_join!(api.get("/auth.test", &[]), direct_conversations(&api),) },
        read_dms(&api, &guessed, limit),
        async {
            if guessed_id.is_empty() {
                return None;
            }
            search_mentions(&api, &guessed_id, limit).await.ok()
        },
        user_names(&api, guessed.iter().map(|(_, u)| u.clone()).collect()),
    );
    let (me, ims) = lookups?;
    let my_id = s(&me.body, "user_id");
    if my_id.is_empty() {
        return Err(Error::upstream("Slack's auth.test answer has no user_id"));
    }
    let not_checked = ims.len().saturating_sub(MAX_DMS) as u64;
    let ims: Vec<(String, String)> = ims.into_iter().take(MAX_DMS).collect();

    // Keep the early answers that still hold; fetch the rest now.
    let mut reads: BTreeMap<String, (Value, Vec<Value>)> = guessed
        .into_iter()
        .zip(early_reads)
        .filter_map(|((id, _), r)| Some((id, r.ok()?)))
        .collect();
    let missing: Vec<(String, String)> = ims
        .iter()
        .filter(|(id, _)| !reads.contains_key(id))
        .cloned()
        .collect();
    let early_search = early_search.filter(|_| guessed_id == my_id);
    let unnamed: Vec<String> = missing
        .iter()
        .map(|(_, user)| user.clone())
        .filter(|user| !early_names.contains_key(user))
        .collect();
    let (late_reads, found, late_names) = futures::join!(
        read_dms(&api, &missing, limit),
        async {
            match early_search {
                Some(found) => Ok(found),
                None => search_mentions(&api, &my_id, limit).await,
            }
        },
        user_names(&api, unnamed),
    );
    let found = found?;
    for ((id, _), read) in missing.into_iter().zip(late_reads) {
        reads.insert(id, read?);
    }
    let mut names = early_names;
    names.extend(late_names);

    let mut dms = Vec::new();
    for (id, user) in &ims {
        let Some((chan, messages)) = reads.remove(id) else {
            continue;
        };
        let (count, msgs) = unread_part(&chan, messages, &my_id);
        if msgs.is_empty() {
            continue;
        }
        let unread = count.unwrap_or(msgs.len() as u64).max(msgs.len() as u64);
        let shown: Vec<Message> = msgs
            .iter()
            .take(limit)
            .map(|m| shape_message(m, &BTreeMap::new()))
            .collect();
        dms.push(DirectMessages {
            channel_id: id.clone(),
            user_name: names.get(user).cloned(),
            user: user.clone(),
            unread,
            omitted: unread - shown.len() as u64,
            messages: shown,
        });
    }
    if let Some(me) = opt_s(&me.body, "user") {
        names.entry(my_id.clone()).or_insert(me);
    }
    for d in &mut dms {
        for m in &mut d.messages {
            m.text = resolve_mentions(&m.text, &names);
        }
    }
    let mut mentions = shape_mentions(&found.body, limit);
    for m in &mut mentions.items {
        if let Some(n) = names.get(&m.user) {
            m.user_name = Some(n.clone());
        }
        m.text = resolve_mentions(&m.text, &names);
    }
    api.remember(&UnreadHints {
        user_id: my_id.clone(),
        direct_conversations: ims,
    });
    Ok(Unread {
        user_id: my_id,
        direct_messages: dms,
        conversations_not_checked: not_checked,
        mentions,
    })
}

/// Plans `slack.post_message`: the channel name is resolved to its id first
/// (a read), so the person approves the very channel id the post goes to.
pub async fn plan_post(api: &ApiClient<'_>, args: &PostMessageArgs) -> Result<WriteRequest> {
    let name = bare(&args.channel);
    let id = find_channel(api, name).await?;
    Ok(WriteRequest {
        target: format!("#{name} ({id})"),
        method: Method::POST,
        path: "/chat.postMessage".into(),
        format: BodyFormat::Form,
        fields: vec![("channel", id), ("text", args.text.clone())],
    })
}

/// What a post gives back, from the request that was sent and Slack's answer.
pub fn posted(args: &PostMessageArgs, request: &WriteRequest, answer: &ApiResponse) -> Posted {
    let sent = request
        .fields
        .iter()
        .find(|(k, _)| *k == "channel")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let id = s(&answer.body, "channel");
    Posted {
        channel: bare(&args.channel).to_string(),
        channel_id: if id.is_empty() { sent } else { id },
        ts: s(&answer.body, "ts"),
    }
}
