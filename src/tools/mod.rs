//! The tool registry: every tool devcontext offers, declared once, and fed to
//! `ask` (as model function specs), `devcontext tools` and `devcontext tool`.

use crate::error::{Error, Result};
use crate::perms::{Access, Subject};
use crate::service::Service;

/// A tool's identity and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToolSpec {
    pub service: Service,
    /// Short name within the service (`post_message`).
    pub name: &'static str,
    pub access: Access,
    pub description: &'static str,
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
}

/// All tools, in display order.
pub const TOOLS: &[ToolSpec] = &[
    ToolSpec {
        service: Service::Github,
        name: "review_requests",
        access: Access::Read,
        description: "Open pull requests awaiting my review",
    },
    ToolSpec {
        service: Service::Github,
        name: "my_pull_requests",
        access: Access::Read,
        description: "Open pull requests I opened",
    },
    ToolSpec {
        service: Service::Github,
        name: "assigned",
        access: Access::Read,
        description: "Open issues and pull requests assigned to me",
    },
    ToolSpec {
        service: Service::Github,
        name: "activity",
        access: Access::Read,
        description: "My recent commits and activity, optionally in one repository",
    },
    ToolSpec {
        service: Service::Github,
        name: "notifications",
        access: Access::Read,
        description: "My unread GitHub notifications",
    },
    ToolSpec {
        service: Service::Github,
        name: "comment",
        access: Access::Write,
        description: "Comment on a GitHub issue or pull request",
    },
    ToolSpec {
        service: Service::Calendar,
        name: "today",
        access: Access::Read,
        description: "Today's meetings in my time zone",
    },
    ToolSpec {
        service: Service::Calendar,
        name: "upcoming",
        access: Access::Read,
        description: "My events for the next N days",
    },
    ToolSpec {
        service: Service::Slack,
        name: "unread",
        access: Access::Read,
        description: "Unread direct messages and recent mentions of me",
    },
    ToolSpec {
        service: Service::Slack,
        name: "channel_history",
        access: Access::Read,
        description: "Recent messages of a channel, by name",
    },
    ToolSpec {
        service: Service::Slack,
        name: "post_message",
        access: Access::Write,
        description: "Post a message to a Slack channel",
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
}
