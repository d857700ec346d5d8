//! Which tools a connected account's missing scope disables, so `doctor`
//! can say so. Each tool declares the scopes it needs (`ToolSpec::scopes`);
//! GitHub Apps have no OAuth scopes (permissions live on the app).

use crate::perms::Access;
use crate::providers;
use crate::service::Service;

/// A tool that a missing scope disables.
#[derive(Debug, Clone, PartialEq)]
pub struct Disabled {
    pub tool: String,
    pub access: Access,
    pub missing: Vec<&'static str>,
}

/// The tools of `service` that `granted` does not cover, with what they lack.
pub fn disabled(service: Service, granted: &[String]) -> Vec<Disabled> {
    providers::registry()
        .iter()
        .map(|t| &t.spec)
        .filter(|t| t.service == service)
        .filter_map(|t| {
            let missing: Vec<&'static str> = t
                .scopes
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
