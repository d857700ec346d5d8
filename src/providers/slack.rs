//! Slack tools: unread direct messages and mentions of me, recent messages
//! of a channel given by name (found with `conversations.list`, paginated by
//! cursor), and posting a message (the one write).
//!
//! Slack answers most failures with HTTP 200 and `{"ok": false, "error":
//! CODE}`; [`SlackErrors`] reads those, and treats `invalid_auth` and friends
//! like a 401 so the broker makes one fresh exchange.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat};
use futures::{StreamExt, stream};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    MAX_TEXT, ToolArgs, ToolOutput, check_limit, check_text, default_limit, generic_status, opt_s,
    plural, s, truncate,
};
use crate::broker::{ApiClient, ApiResponse, BodyFormat, ProviderErrors, WriteRequest};
use crate::error::{Error, Result};
use crate::output::Column;
use crate::service::Service;

/// Longest message `post_message` sends.
pub const MAX_MESSAGE: usize = 4000;
/// Most `conversations.list` pages read while looking for a channel.
const MAX_LIST_PAGES: usize = 20;
/// Most direct-message conversations checked for unread messages.
const MAX_DMS: usize = 20;
/// Most user names looked up per call.
const MAX_NAMES: usize = 10;
/// Most Slack requests of one tool call in flight at once.
const MAX_IN_FLIGHT: usize = 8;

/// Slack's own error codes that mean the token itself was refused.
const AUTH_ERRORS: &[&str] = &[
    "not_authed",
    "invalid_auth",
    "token_revoked",
    "token_expired",
    "account_inactive",
];

// ---------------------------------------------------------------- arguments

/// Arguments of `slack.unread`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnreadArgs {
    /// Most messages per list to return: DM messages per conversation and mentions (1-50)
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

impl ToolArgs for UnreadArgs {
    fn validate(&self) -> Result<()> {
        check_limit(self.limit)
    }
}

/// Arguments of `slack.channel_history`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelHistoryArgs {
    /// The channel name, with or without # (e.g. general)
    #[schemars(regex(pattern = r"^#?[a-z0-9][a-z0-9._-]{0,79}$"))]
    pub channel: String,
    /// Most messages to return, newest first (1-50)
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

impl ToolArgs for ChannelHistoryArgs {
    fn validate(&self) -> Result<()> {
        check_channel(&self.channel)?;
        check_limit(self.limit)
    }
}

/// Arguments of `slack.post_message`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMessageArgs {
    /// The channel name, with or without # (e.g. general)
    #[schemars(regex(pattern = r"^#?[a-z0-9][a-z0-9._-]{0,79}$"))]
    pub channel: String,
    /// The message text (Slack mrkdwn)
    #[schemars(length(min = 1, max = 4000))]
    pub text: String,
}

impl ToolArgs for PostMessageArgs {
    fn validate(&self) -> Result<()> {
        check_channel(&self.channel)?;
        check_text("text", &self.text, MAX_MESSAGE)
    }
}

/// Slack channel names: lowercase letters, digits, `-`, `_`, `.`; up to 80.
pub fn check_channel(name: &str) -> Result<()> {
    let n = name.strip_prefix('#').unwrap_or(name);
    let ok = !n.is_empty()
        && n.len() <= 80
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
        && !n.starts_with(['-', '_', '.']);
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "channel must be a Slack channel name like general or #eng-payments: lowercase \
             letters, digits, - _ . (got '{name}')"
        )))
    }
}

fn bare(name: &str) -> &str {
    name.strip_prefix('#').unwrap_or(name)
}

