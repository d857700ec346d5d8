//! One model reply assembled from its streamed chunks: the answer text as it
//! arrives (handed to the [`Observer`]) and the tool calls, put together by
//! index. Every cap of [`ReplyLimits`] is checked before the bytes over it are
//! kept; a stream that breaks off or is not an OpenAI chat completion stream
//! ends the reply with one error line.

use std::collections::BTreeMap;

use async_openai::types::chat::{CompletionUsage, CreateChatCompletionStreamResponse};
use serde_json::Value;

use super::Observer;
use super::calls::clip;
use super::limits::{Over, ReplyLimits};
use super::sse::{SseEvent, SseSplitter};
use crate::error::Error;
use crate::net;

/// A tool call as the model streamed it, assembled by index.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct PartialCall {
    pub id: Option<String>,
    pub name: String,
    pub arguments: String,
}

/// One model reply, accumulated from stream chunks.
#[derive(Debug, Default)]
pub(super) struct Reply {
    pub content: String,
    pub calls: BTreeMap<u32, PartialCall>,
    pub usage: Option<CompletionUsage>,
}

impl Reply {
    /// Folds one chunk in; returns the text delta, if any, or the bound the
    /// reply went over (checked before anything over it is kept).
    fn absorb(
        &mut self,
        chunk: CreateChatCompletionStreamResponse,
        limits: &ReplyLimits,
    ) -> std::result::Result<Option<String>, Over> {
        if let Some(u) = chunk.usage {
            self.usage = Some(u);
        }
        let mut text = String::new();
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            if let Some(c) = choice.delta.content {
                if self.content.len() + text.len() + c.len() > limits.answer_bytes {
                    return Err(Over::Answer);
                }
                text.push_str(&c);
            }
            for tc in choice.delta.tool_calls.unwrap_or_default() {
                if !self.calls.contains_key(&tc.index) && self.calls.len() >= limits.tool_calls {
                    return Err(Over::ToolCalls);
                }
                let call = self.calls.entry(tc.index).or_default();
                if let Some(id) = tc.id.filter(|i| !i.is_empty()) {
                    call.id = Some(clip(&id, 256));
                }
                if let Some(f) = tc.function {
                    if let Some(n) = f.name {
                        if call.name.len() + n.len() > limits.name_bytes {
                            return Err(Over::Name);
                        }
                        call.name.push_str(&n);
                    }
                    if let Some(a) = f.arguments {
                        if call.arguments.len() + a.len() > limits.argument_bytes {
                            return Err(Over::Arguments);
                        }
                        call.arguments.push_str(&a);
                    }
                }
            }
        }
        self.content.push_str(&text);
        Ok((!text.is_empty()).then_some(text))
    }
}

/// Reads a streamed reply (a 2xx response, `code` its status), checking every
/// cap as bytes arrive. The error carries the HTTP status.
pub(super) async fn read(
    mut response: reqwest::Response,
    code: Option<u16>,
    limits: &ReplyLimits,
    observer: &dyn Observer,
) -> std::result::Result<Reply, (Error, Option<u16>)> {
    let mut splitter = SseSplitter::new(limits.event_bytes);
    let mut reply = Reply::default();
    let handle = |event: SseEvent, reply: &mut Reply| -> std::result::Result<bool, Error> {
        let data = match event {
            SseEvent::Done => return Ok(true),
            SseEvent::Data(d) => d,
        };
        let chunk: CreateChatCompletionStreamResponse =
            serde_json::from_str(&data).map_err(|_| event_error(&data))?;
        match reply.absorb(chunk, limits) {
            Ok(Some(delta)) => observer.content(&delta),
            Ok(None) => {}
            Err(over) => return Err(limits.error(over)),
        }
        Ok(false)
    };
    loop {
        let chunk = response.chunk().await.map_err(|e| (broke_off(&e), code))?;
        let Some(bytes) = chunk else {
            if let Some(event) = splitter.finish() {
                handle(event, &mut reply).map_err(|e| (e, code))?;
            }
            return Ok(reply);
        };
        let events = splitter
            .push(&bytes)
            .map_err(|over| (limits.error(over), code))?;
        for event in events {
            if handle(event, &mut reply).map_err(|e| (e, code))? {
                return Ok(reply);
            }
        }
    }
}

