//! The `ask` loop: an OpenAI-compatible chat model that reads the
//! developer's services only through tools, and every tool call only through
//! the broker (the tool table's [`crate::tools::Tool::run`]).
//!
//! Each step sends the conversation (streamed), and when the reply calls tools
//! runs all of them at once; each result, denial or error goes back to the
//! model as a `tool` message so it can adapt ("I could not read Slack: ...").
//! Tool results are wrapped as `{"untrusted_data": ...}` and the system prompt
//! says they are data, never instructions. Permissions and approvals live in
//! the broker, out of the model's reach. The loop ends when the model answers
//! without tool calls, or with exit 8 after `max_steps` requests.
//!
//! The rooms: `model.rs` (the endpoint: HTTP, retries, audit, its errors),
//! `prompt.rs` (the system prompt), `stream.rs` (one reply assembled from its
//! chunks), `sse.rs` and `limits.rs` (the reply read within bounds), `calls.rs`
//! (the tools offered and one tool call run), `report.rs` (what `--json`
//! prints) and `run.rs` (the loop).
//!
//! This module never prints: progress and the streamed answer go to an
//! [`Observer`] that the command supplies.

mod calls;
mod limits;
mod model;
mod prompt;
mod report;
mod run;
mod sse;
mod stream;

pub use calls::{MAX_ARGUMENT_BYTES, decision_for, offered_tools, parse_arguments, tool_specs};
pub use limits::{
    DEFAULT_ANSWER_BYTES, DEFAULT_DEADLINE_SECS, DEFAULT_TOOL_CALLS, MAX_ERROR_BODY,
    MAX_MODELS_BODY, Over, ReplyLimits,
};
pub use model::{CHAT_ENDPOINT, Model, ModelSettings};
pub use prompt::{system_prompt, time_zone};
pub use report::{CallDecision, ErrorReport, RunReport, ToolCallRecord, Usage};
pub use run::Agent;
pub use sse::{SseEvent, SseSplitter};

/// Receives progress while the loop works. All methods default to nothing.
pub trait Observer {
    /// A model request is about to be sent.
    fn model_started(&self, _step: u32) {}
    /// The model request of this step has finished (answer or tool calls).
    fn model_finished(&self, _step: u32) {}
    /// A tool call starts; `id` is unique within the run.
    fn tool_started(&self, _id: usize, _call: &ToolCallRecord) {}
    /// A tool call ended (its decision, duration and outcome are filled in).
    fn tool_finished(&self, _id: usize, _call: &ToolCallRecord) {}
    /// A piece of the model's text, as it arrives.
    fn content(&self, _delta: &str) {}
}
