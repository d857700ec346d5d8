//! What an event is: the kinds of step ([`Action`]), their outcomes
//! ([`Decision`]), an event about to be appended ([`NewEvent`]) and one as
//! stored and shown ([`Event`]), with the bounds on the text an event keeps.

use std::time::Duration;

use serde::Serialize;

use crate::clock::format_ms;
use crate::error::{Error, Result};

/// The longest reason stored (bytes); longer text from outside (a provider's
/// or the model's words) is cut with a visible marker before it is hashed.
pub const MAX_REASON_BYTES: usize = 2048;
/// The longest endpoint, service or tool name stored (bytes).
pub const MAX_FIELD_BYTES: usize = 256;

/// `text` cut to at most `max` bytes on a character boundary, with a
/// marker saying how much was left out.
pub fn cap_text(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… (+{} bytes cut)", &text[..end], text.len() - end)
}

/// What kind of step an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    PermissionCheck,
    PermissionChange,
    TokenExchange,
    ApiCall,
    Approval,
    Login,
    Logout,
    Connect,
    Disconnect,
    Prune,
    ModelCall,
    /// A front door's session began (`devcontext mcp`: the client's name and version).
    SessionStart,
    /// A client asked for a tool (`devcontext mcp`), before any check.
    ToolRequest,
}

impl Action {
    pub const ALL: [Action; 13] = [
        Action::PermissionCheck,
        Action::PermissionChange,
        Action::TokenExchange,
        Action::ApiCall,
        Action::Approval,
        Action::Login,
        Action::Logout,
        Action::Connect,
        Action::Disconnect,
        Action::Prune,
        Action::ModelCall,
        Action::SessionStart,
        Action::ToolRequest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::PermissionCheck => "permission_check",
            Action::PermissionChange => "permission_change",
            Action::TokenExchange => "token_exchange",
            Action::ApiCall => "api_call",
            Action::Approval => "approval",
            Action::Login => "login",
            Action::Logout => "logout",
            Action::Connect => "connect",
            Action::Disconnect => "disconnect",
            Action::Prune => "prune",
            Action::ModelCall => "model_call",
            Action::SessionStart => "session_start",
            Action::ToolRequest => "tool_request",
        }
    }

    pub fn parse(s: &str) -> Result<Action> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Action::ALL.iter().map(|a| a.as_str()).collect();
                Error::usage(format!("unknown action '{s}'"))
                    .with_hint(format!("use one of: {}", names.join(", ")))
            })
    }
}

/// The outcome an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Granted,
    Denied,
    Error,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Granted => "granted",
            Decision::Denied => "denied",
            Decision::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Result<Decision> {
        match s {
            "granted" => Ok(Decision::Granted),
            "denied" => Ok(Decision::Denied),
            "error" => Ok(Decision::Error),
            _ => Err(Error::usage(format!("unknown decision '{s}'"))
                .with_hint("use one of: granted, denied, error")),
        }
    }
}

/// An event about to be appended; the store adds id, time, run, command and hashes.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub action: Action,
    pub decision: Decision,
    pub service: Option<String>,
    pub tool: Option<String>,
    pub endpoint: Option<String>,
    pub reason: Option<String>,
    pub http_status: Option<u16>,
    pub duration_ms: Option<u64>,
}

impl NewEvent {
    pub fn new(action: Action, decision: Decision) -> NewEvent {
        NewEvent {
            action,
            decision,
            service: None,
            tool: None,
            endpoint: None,
            reason: None,
            http_status: None,
            duration_ms: None,
        }
    }

    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self
    }

    pub fn tool(mut self, tool: impl Into<String>) -> Self {
        self.tool = Some(tool.into());
        self
    }

    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn duration(mut self, d: Duration) -> Self {
        self.duration_ms = Some(d.as_millis() as u64);
        self
    }

    /// The same event recording a failure: decision `error`, with `reason` as
    /// its reason (the one way every caller records an error outcome).
    pub fn failed(mut self, reason: impl Into<String>) -> Self {
        self.decision = Decision::Error;
        self.reason(reason)
    }
}

/// A stored event, as shown by `devcontext audit` (field names are stable: README).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Event {
    pub id: i64,
    pub time: String,
    pub run_id: String,
    pub command: String,
    pub service: Option<String>,
    pub tool: Option<String>,
    pub action: String,
    pub endpoint: Option<String>,
    pub decision: String,
    pub reason: Option<String>,
    pub http_status: Option<i64>,
    pub duration_ms: Option<i64>,
    pub prev_hash: String,
    pub hash: String,
}

/// The hashed fields of an event, in chain order.
#[derive(Debug)]
pub(super) struct Row {
    pub(super) id: i64,
    pub(super) ts_ms: i64,
    pub(super) run_id: String,
    pub(super) command: String,
    pub(super) service: Option<String>,
    pub(super) tool: Option<String>,
    pub(super) action: String,
    pub(super) endpoint: Option<String>,
    pub(super) decision: String,
    pub(super) reason: Option<String>,
    pub(super) http_status: Option<i64>,
    pub(super) duration_ms: Option<i64>,
}

impl Row {
    pub(super) fn into_event(self, prev_hash: String, hash: String) -> Event {
        Event {
            id: self.id,
            time: format_ms(self.ts_ms),
            run_id: self.run_id,
            command: self.command,
            service: self.service,
            tool: self.tool,
            action: self.action,
            endpoint: self.endpoint,
            decision: self.decision,
            reason: self.reason,
            http_status: self.http_status,
            duration_ms: self.duration_ms,
            prev_hash,
            hash,
        }
    }
}
