//! The arguments of the GitHub tools, each checked before any request.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::providers::{check_limit, check_repo, check_text, default_limit};
use crate::tools::ToolArgs;

/// Longest comment body accepted (GitHub's own limit is 65,536 characters).
pub const MAX_COMMENT: usize = 65_536;

// ---------------------------------------------------------------- arguments

/// Arguments of the search-based tools (review requests, my pull requests, assigned).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Only this repository, as owner/name (e.g. acme/web)
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$"))]
    pub repo: Option<String>,
    /// Most items to return (1-50)
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

impl ToolArgs for SearchArgs {
    fn validate(&self) -> Result<()> {
        if let Some(r) = &self.repo {
            check_repo("repo", r)?;
        }
        check_limit(self.limit)
    }
}

/// Arguments of `github.activity`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityArgs {
    /// Only my commits in this repository, as owner/name (otherwise: all my recent activity)
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$"))]
    pub repo: Option<String>,
    /// Most items to return (1-50)
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

impl ToolArgs for ActivityArgs {
    fn validate(&self) -> Result<()> {
        if let Some(r) = &self.repo {
            check_repo("repo", r)?;
        }
        check_limit(self.limit)
    }
}

/// Arguments of `github.notifications`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationsArgs {
    /// Only notifications in which I am directly involved (mentioned, assigned, review requested)
    #[serde(default)]
    pub participating: bool,
    /// Most items to return (1-50)
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

impl ToolArgs for NotificationsArgs {
    fn validate(&self) -> Result<()> {
        check_limit(self.limit)
    }
}

/// Arguments of `github.comment`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentArgs {
    /// The repository, as owner/name (e.g. acme/web)
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$"))]
    pub repo: String,
    /// The issue or pull request number
    #[schemars(range(min = 1))]
    pub number: u64,
    /// The comment text (Markdown)
    #[schemars(length(min = 1, max = 65536))]
    pub body: String,
}

impl ToolArgs for CommentArgs {
    fn validate(&self) -> Result<()> {
        check_repo("repo", &self.repo)?;
        if self.number == 0 {
            return Err(Error::usage(
                "number must be a positive issue or pull request number",
            ));
        }
        check_text("body", &self.body, MAX_COMMENT)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tools::parse_args;

    #[test]
    fn search_args_validate_before_any_call() {
        let a: SearchArgs = parse_args(json!({})).unwrap();
        assert_eq!((a.repo, a.limit), (None, 10));
        let a: SearchArgs = parse_args(json!({"repo": "acme/web", "limit": 5})).unwrap();
        assert_eq!(a.repo.as_deref(), Some("acme/web"));
        let e = parse_args::<SearchArgs>(json!({"repo": "acme"})).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.message
                .contains("repo must be a repository as owner/name")
        );
        let e = parse_args::<SearchArgs>(json!({"limit": 500})).unwrap_err();
        assert!(
            e.message.contains("limit must be between 1 and 50"),
            "{}",
            e.message
        );
        let e = parse_args::<SearchArgs>(json!({"lmit": 5})).unwrap_err();
        assert!(e.message.contains("unknown field `lmit`"), "{}", e.message);
        let e = parse_args::<SearchArgs>(json!({"limit": "five"})).unwrap_err();
        assert!(e.message.contains("invalid type"), "{}", e.message);
        let e = parse_args::<CommentArgs>(json!({"repo": "a/b", "number": 3})).unwrap_err();
        assert!(e.message.contains("missing field `body`"), "{}", e.message);
        let e = parse_args::<CommentArgs>(json!({"repo": "a/b", "number": 3, "body": " "}))
            .unwrap_err();
        assert!(
            e.message.contains("body must not be empty"),
            "{}",
            e.message
        );
    }
}
