//! Tool calls in the loop: which tools the model is offered (from the tool
//! table, with their schemas), how a model's call is read (name, arguments)
//! and run through the broker ([`Tool::run`]), and how its outcome goes
//! back to the model and into the run's record.

use std::time::Instant;

use async_openai::types::chat::{ChatCompletionTool, ChatCompletionTools, FunctionObject};
use serde_json::{Value, json};

use super::report::{CallDecision, ToolCallRecord};
use super::run::Agent;
use super::stream::PartialCall;
use crate::error::{Error, ExitCode, Result};
use crate::perms::Access;
use crate::tools::{Registry, Tool, kind_of};

/// The largest argument text a tool call may have: room for the longest
/// GitHub comment (65,536 characters) even when every one is escaped.
pub const MAX_ARGUMENT_BYTES: usize = 512 * 1024;

/// The longest invented tool name shown or stored (bytes).
const MAX_SHOWN_NAME: usize = 64;

/// The tools offered to the model: the read tools, and the write tools only
/// when the person asked for writes (`ask --write`, `[model] offer_writes`).
/// A tool not offered does not exist for the run: calling it is an unknown tool.
pub fn offered_tools(table: &Registry, writes: bool) -> Vec<&Tool> {
    table
        .iter()
        .filter(|t| writes || t.spec.access == Access::Read)
        .collect()
}

/// The function specs the model sees: the offered tools, with the JSON
/// Schema of their arguments.
pub fn tool_specs(offered: &[&Tool]) -> Vec<ChatCompletionTools> {
    offered
        .iter()
        .map(|&tool| {
            let spec = &tool.spec;
            let mut description = spec.description.to_string();
            if spec.access == Access::Write {
                description.push_str(" (a write: runs only after the user approves it)");
            }
            ChatCompletionTools::Function(ChatCompletionTool {
                function: FunctionObject {
                    name: spec.function_name(),
                    description: Some(description),
                    parameters: Some(tool.input_schema()),
                    strict: None,
                },
            })
        })
        .collect()
}

/// What goes back to the model for one call, and how it is recorded.
pub(super) struct CallOutcome {
    pub content: Value,
    pub record: ToolCallRecord,
}

impl Agent<'_> {
    /// Runs one tool call; every failure becomes a tool result for the model,
    /// except a lost login (exit 3), which ends the run. A call the run
    /// already made (`repeat`: its step) is not run again.
    pub(super) async fn call_tool(
        &self,
        step: u32,
        id: usize,
        call: &PartialCall,
        repeat: Option<u32>,
    ) -> Result<CallOutcome> {
        let tool = self
            .offered
            .iter()
            .copied()
            .find(|t| t.function_name() == call.name);
        let spec = tool.map(|t| &t.spec);
        let parsed = parse_arguments(&call.arguments);
        let mut record = ToolCallRecord {
            step,
            service: spec.map(|s| s.service),
            // A name the model invents is shown cut, with a marker.
            tool: spec
                .map(|s| s.full_name())
                .unwrap_or_else(|| clip(&call.name, MAX_SHOWN_NAME)),
            arguments: parsed
                .clone()
                .unwrap_or_else(|_| Value::String(clip(&call.arguments, 2000))),
            decision: CallDecision::Error,
            duration_ms: 0,
            error: None,
            hint: None,
            summary: None,
        };
        self.observer.tool_started(id, &record);
        let started = Instant::now();
        let content = match (tool, parsed, repeat) {
            (_, _, Some(first)) => {
                let message = format!("the same call was already made in step {first}");
                let hint = "use its result above; answer once you have what you need";
                record.decision = CallDecision::Repeated;
                record.error = Some(message.clone());
                record.hint = Some(hint.into());
                error_content(&message, Some(hint))
            }
            (None, _, None) => {
                let names: Vec<String> = self.offered.iter().map(|t| t.function_name()).collect();
                let message = format!("unknown tool '{}'", clip(&call.name, MAX_SHOWN_NAME));
                let hint = format!("call one of: {}", names.join(", "));
                record.error = Some(message.clone());
                record.hint = Some(hint.clone());
                error_content(&message, Some(&hint))
            }
            (Some(_), Err(message), None) => {
                let hint = "send the arguments as one JSON object matching the tool's parameters";
                record.error = Some(message.clone());
                record.hint = Some(hint.into());
                error_content(&message, Some(hint))
            }
            (Some(tool), Ok(args), None) => match tool.run(self.broker, args).await {
                Ok(out) => {
                    record.decision = CallDecision::Granted;
                    record.summary = Some(out.summary);
                    json!({ "untrusted_data": out.value })
                }
                Err(e) if e.kind == ExitCode::LoginRequired => return Err(e),
                Err(e) => {
                    // Messages can quote what the model sent: keep them short.
                    let message = clip(&e.message, 2000);
                    record.decision = decision_for(&e);
                    record.error = Some(message.clone());
                    record.hint = e.hint.clone();
                    error_content(&message, e.hint.as_deref())
                }
            },
        };
        record.duration_ms = started.elapsed().as_millis() as u64;
        self.observer.tool_finished(id, &record);
        Ok(CallOutcome { content, record })
    }
}

