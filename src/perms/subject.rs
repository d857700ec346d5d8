//! What a rule is about: an access (read or write) to a subject, a whole
//! service or one of its tools, as stored in the rules table (`slack`,
//! `slack.post_message`).

use std::fmt;

use serde::Serialize;

use crate::service::Service;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }

    pub(super) fn parse(s: &str) -> Option<Access> {
        match s {
            "read" => Some(Access::Read),
            "write" => Some(Access::Write),
            _ => None,
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a permission applies to: a whole service or one of its tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub service: Service,
    /// The tool's short name (`post_message`), if the subject is a tool.
    pub tool: Option<String>,
}

impl Subject {
    pub fn service(service: Service) -> Subject {
        Subject {
            service,
            tool: None,
        }
    }

    pub fn tool(service: Service, tool: impl Into<String>) -> Subject {
        Subject {
            service,
            tool: Some(tool.into()),
        }
    }

    /// The key stored in the rules table: `slack` or `slack.post_message`.
    pub fn key(&self) -> String {
        match &self.tool {
            None => self.service.as_str().to_string(),
            Some(t) => format!("{}.{t}", self.service),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}
