//! The loop: the conversation, one model step after another, the tool calls
//! of each step run at once, until the model answers or the step limit.
//! Small models tend to ask again for what they already have: a repeated call
//! is not run again, and after a step of nothing but repeats the model is
//! asked to answer with what it has.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use async_openai::types::chat::{
    ChatCompletionMessageToolCall, ChatCompletionMessageToolCalls,
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestAssistantMessageContent,
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestToolMessage, ChatCompletionRequestToolMessageContent,
    ChatCompletionRequestUserMessage, FunctionCall,
};
use chrono::{DateTime, Utc};

use super::Observer;
use super::calls::{MAX_ARGUMENT_BYTES, call_key, tool_specs};
use super::model::Model;
use super::prompt::system_prompt;
use super::report::{CallDecision, ErrorReport, RunReport, Usage};
use super::stream::PartialCall;
use crate::audit::AuditLog;
use crate::broker::Broker;
use crate::error::{Error, ExitCode, Result};
use crate::tools::Tool;

/// The loop. `question` is the user's message.
pub struct Agent<'a> {
    pub model: &'a Model,
    /// Runs every tool call (gate, vault, API call, audit) and holds the
    /// audit log the model calls are recorded in.
    pub broker: &'a Broker,
    pub observer: &'a dyn Observer,
    /// The tools the model may call ([`super::offered_tools`]).
    pub offered: &'a [&'a Tool],
    pub max_steps: u32,
    /// "Now" for the prompt (the injected clock).
    pub now: DateTime<Utc>,
    /// The local time zone's name for the prompt ([`super::time_zone`]).
    pub zone: String,
}

impl Agent<'_> {
    fn audit(&self) -> &AuditLog {
        self.broker.audit()
    }

    /// Runs until the model answers or the step limit. The report is filled
    /// as far as the run got, also when it failed (then `error` is set).
    pub async fn run(&self, question: &str) -> (RunReport, Option<Error>) {
        let mut report = RunReport {
            answer: String::new(),
            model: self.model.name.clone(),
            steps: 0,
            tools_offered: self.offered.iter().map(|t| t.full_name()).collect(),
            tool_calls: vec![],
            usage: Usage::default(),
            run_id: self.audit().run().run_id.clone(),
            error: None,
        };
        let error = self.drive(question, &mut report).await.err();
        report.error = error.as_ref().map(ErrorReport::from);
        (report, error)
    }

    async fn drive(&self, question: &str, report: &mut RunReport) -> Result<()> {
        let tools = tool_specs(self.offered);
        let mut messages: Vec<ChatCompletionRequestMessage> = vec![
            ChatCompletionRequestSystemMessage {
                content: system_prompt(self.now, &self.zone).into(),
                name: None,
            }
            .into(),
            ChatCompletionRequestUserMessage {
                content: question.into(),
                name: None,
            }
            .into(),
        ];
        let mut next_id = 0usize;
        // Every call made so far (tool and canonical arguments) and its step:
        // small models tend to ask again for what they already have.
        let mut made: HashMap<String, u32> = HashMap::new();
        // After a step of nothing but repeats the model is asked to answer
        // with the results it has (tool_choice "none").
        let mut answer_now = false;
        for step in 1..=self.max_steps {
            report.steps = step;
            let request = self.model.request(&messages, &tools, answer_now);
            let reply = self
                .model
                .complete(
                    step,
                    &request,
                    self.offered,
                    self.audit(),
                    self.observer,
                    &mut report.usage,
                )
                .await?;
            if reply.calls.is_empty() {
                report.answer = reply.content;
                return Ok(());
            }
            if step == self.max_steps {
                break;
            }
            let calls: Vec<(String, PartialCall)> = reply
                .calls
                .into_values()
                .enumerate()
                .map(|(i, c)| {
                    let id = c.id.clone().unwrap_or_else(|| format!("call_{step}_{i}"));
                    (id, c)
                })
                .collect();
            messages.push(
                ChatCompletionRequestAssistantMessage {
                    content: (!reply.content.is_empty()).then(|| {
                        ChatCompletionRequestAssistantMessageContent::Text(reply.content.clone())
                    }),
                    tool_calls: Some(
                        calls
                            .iter()
                            .map(|(id, c)| {
                                ChatCompletionMessageToolCalls::Function(
                                    ChatCompletionMessageToolCall {
                                        id: id.clone(),
                                        function: FunctionCall {
                                            name: c.name.clone(),
                                            // Oversized arguments are refused; echoing them would
                                            // resend them with every later request.
                                            arguments: if c.arguments.len() > MAX_ARGUMENT_BYTES {
                                                "{}".into()
                                            } else {
                                                c.arguments.clone()
                                            },
                                        },
                                    },
                                )
                            })
                            .collect(),
                    ),
                    ..Default::default()
                }
                .into(),
            );
            let runs = calls.iter().map(|(_, c)| {
                let id = next_id;
                next_id += 1;
                let repeat = match made.entry(call_key(c)) {
                    Entry::Occupied(first) => Some(*first.get()),
                    Entry::Vacant(slot) => {
                        slot.insert(step);
                        None
                    }
                };
                self.call_tool(step, id, c, repeat)
            });
            let outcomes = futures::future::join_all(runs).await;
            answer_now = true;
            for ((id, _), outcome) in calls.iter().zip(outcomes) {
                let outcome = outcome?;
                answer_now &= outcome.record.decision == CallDecision::Repeated;
                messages.push(
                    ChatCompletionRequestToolMessage {
                        content: ChatCompletionRequestToolMessageContent::Text(
                            outcome.content.to_string(),
                        ),
                        tool_call_id: id.clone(),
                    }
                    .into(),
                );
                report.tool_calls.push(outcome.record);
            }
        }
        Err(Error::new(
            ExitCode::StepLimit,
            format!(
                "the model did not finish within {} (--max-steps)",
                if self.max_steps == 1 {
                    "1 step".to_string()
                } else {
                    format!("{} steps", self.max_steps)
                }
            ),
        )
        .with_hint("raise --max-steps (or DEVCONTEXT_MAX_STEPS), or ask a narrower question"))
    }
}
