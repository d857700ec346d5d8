//! The tool registry: every tool devcontext offers, declared once, and fed to
//! `ask` (as model function specs), `devcontext tools` and `devcontext tool`.
//!
//! The API for callers:
//! - [`TOOLS`]: every tool's service, name, read/write, description and endpoints;
//!   [`find`] / [`find_function`] look one up.
//! - [`schema`]: the JSON Schema of a tool's arguments, derived from its Rust
//!   argument type (schemars), so it is never written twice.
//! - [`execute`]: validates the arguments (a usage error, exit 2, before the
//!   broker is called), then runs the tool through the broker (permission
//!   check, approval of writes with a preview, Token Vault exchange, API calls,
//!   audit) and returns a compact, bounded [`ToolResult`].

use serde_json::Value;

use crate::broker::{ApiClient, Broker, CallInfo};
use crate::error::{Error, Result};
use crate::perms::{Access, Subject};
use crate::providers::{self, ToolArgs, ToolOutput, calendar, github, slack};
use crate::service::Service;

/// A tool's identity and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolSpec {
    pub service: Service,
    /// Short name within the service (`post_message`).
    pub name: &'static str,
    pub access: Access,
    pub description: &'static str,
    /// The provider endpoints it may call (method and path relative to the
    /// service's base URL), for `devcontext tools --json` and reviews.
    pub endpoints: &'static [&'static str],
}

impl ToolSpec {
    /// `slack.post_message`
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.service, self.name)
    }

    /// The function name models see (`slack_post_message`: dots are not allowed there).
    pub fn function_name(&self) -> String {
        format!("{}_{}", self.service, self.name)
    }

    /// The JSON Schema of this tool's arguments (see [`schema`]).
    pub fn schema(&self) -> Value {
        schema(self)
    }
}

/// What a tool call gives back.
#[derive(Debug, Clone)]
pub struct ToolResult {
    /// The compact result (stable field names), for the model and `--json`.
    pub value: Value,
    /// A short human summary: "3 pull requests".
    pub summary: String,
    /// The same result as table rows for humans.
    pub table: TableData,
}

/// A result as a table: column headers and rows of cells.
#[derive(Debug, Clone, Default)]
pub struct TableData {
    pub headers: Vec<crate::output::Column>,
    pub rows: Vec<Vec<String>>,
}

/// The JSON Schema (draft 2020-12, an object schema) of a tool's arguments,
/// derived from its argument type; field docs become descriptions, bounds
/// become `minimum`/`maximum`/`maxLength`/`pattern`, defaults are given.
pub fn schema(spec: &ToolSpec) -> Value {
    fn of<A: ToolArgs>() -> Value {
        let mut v = serde_json::to_value(schemars::schema_for!(A)).unwrap_or(Value::Null);
        if let Some(m) = v.as_object_mut() {
            m.remove("$schema");
            m.remove("title");
            m.entry("properties")
                .or_insert_with(|| Value::Object(Default::default()));
        }
        v
    }
    match (spec.service, spec.name) {
        (Service::Github, "review_requests" | "my_pull_requests" | "assigned") => {
            of::<github::SearchArgs>()
        }
        (Service::Github, "activity") => of::<github::ActivityArgs>(),
        (Service::Github, "notifications") => of::<github::NotificationsArgs>(),
        (Service::Github, "comment") => of::<github::CommentArgs>(),
        (Service::Calendar, "today") => of::<calendar::TodayArgs>(),
        (Service::Calendar, "upcoming") => of::<calendar::UpcomingArgs>(),
        (Service::Slack, "unread") => of::<slack::UnreadArgs>(),
        (Service::Slack, "channel_history") => of::<slack::ChannelHistoryArgs>(),
        (Service::Slack, "post_message") => of::<slack::PostMessageArgs>(),
        _ => serde_json::json!({"type": "object", "properties": {}}),
    }
}

/// The JSON Schema of a tool's structured result (what `--json`, the model
/// and MCP clients receive), derived from its result type; `None` for a name
/// with no implementation.
pub fn output_schema(spec: &ToolSpec) -> Option<Value> {
    fn of<R: ToolOutput>() -> Option<Value> {
        let mut v = serde_json::to_value(schemars::schema_for!(R)).ok()?;
        if let Some(m) = v.as_object_mut() {
            m.remove("$schema");
        }
        Some(v)
    }
    match (spec.service, spec.name) {
        (Service::Github, "review_requests" | "my_pull_requests" | "assigned") => {
            of::<github::IssueList>()
        }
        (Service::Github, "activity") => of::<github::ActivityList>(),
        (Service::Github, "notifications") => of::<github::NotificationList>(),
        (Service::Github, "comment") => of::<github::Comment>(),
        (Service::Calendar, "today" | "upcoming") => of::<calendar::Schedule>(),
        (Service::Slack, "unread") => of::<slack::Unread>(),
        (Service::Slack, "channel_history") => of::<slack::ChannelHistory>(),
        (Service::Slack, "post_message") => of::<slack::Posted>(),
        _ => None,
    }
}

