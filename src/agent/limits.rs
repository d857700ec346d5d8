//! The bounds of one model reply. A model endpoint is outside input: it can
//! stream forever, send one endless line, endless tool-call arguments or
//! thousands of tool calls. The caps are checked while the reply streams
//! (`sse.rs`, `stream.rs`), so `ask` stops at the first byte over
//! a limit, with one line (exit 9) saying which limit and which setting.
//!
//! The endpoint side is tested through the binary against the emulator's
//! endless modes.

use std::time::Duration;

use crate::error::{Error, ExitCode};

/// The bounds of one model reply. Defaults are generous for real use and
/// small enough that a hostile endpoint cannot take much memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLimits {
    /// Bytes of answer text.
    pub answer_bytes: usize,
    /// Bytes of one tool call's argument text.
    pub argument_bytes: usize,
    /// Bytes of one tool call's function name.
    pub name_bytes: usize,
    /// Tool calls in one reply.
    pub tool_calls: usize,
    /// Bytes of one SSE event (one `data:` payload and its lines).
    pub event_bytes: usize,
    /// Wall time of one model call, first byte to last, on top of the idle timeout.
    pub deadline: Duration,
}

/// The default answer cap: far beyond any brief (a few KB).
pub const DEFAULT_ANSWER_BYTES: usize = 1024 * 1024;
/// The default number of tool calls one reply may ask for.
pub const DEFAULT_TOOL_CALLS: usize = crate::config::DEFAULT_TOOL_CALLS;
/// The default deadline of one model call: local models on a CPU are slow.
pub const DEFAULT_DEADLINE_SECS: u64 = crate::config::DEFAULT_MODEL_DEADLINE_SECS;
/// The largest `GET /models` body read.
pub const MAX_MODELS_BODY: usize = 1024 * 1024;
/// The largest error body read from the model endpoint.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

impl Default for ReplyLimits {
    fn default() -> Self {
        ReplyLimits {
            answer_bytes: DEFAULT_ANSWER_BYTES,
            argument_bytes: super::MAX_ARGUMENT_BYTES,
            name_bytes: 256,
            tool_calls: DEFAULT_TOOL_CALLS,
            event_bytes: 1024 * 1024,
            deadline: Duration::from_secs(DEFAULT_DEADLINE_SECS),
        }
    }
}

/// Which bound a reply went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    Answer,
    Arguments,
    Name,
    ToolCalls,
    Event,
    Deadline,
}

impl ReplyLimits {
    /// The one-line error (exit 9) for a reply that went over `over`.
    pub fn error(&self, over: Over) -> Error {
        let (message, hint) = match over {
            Over::Answer => (
                format!(
                    "the model's answer passed {} bytes; stopped reading it",
                    self.answer_bytes
                ),
                "the model server may be looping; check it, or ask a narrower question".to_string(),
            ),
            Over::Arguments => (
                format!(
                    "a tool call's arguments passed {} bytes; stopped reading the reply",
                    self.argument_bytes
                ),
                "the model server may be looping; check it, or use another model".to_string(),
            ),
            Over::Name => (
                format!(
                    "a tool call's name passed {} bytes; stopped reading the reply",
                    self.name_bytes
                ),
                "the model server may be looping; check it, or use another model".to_string(),
            ),
            Over::ToolCalls => (
                format!(
                    "the model asked for more than {} tool calls in one reply; stopped reading it",
                    self.tool_calls
                ),
                "raise [model] max_tool_calls (or DEVCONTEXT_MODEL_MAX_TOOL_CALLS), \
                 or ask a narrower question"
                    .to_string(),
            ),
            Over::Event => (
                format!(
                    "the model endpoint sent a stream event larger than {} bytes; stopped reading it",
                    self.event_bytes
                ),
                "check that OPENAI_BASE_URL points to an OpenAI-compatible /v1 API".to_string(),
            ),
            Over::Deadline => (
                format!(
                    "the model did not finish its reply within {} s; stopped waiting",
                    self.deadline.as_secs()
                ),
                "raise [model] timeout_secs (or DEVCONTEXT_MODEL_TIMEOUT_SECS), \
                 or use a faster model"
                    .to_string(),
            ),
        };
        Error::new(ExitCode::ModelLimit, message).with_hint(hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_errors_exit_9_and_name_the_setting() {
        let l = ReplyLimits::default();
        let e = l.error(Over::ToolCalls);
        assert_eq!(e.exit_code(), 9);
        assert!(
            e.message.contains("more than 16 tool calls"),
            "{}",
            e.message
        );
        assert!(e.hint.unwrap().contains("max_tool_calls"));
        let e = l.error(Over::Deadline);
        assert!(e.message.contains("within 600 s"));
        assert!(e.hint.unwrap().contains("timeout_secs"));
    }
}
