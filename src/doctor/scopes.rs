//! Which provider scopes each tool needs, so `doctor` can say which tools a
//! connected account's missing scope disables. GitHub Apps have no OAuth
//! scopes (permissions live on the app), so GitHub tools need none here.

use crate::perms::Access;
use crate::service::Service;
use crate::tools::{TOOLS, ToolSpec};

const CALENDAR_READ: &str = "https://www.googleapis.com/auth/calendar.readonly";

/// The scopes `spec` needs on the connected account.
pub fn required(spec: &ToolSpec) -> &'static [&'static str] {
    match (spec.service, spec.name) {
        (Service::Slack, "unread") => &[
            "im:read",
            "im:history",
            "mpim:read",
            "search:read",
            "users:read",
        ],
        (Service::Slack, "channel_history") => &["channels:read", "channels:history", "users:read"],
        (Service::Slack, "post_message") => &["chat:write"],
        (Service::Calendar, _) => &[CALENDAR_READ],
        _ => &[],
    }
}

/// A tool that a missing scope disables.
#[derive(Debug, Clone, PartialEq)]
pub struct Disabled {
    pub tool: String,
    pub access: Access,
    pub missing: Vec<&'static str>,
}

/// The tools of `service` that `granted` does not cover, with what they lack.
pub fn disabled(service: Service, granted: &[String]) -> Vec<Disabled> {
    TOOLS
        .iter()
        .filter(|t| t.service == service)
        .filter_map(|t| {
            let missing: Vec<&'static str> = required(t)
                .iter()
                .copied()
                .filter(|s| !granted.iter().any(|g| g == s))
                .collect();
            (!missing.is_empty()).then(|| Disabled {
                tool: t.full_name(),
                access: t.access,
                missing,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scopes_cover_every_read_tool() {
        for s in Service::ALL {
            let granted: Vec<String> = s.default_scopes().iter().map(|x| x.to_string()).collect();
            let off = disabled(s, &granted);
            assert!(
                off.iter().all(|d| d.access == Access::Write),
                "{s}: {off:?}"
            );
        }
    }

    #[test]
    fn a_missing_scope_names_the_tools_it_disables() {
        let granted: Vec<String> = Service::Slack
            .default_scopes()
            .iter()
            .filter(|s| **s != "search:read")
            .map(|x| x.to_string())
            .collect();
        let off = disabled(Service::Slack, &granted);
        assert_eq!(off[0].tool, "slack.unread");
        assert_eq!(off[0].missing, ["search:read"]);
        assert!(off.iter().any(|d| d.tool == "slack.post_message"));
    }
}