/// At most `max` bytes of `text` (cut on a character boundary, "…" added).
pub(super) fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Parses a model's argument text: empty means `{}`; anything but a JSON object is refused.
/// The tool then parses and validates the object ([`Tool::validate`], done
/// again by [`Tool::run`]). Outside input: never panics (fuzzed as `tool_args`).
pub fn parse_arguments(text: &str) -> std::result::Result<Value, String> {
    if text.len() > MAX_ARGUMENT_BYTES {
        return Err(format!(
            "the arguments are too large ({} bytes; at most {MAX_ARGUMENT_BYTES})",
            text.len()
        ));
    }
    if text.trim().is_empty() {
        return Ok(json!({}));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(other) => Err(format!(
            "the arguments must be a JSON object, not {}",
            kind_of(&other)
        )),
        Err(e) => Err(format!("the arguments are not valid JSON ({e})")),
    }
}

/// The decision for a failed tool call.
pub fn decision_for(e: &Error) -> CallDecision {
    match e.kind {
        ExitCode::Blocked => CallDecision::Denied,
        ExitCode::NotConnected => CallDecision::NotConnected,
        _ => CallDecision::Error,
    }
}

/// What makes two calls the same: the function name and the arguments,
/// canonical when they are JSON (keys sorted, spacing dropped).
pub(super) fn call_key(call: &PartialCall) -> String {
    let args = serde_json::from_str::<Value>(&call.arguments)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| call.arguments.trim().to_string());
    format!("{}\u{0}{args}", call.name)
}

/// The tool message content for an error.
fn error_content(message: &str, hint: Option<&str>) -> Value {
    let mut v = json!({ "error": message });
    if let Some(h) = hint {
        v["hint"] = json!(h);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_must_be_a_json_object() {
        assert_eq!(parse_arguments("").unwrap(), json!({}));
        assert_eq!(parse_arguments(" {\"a\":1} ").unwrap(), json!({"a": 1}));
        assert!(
            parse_arguments("{\"a\":")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(parse_arguments("[1]").unwrap_err().contains("an array"));
        assert!(parse_arguments("\"x\"").unwrap_err().contains("a string"));
        let huge = format!("{{\"repo\":\"{}\"}}", "a".repeat(MAX_ARGUMENT_BYTES));
        assert!(parse_arguments(&huge).unwrap_err().contains("too large"));
        assert_eq!(clip("héllo", 2), "h…");
    }

    #[test]
    fn decisions_follow_exit_codes() {
        assert_eq!(decision_for(&Error::blocked("x")), CallDecision::Denied);
        assert_eq!(
            decision_for(&Error::not_connected("x")),
            CallDecision::NotConnected
        );
        assert_eq!(decision_for(&Error::upstream("x")), CallDecision::Error);
        assert_eq!(
            error_content(
                "slack is revoked",
                Some("run `devcontext perms grant slack`")
            ),
            json!({"error": "slack is revoked", "hint": "run `devcontext perms grant slack`"})
        );
    }

    #[test]
    fn read_tools_by_default_and_every_tool_with_writes_which_say_so() {
        let table = crate::providers::registry();
        let reads = offered_tools(table, false);
        assert!(reads.iter().all(|t| t.spec.access == Access::Read));
        assert_eq!(
            reads.len(),
            table
                .iter()
                .filter(|t| t.spec.access == Access::Read)
                .count()
        );
        let text = serde_json::to_string(&tool_specs(&reads)).unwrap();
        assert!(!text.contains("slack_post_message") && !text.contains("github_comment"));
        let all = offered_tools(table, true);
        let specs = tool_specs(&all);
        assert_eq!(specs.len(), table.len());
        let text = serde_json::to_string(&specs).unwrap();
        assert!(text.contains("\"slack_post_message\""));
        assert!(text.contains("approves"));
    }
}
