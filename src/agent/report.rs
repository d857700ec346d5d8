//! What a run reports: each tool call, the token usage and the run as a
//! whole, as `ask --json` prints them (field names are stable: README).

use async_openai::types::chat::CompletionUsage;
use serde::Serialize;
use serde_json::Value;

use crate::error::Error;
use crate::service::Service;

/// How one tool call of the run ended. Wider than the audit's
/// [`crate::audit::Decision`]: a call can also fail for want of a connection,
/// or be a repeat that is not run again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallDecision {
    Granted,
    Denied,
    NotConnected,
    Error,
    /// Already made in this run; not run again.
    Repeated,
}

impl CallDecision {
    /// The name `--json` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            CallDecision::Granted => "granted",
            CallDecision::Denied => "denied",
            CallDecision::NotConnected => "not_connected",
            CallDecision::Error => "error",
            CallDecision::Repeated => "repeated",
        }
    }
}

/// One tool call of the run, as reported by `--json` (stable field names).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ToolCallRecord {
    /// The step (model request) that asked for it, from 1.
    pub step: u32,
    /// github, calendar or slack; null for an unknown tool.
    pub service: Option<Service>,
    /// `github.review_requests`, or the raw function name when unknown.
    pub tool: String,
    /// The arguments as parsed, or the raw text when they were not valid JSON.
    pub arguments: Value,
    /// granted, denied, not_connected, error, or repeated (already made in this run; not run again).
    pub decision: CallDecision,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub hint: Option<String>,
    /// A short summary of a successful result ("3 pull requests").
    pub summary: Option<String>,
}

/// Token usage summed over every model request of the run.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

impl Usage {
    pub(super) fn add(&mut self, u: &CompletionUsage) {
        self.prompt_tokens += u64::from(u.prompt_tokens);
        self.completion_tokens += u64::from(u.completion_tokens);
        self.total_tokens += u64::from(u.total_tokens);
    }
}

/// What `ask --json` prints (field names are stable; README).
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub answer: String,
    pub model: String,
    /// Model requests made.
    pub steps: u32,
    /// The tools offered to the model (`github.review_requests`, ...): the
    /// read tools, plus the write tools with `--write`.
    pub tools_offered: Vec<String>,
    pub tool_calls: Vec<ToolCallRecord>,
    pub usage: Usage,
    /// The run id the audit events of this run carry.
    pub run_id: String,
    /// Set when the run failed (step limit, model error); null otherwise.
    pub error: Option<ErrorReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorReport {
    pub message: String,
    pub hint: Option<String>,
    pub exit_code: i32,
}

impl From<&Error> for ErrorReport {
    fn from(e: &Error) -> Self {
        ErrorReport {
            message: e.message.clone(),
            hint: e.hint.clone(),
            exit_code: e.exit_code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_serialize_as_their_names() {
        for d in [
            CallDecision::Granted,
            CallDecision::Denied,
            CallDecision::NotConnected,
            CallDecision::Error,
            CallDecision::Repeated,
        ] {
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
        }
    }
}