/// Checks a tool's arguments without calling anything (what [`execute`] does first).
pub fn validate(spec: &ToolSpec, args: &Value) -> Result<()> {
    fn check<A: ToolArgs>(args: &Value) -> Result<()> {
        providers::parse_args::<A>(args.clone()).map(|_| ())
    }
    match (spec.service, spec.name) {
        (Service::Github, "review_requests" | "my_pull_requests" | "assigned") => {
            check::<github::SearchArgs>(args)
        }
        (Service::Github, "activity") => check::<github::ActivityArgs>(args),
        (Service::Github, "notifications") => check::<github::NotificationsArgs>(args),
        (Service::Github, "comment") => check::<github::CommentArgs>(args),
        (Service::Calendar, "today") => check::<calendar::TodayArgs>(args),
        (Service::Calendar, "upcoming") => check::<calendar::UpcomingArgs>(args),
        (Service::Slack, "unread") => check::<slack::UnreadArgs>(args),
        (Service::Slack, "channel_history") => check::<slack::ChannelHistoryArgs>(args),
        (Service::Slack, "post_message") => check::<slack::PostMessageArgs>(args),
        _ => Err(Error::general(format!(
            "{} has no implementation",
            spec.full_name()
        ))),
    }
}

/// Runs one tool: arguments are parsed and validated first (bad arguments are
/// a usage error, exit 2, and the broker is never called); then the broker
/// gates it (permission; for writes, approval showing exactly what will be
/// sent where), exchanges a token and makes the provider calls, auditing each
/// step. `args` is a JSON object (`null` counts as `{}`).
pub async fn execute(broker: &Broker, spec: &ToolSpec, args: Value) -> Result<ToolResult> {
    let call = CallInfo {
        service: spec.service,
        tool: spec.name.to_string(),
        access: spec.access,
    };
    // A read: the broker's gate, then the provider calls.
    macro_rules! read {
        ($args:ty, $work:path) => {{
            let parsed: $args = providers::parse_args(args)?;
            let out = broker.run(&call, |api| $work(api, parsed)).await?;
            finish(&out)
        }};
    }
    // A write: planned into the exact request, approved from a preview of
    // that request (rendered by crate::approval for every write alike), sent.
    macro_rules! write {
        ($args:ty, $plan:expr, $done:path) => {{
            let parsed: $args = providers::parse_args(args)?;
            let (request, answer) = broker
                .write(&call, async |api: &ApiClient<'_>| {
                    ($plan)(api, &parsed).await
                })
                .await?;
            finish(&$done(&parsed, &request, &answer))
        }};
    }
    match (spec.service, spec.name) {
        (Service::Github, "review_requests") => {
            read!(github::SearchArgs, github::review_requests)
        }
        (Service::Github, "my_pull_requests") => {
            read!(github::SearchArgs, github::my_pull_requests)
        }
        (Service::Github, "assigned") => read!(github::SearchArgs, github::assigned),
        (Service::Github, "activity") => read!(github::ActivityArgs, github::activity),
        (Service::Github, "notifications") => {
            read!(github::NotificationsArgs, github::notifications)
        }
        (Service::Github, "comment") => write!(
            github::CommentArgs,
            async |_api: &ApiClient<'_>, a: &github::CommentArgs| Ok(github::plan_comment(a)),
            github::commented
        ),
        (Service::Calendar, "today") => read!(calendar::TodayArgs, calendar::today),
        (Service::Calendar, "upcoming") => read!(calendar::UpcomingArgs, calendar::upcoming),
        (Service::Slack, "unread") => read!(slack::UnreadArgs, slack::unread),
        (Service::Slack, "channel_history") => {
            read!(slack::ChannelHistoryArgs, slack::channel_history)
        }
        (Service::Slack, "post_message") => {
            write!(slack::PostMessageArgs, slack::plan_post, slack::posted)
        }
        _ => Err(Error::general(format!(
            "{} has no implementation",
            spec.full_name()
        ))),
    }
}

fn finish<R: ToolOutput>(out: &R) -> Result<ToolResult> {
    let (headers, rows) = out.table();
    Ok(ToolResult {
        value: providers::to_value(out)?,
        summary: out.summary(),
        table: TableData { headers, rows },
    })
}

