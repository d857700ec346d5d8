//! What the Slack tools return: compact, bounded results, with a summary
//! and a table for people.

use schemars::JsonSchema;
use serde::Serialize;

use crate::output::Column;
use crate::providers::plural;
use crate::tools::Report;

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

impl Report for ChannelHistory {
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

impl Report for Unread {
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

impl Report for Posted {
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
