//! The arguments of the Slack tools, each checked before any request.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::providers::{check_limit, check_text, default_limit};
use crate::tools::ToolArgs;

/// Longest message `post_message` sends.
pub const MAX_MESSAGE: usize = 4000;

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

pub(super) fn bare(name: &str) -> &str {
    name.strip_prefix('#').unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tools::parse_args;

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
}
