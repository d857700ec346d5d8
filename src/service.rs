//! The three third-party services devcontext can reach, and the names they go by
//! on the command line, in Auth0 (connection names) and in the permission store.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Github,
    Calendar,
    Slack,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::Github, Service::Calendar, Service::Slack];

    /// The name used in the permission store, the audit store and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Github => "github",
            Service::Calendar => "calendar",
            Service::Slack => "slack",
        }
    }

    /// A human-facing name for messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Service::Github => "GitHub",
            Service::Calendar => "Google Calendar",
            Service::Slack => "Slack",
        }
    }

    /// The Auth0 connection that Token Vault stores this service's tokens under.
    pub fn connection(self) -> &'static str {
        match self {
            Service::Github => "github",
            Service::Calendar => "google-oauth2",
            Service::Slack => "sign-in-with-slack",
        }
    }

    /// The name `devcontext connect` takes (Google covers the calendar).
    pub fn connect_name(self) -> &'static str {
        match self {
            Service::Github => "github",
            Service::Calendar => "google",
            Service::Slack => "slack",
        }
    }

    pub fn from_connection(connection: &str) -> Option<Service> {
        Service::ALL
            .into_iter()
            .find(|s| s.connection() == connection)
    }

    /// Least-privilege provider scopes requested by `devcontext connect` by default.
    pub fn default_scopes(self) -> &'static [&'static str] {
        match self {
            // GitHub Apps have no OAuth scopes: permissions live on the app.
            Service::Github => &[],
            Service::Calendar => &[
                "openid",
                "profile",
                "https://www.googleapis.com/auth/calendar.readonly",
            ],
            Service::Slack => &[
                "channels:read",
                "channels:history",
                "groups:read",
                "groups:history",
                "im:read",
                "im:history",
                "mpim:read",
                "search:read",
                "users:read",
            ],
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Service {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "github" | "gh" => Ok(Service::Github),
            "calendar" | "google" | "gcal" | "google-calendar" => Ok(Service::Calendar),
            "slack" => Ok(Service::Slack),
            _ => Err(Error::usage(format!("unknown service '{s}'"))
                .with_hint("use one of: github, calendar (or google), slack")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Service::ALL {
            assert_eq!(s.as_str().parse::<Service>().unwrap(), s);
            assert_eq!(s.connect_name().parse::<Service>().unwrap(), s);
            assert_eq!(Service::from_connection(s.connection()), Some(s));
        }
        assert!("jira".parse::<Service>().is_err());
    }
}
