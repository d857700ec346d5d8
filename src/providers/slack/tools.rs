//! Slack's tools, declared once: what each is, what it may call, how it runs.

use super as slack;
use crate::service::Service::Slack;
use crate::tools::{Annotations, Tool, ToolSpec};

pub fn tools() -> Vec<Tool> {
    vec![
        Tool::read(
            ToolSpec::new(
                Slack,
                "unread",
                "Unread direct messages and recent mentions of me",
            )
            .endpoints(&[
                "GET /auth.test",
                "GET /conversations.list",
                "GET /conversations.info",
                "GET /conversations.history",
                "GET /search.messages",
                "GET /users.info",
            ])
            .scopes(&[
                "im:read",
                "im:history",
                "mpim:read",
                "search:read",
                "users:read",
            ]),
            slack::unread,
        ),
        Tool::read(
            ToolSpec::new(
                Slack,
                "channel_history",
                "Recent messages of a channel, by name",
            )
            .endpoints(&[
                "GET /conversations.list",
                "GET /conversations.history",
                "GET /users.info",
            ])
            .scopes(&["channels:read", "channels:history", "users:read"]),
            slack::channel_history,
        ),
        Tool::write(
            ToolSpec::new(Slack, "post_message", "Post a message to a Slack channel")
                .endpoints(&["POST /chat.postMessage"])
                .scopes(&["chat:write"]),
            Annotations::ADDS,
            slack::plan_post,
            slack::posted,
        ),
    ]
}