/// All tools, in display order.
pub const TOOLS: &[ToolSpec] = &[
    ToolSpec {
        service: Service::Github,
        name: "review_requests",
        access: Access::Read,
        description: "Open pull requests awaiting my review",
        endpoints: &["GET /search/issues"],
    },
    ToolSpec {
        service: Service::Github,
        name: "my_pull_requests",
        access: Access::Read,
        description: "Open pull requests I opened",
        endpoints: &["GET /search/issues"],
    },
    ToolSpec {
        service: Service::Github,
        name: "assigned",
        access: Access::Read,
        description: "Open issues and pull requests assigned to me",
        endpoints: &["GET /search/issues"],
    },
    ToolSpec {
        service: Service::Github,
        name: "activity",
        access: Access::Read,
        description: "My recent commits and activity, optionally in one repository",
        endpoints: &[
            "GET /user",
            "GET /users/{username}/events",
            "GET /repos/{owner}/{repo}/commits",
        ],
    },
    ToolSpec {
        service: Service::Github,
        name: "notifications",
        access: Access::Read,
        description: "My unread GitHub notifications",
        endpoints: &["GET /notifications"],
    },
    ToolSpec {
        service: Service::Github,
        name: "comment",
        access: Access::Write,
        description: "Comment on a GitHub issue or pull request",
        endpoints: &["POST /repos/{owner}/{repo}/issues/{issue_number}/comments"],
    },
    ToolSpec {
        service: Service::Calendar,
        name: "today",
        access: Access::Read,
        description: "Today's meetings in my time zone",
        endpoints: &[
            "GET /users/me/settings/timezone",
            "GET /calendars/primary/events",
        ],
    },
    ToolSpec {
        service: Service::Calendar,
        name: "upcoming",
        access: Access::Read,
        description: "My events for the next N days",
        endpoints: &[
            "GET /users/me/settings/timezone",
            "GET /calendars/primary/events",
        ],
    },
    ToolSpec {
        service: Service::Slack,
        name: "unread",
        access: Access::Read,
        description: "Unread direct messages and recent mentions of me",
        endpoints: &[
            "GET /auth.test",
            "GET /conversations.list",
            "GET /conversations.info",
            "GET /conversations.history",
            "GET /search.messages",
            "GET /users.info",
        ],
    },
    ToolSpec {
        service: Service::Slack,
        name: "channel_history",
        access: Access::Read,
        description: "Recent messages of a channel, by name",
        endpoints: &[
            "GET /conversations.list",
            "GET /conversations.history",
            "GET /users.info",
        ],
    },
    ToolSpec {
        service: Service::Slack,
        name: "post_message",
        access: Access::Write,
        description: "Post a message to a Slack channel",
        endpoints: &["POST /chat.postMessage"],
    },
];

/// Finds a tool by service and short name.
pub fn find(service: Service, name: &str) -> Result<&'static ToolSpec> {
    let wanted = name.trim().replace('-', "_");
    TOOLS
        .iter()
        .find(|t| t.service == service && t.name == wanted)
        .ok_or_else(|| {
            let names: Vec<_> = TOOLS
                .iter()
                .filter(|t| t.service == service)
                .map(|t| t.name)
                .collect();
            Error::usage(format!("unknown {service} tool '{name}'"))
                .with_hint(format!("{service} tools: {}", names.join(", ")))
        })
}

/// Finds a tool by the function name a model used (`slack_post_message`).
pub fn find_function(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|t| t.function_name() == name)
}

/// Parses `slack` or `slack.post_message` into a permission subject and,
/// for a tool, its access kind.
pub fn parse_subject(text: &str) -> Result<(Subject, Option<Access>)> {
    match text.split_once('.') {
        None => Ok((Subject::service(text.parse()?), None)),
        Some((svc, tool)) => {
            let service: Service = svc.parse()?;
            let spec = find(service, tool)?;
            Ok((Subject::tool(service, spec.name), Some(spec.access)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_valid_function_names() {
        let mut seen = std::collections::HashSet::new();
        for t in TOOLS {
            assert!(seen.insert(t.function_name()));
            assert!(
                t.function_name()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            );
            assert_eq!(find_function(&t.function_name()), Some(t));
        }
        assert!(parse_subject("slack.post_message").unwrap().1 == Some(Access::Write));
        assert!(parse_subject("slack.nope").is_err());
        assert!(parse_subject("jira").is_err());
    }

    #[test]
    fn every_tool_has_an_object_schema_with_described_fields() {
        for t in TOOLS {
            let s = schema(t);
            assert_eq!(s["type"], "object", "{}: {s}", t.full_name());
            assert!(s.get("$schema").is_none());
            assert!(!t.endpoints.is_empty());
            for (name, p) in s["properties"].as_object().unwrap() {
                assert!(
                    p.get("description").is_some(),
                    "{}.{name} has no description: {s}",
                    t.full_name()
                );
            }
        }
        let s = schema(find(Service::Github, "review_requests").unwrap());
        assert_eq!(s["properties"]["limit"]["maximum"], 50);
        assert_eq!(s["properties"]["limit"]["default"], 10);
        assert_eq!(s["additionalProperties"], false);
        let s = schema(find(Service::Slack, "post_message").unwrap());
        let required: Vec<_> = s["required"].as_array().unwrap().iter().collect();
        assert_eq!(required, ["channel", "text"]);
        let s = schema(find(Service::Calendar, "upcoming").unwrap());
        assert_eq!(s["properties"]["days"]["maximum"], 14);
    }
}