/// A stream event that is not a chat completion chunk: an error the server
/// reports mid-stream, or something that is not an OpenAI API at all.
fn event_error(data: &str) -> Error {
    let message = serde_json::from_str::<Value>(data)
        .ok()
        .and_then(|v| v.get("error").cloned())
        .and_then(|e| {
            e.get("message")
                .and_then(Value::as_str)
                .or(e.as_str())
                .map(str::to_string)
        })
        .map(|m| crate::providers::truncate(&crate::redact::redact(&m), 300));
    match message {
        Some(m) => Error::upstream(format!("the model's answer broke off: {m}"))
            .with_hint("try again later, or check the model server"),
        None => Error::upstream(
            "the model endpoint sent an answer that is not an OpenAI chat completion",
        )
        .with_hint("check that OPENAI_BASE_URL points to an OpenAI-compatible /v1 API"),
    }
}

fn broke_off(e: &reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::upstream("the model's answer broke off: the server fell silent").with_hint(
            "the model server stopped or fell silent for longer than DEVCONTEXT_TIMEOUT_SECS \
             (at least 120 s for the model); check it, or raise the timeout",
        );
    }
    net::transport_error(e, "the model")
}

#[cfg(test)]
mod tests {
    use async_openai::types::chat::{
        ChatChoiceStream, ChatCompletionMessageToolCallChunk, ChatCompletionStreamResponseDelta,
        FunctionCallStream,
    };

    use super::*;

    fn chunk(
        content: Option<&str>,
        calls: Vec<(u32, Option<&str>, Option<&str>, &str)>,
    ) -> CreateChatCompletionStreamResponse {
        #[allow(deprecated)]
        let delta = ChatCompletionStreamResponseDelta {
            content: content.map(str::to_string),
            tool_calls: (!calls.is_empty()).then(|| {
                calls
                    .into_iter()
                    .map(
                        |(index, id, name, args)| ChatCompletionMessageToolCallChunk {
                            index,
                            id: id.map(str::to_string),
                            r#type: None,
                            function: Some(FunctionCallStream {
                                name: name.map(str::to_string),
                                arguments: Some(args.to_string()),
                            }),
                        },
                    )
                    .collect()
            }),
            ..Default::default()
        };
        CreateChatCompletionStreamResponse {
            choices: vec![ChatChoiceStream {
                index: 0,
                delta,
                finish_reason: None,
                logprobs: None,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn stream_chunks_assemble_content_and_parallel_tool_calls() {
        let l = ReplyLimits::default();
        let mut r = Reply::default();
        assert_eq!(
            r.absorb(chunk(Some("Hel"), vec![]), &l).unwrap().as_deref(),
            Some("Hel")
        );
        assert_eq!(
            r.absorb(chunk(Some("lo"), vec![]), &l).unwrap().as_deref(),
            Some("lo")
        );
        r.absorb(
            chunk(None, vec![(1, Some("b"), Some("slack_unread"), "")]),
            &l,
        )
        .unwrap();
        r.absorb(
            chunk(None, vec![(0, Some("a"), Some("github_activity"), "{\"re")]),
            &l,
        )
        .unwrap();
        assert_eq!(
            r.absorb(chunk(None, vec![(0, None, None, "po\":\"x\"}")]), &l),
            Ok(None)
        );
        assert_eq!(r.content, "Hello");
        let calls: Vec<_> = r.calls.values().cloned().collect();
        assert_eq!(calls[0].name, "github_activity");
        assert_eq!(calls[0].arguments, "{\"repo\":\"x\"}");
        assert_eq!(calls[0].id.as_deref(), Some("a"));
        assert_eq!(calls[1].name, "slack_unread");
    }

    #[test]
    fn every_cap_is_checked_before_the_bytes_are_kept() {
        let l = ReplyLimits {
            answer_bytes: 10,
            argument_bytes: 8,
            name_bytes: 6,
            tool_calls: 2,
            ..ReplyLimits::default()
        };
        let mut r = Reply::default();
        r.absorb(chunk(Some("0123456789"), vec![]), &l).unwrap();
        assert_eq!(r.absorb(chunk(Some("x"), vec![]), &l), Err(Over::Answer));
        assert_eq!(r.content.len(), 10);
        let mut r = Reply::default();
        r.absorb(chunk(None, vec![(0, None, Some("abc"), "1234")]), &l)
            .unwrap();
        assert_eq!(
            r.absorb(chunk(None, vec![(0, None, None, "56789")]), &l),
            Err(Over::Arguments)
        );
        assert_eq!(
            r.absorb(chunk(None, vec![(0, None, Some("defg"), "")]), &l),
            Err(Over::Name)
        );
        r.absorb(chunk(None, vec![(1, None, Some("x"), "")]), &l)
            .unwrap();
        assert_eq!(
            r.absorb(chunk(None, vec![(2, None, Some("y"), "")]), &l),
            Err(Over::ToolCalls)
        );
        assert_eq!(r.calls.len(), 2);
    }
}