// ---------------------------------------------------------------- results

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Message {
    /// The author's user id.
    pub user: String,
    /// The author's name, when it could be looked up.
    pub user_name: Option<String>,
    pub text: String,
    /// RFC 3339 (UTC).
    pub time: String,
    /// Slack's message id (`ts`).
    pub ts: String,
    /// Replies in the thread, when the message starts one.
    pub replies: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct ChannelHistory {
    pub channel: String,
    pub channel_id: String,
    /// More (older) messages exist.
    pub more: bool,
    pub messages: Vec<Message>,
}

impl ToolOutput for ChannelHistory {
    fn summary(&self) -> String {
        format!(
            "{} in #{}",
            plural(self.messages.len(), "message", "messages"),
            self.channel
        )
    }

    fn table(&self) -> (Vec<Column>, Vec<Vec<String>>) {
        let rows = self
            .messages
            .iter()
            .map(|m| {
                vec![
                    m.time.clone(),
                    m.user_name.clone().unwrap_or_else(|| m.user.clone()),
                    m.text.clone(),
                ]
            })
            .collect();
        (
            vec![
                Column::time("time", 1),
                Column::text("from", 0),
                Column::text("text", 0),
            ],
            rows,
        )
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct DirectMessages {
    pub channel_id: String,
    /// The other person's user id and name.
    pub user: String,
    pub user_name: Option<String>,
    /// Unread messages in this conversation (as far as read).
    pub unread: u64,
    pub omitted: u64,
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Mention {
    pub channel: String,
    pub user: String,
    pub user_name: Option<String>,
    pub text: String,
    pub time: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Mentions {
    pub total: u64,
    pub omitted: u64,
    pub items: Vec<Mention>,
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Unread {
    pub user_id: String,
    /// Direct-message conversations with unread messages.
    pub direct_messages: Vec<DirectMessages>,
    /// Direct-message conversations not checked (beyond the bound).
    pub conversations_not_checked: u64,
    /// Recent messages mentioning me (from search, newest first).
    pub mentions: Mentions,
}

impl ToolOutput for Unread {
    fn summary(&self) -> String {
        let dms: u64 = self.direct_messages.iter().map(|d| d.unread).sum();
        format!(
            "{}, {}",
            plural(
                dms as usize,
                "unread direct message",
                "unread direct messages"
            ),
            plural(self.mentions.total as usize, "mention", "mentions")
        )
    }

    fn table(&self) -> (Vec<Column>, Vec<Vec<String>>) {
        let mut rows = Vec::new();
        for d in &self.direct_messages {
            for m in &d.messages {
                rows.push(vec![
                    "dm".to_string(),
                    m.time.clone(),
                    d.user_name.clone().unwrap_or_else(|| d.user.clone()),
                    m.text.clone(),
                ]);
            }
        }
        for m in &self.mentions.items {
            rows.push(vec![
                format!("mention #{}", m.channel),
                m.time.clone(),
                m.user_name.clone().unwrap_or_else(|| m.user.clone()),
                m.text.clone(),
            ]);
        }
        (
            vec![
                Column::text("kind", 1),
                Column::time("time", 2),
                Column::text("from", 0),
                Column::text("text", 0),
            ],
            rows,
        )
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Posted {
    pub channel: String,
    pub channel_id: String,
    pub ts: String,
}

impl ToolOutput for Posted {
    fn summary(&self) -> String {
        format!("posted to #{}", self.channel)
    }

    fn table(&self) -> (Vec<Column>, Vec<Vec<String>>) {
        (
            vec![
                Column::text("channel", 0),
                Column::text("channel id", 2),
                Column::text("ts", 1),
            ],
            vec![vec![
                format!("#{}", self.channel),
                self.channel_id.clone(),
                self.ts.clone(),
            ]],
        )
    }
}

// ---------------------------------------------------------------- calls

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
        let r = api.get("/conversations.list", &query, &SlackErrors).await?;
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
            let r = api
                .get("/users.info", &[("user", id.clone())], &SlackErrors)
                .await
                .ok()?;
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
            &SlackErrors,
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
        let r = api.get("/conversations.list", &query, &SlackErrors).await?;
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
        api.get("/conversations.info", &info_query, &SlackErrors),
        api.get("/conversations.history", &history_query, &SlackErrors),
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

/// Messages of a DM that are unread: newer than `last_read` and not mine.
fn unread_part(chan: &Value, messages: Vec<Value>, my_id: &str) -> (Option<u64>, Vec<Value>) {
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
    api.get("/search.messages", &query, &SlackErrors).await
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
        async {
            futures::try_join!(
                api.get("/auth.test", &[], &SlackErrors),
                direct_conversations(&api),
            )
        },
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
        errors: &SlackErrors,
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

// ---------------------------------------------------------------- errors

/// How the Slack Web API reports failures: mostly HTTP 200 with `ok: false`.
pub struct SlackErrors;

impl ProviderErrors for SlackErrors {
    fn interpret(&self, status: StatusCode, _headers: &HeaderMap, body: &Value) -> Option<Error> {
        let code = s(body, "error");
        if !status.is_success() {
            let detail = if code.is_empty() { String::new() } else { code };
            return Some(generic_status("Slack", status, &detail));
        }
        match body.get("ok").and_then(Value::as_bool) {
            Some(true) => None,
            None => Some(
                Error::upstream("Slack's answer is not a Web API response (no `ok` field)")
                    .with_hint("check DEVCONTEXT_SLACK_API_URL; it should end in /api"),
            ),
            Some(false) => Some(slack_error(&code, body)),
        }
    }

    fn is_unauthorized(&self, status: StatusCode, body: &Value) -> bool {
        status == StatusCode::UNAUTHORIZED
            || (body.get("ok").and_then(Value::as_bool) == Some(false)
                && AUTH_ERRORS.contains(&s(body, "error").as_str()))
    }
}

fn slack_error(code: &str, body: &Value) -> Error {
    match code {
        "missing_scope" => {
            let needed = s(body, "needed");
            let mut scopes: Vec<String> = Service::Slack
                .default_scopes()
                .iter()
                .map(|s| s.to_string())
                .collect();
            for n in needed.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                if !scopes.iter().any(|s| s == n) {
                    scopes.push(n.to_string());
                }
            }
            Error::upstream(format!(
                "Slack refused: the token lacks the scope {}",
                if needed.is_empty() { "needed" } else { &needed }
            ))
            .with_hint(format!(
                "run `devcontext connect slack --scopes {}`",
                scopes.join(",")
            ))
        }
        "ratelimited" | "rate_limited" => Error::upstream("Slack is rate limiting (ratelimited)")
            .with_hint("wait a minute and try again"),
        "channel_not_found" => Error::upstream("Slack: channel not found (channel_not_found)")
            .with_hint("check the channel name; private channels need you to be a member"),
        "not_in_channel" => {
            Error::upstream("Slack: you are not a member of that channel (not_in_channel)")
                .with_hint("join the channel in Slack first")
        }
        "is_archived" => Error::upstream("Slack: the channel is archived (is_archived)"),
        c if AUTH_ERRORS.contains(&c) => Error::upstream(format!("Slack rejected the token ({c})")),
        "" => Error::upstream("Slack answered ok: false without an error code"),
        other => Error::upstream(format!("Slack API error: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::providers::parse_args;

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
    fn channel_names_are_checked() {
        let a: ChannelHistoryArgs = parse_args(json!({"channel": "#eng-payments"})).unwrap();
        assert_eq!(bare(&a.channel), "eng-payments");
        for bad in [
            "",
            "#",
            "General",
            "two words",
            "C0GENERAL1",
            &"x".repeat(81),
        ] {
            let e = parse_args::<ChannelHistoryArgs>(json!({"channel": bad})).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(e.message.contains("channel must be"), "{}", e.message);
        }
        let e =
            parse_args::<PostMessageArgs>(json!({"channel": "general", "text": ""})).unwrap_err();
        assert!(e.message.contains("text must not be empty"));
        let e = parse_args::<PostMessageArgs>(json!({"channel": "general"})).unwrap_err();
        assert!(e.message.contains("missing field `text`"));
    }

    #[test]
    fn ok_false_is_an_error_by_code() {
        let h = HeaderMap::new();
        let e = SlackErrors
            .interpret(
                StatusCode::OK,
                &h,
                &json!({"ok": false, "error": "missing_scope", "needed": "chat:write", "provided": "channels:read"}),
            )
            .unwrap();
        assert!(e.message.contains("chat:write"), "{}", e.message);
        let hint = e.hint.unwrap();
        assert!(
            hint.starts_with("run `devcontext connect slack --scopes channels:read,"),
            "{hint}"
        );
        assert!(hint.contains(",chat:write`"), "{hint}");

        let e = SlackErrors
            .interpret(
                StatusCode::OK,
                &h,
                &json!({"ok": false, "error": "channel_not_found"}),
            )
            .unwrap();
        assert!(e.message.contains("channel not found"));
        assert_eq!(e.exit_code(), 5);

        let invalid = json!({"ok": false, "error": "invalid_auth"});
        assert!(
            SlackErrors
                .interpret(StatusCode::OK, &h, &invalid)
                .is_some()
        );
        assert!(SlackErrors.is_unauthorized(StatusCode::OK, &invalid));
        assert!(!SlackErrors.is_unauthorized(
            StatusCode::OK,
            &json!({"ok": false, "error": "channel_not_found"})
        ));
        let e = SlackErrors
            .interpret(
                StatusCode::TOO_MANY_REQUESTS,
                &h,
                &json!({"ok": false, "error": "ratelimited"}),
            )
            .unwrap();
        assert!(e.message.contains("rate limiting"));
        let e = SlackErrors
            .interpret(StatusCode::OK, &h, &json!([1, 2]))
            .unwrap();
        assert!(e.message.contains("no `ok` field"));
        assert!(
            SlackErrors
                .interpret(StatusCode::OK, &h, &json!({"ok": true}))
                .is_none()
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
