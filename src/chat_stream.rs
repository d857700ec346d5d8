//! Reading one model reply within bounds. A model endpoint is outside input:
//! it can stream forever, send one endless line, endless tool-call arguments
//! or thousands of tool calls. This module owns the SSE reading (no library
//! buffer that grows without limit) and checks every cap while the reply
//! streams, so `ask` stops at the first byte over a limit, with one line.
//!
//! Pure logic (the SSE splitter and the caps) is tested here; the endpoint
//! side is tested through the binary against the emulator's endless modes.

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
pub const DEFAULT_TOOL_CALLS: usize = 16;
/// The default deadline of one model call: local models on a CPU are slow.
pub const DEFAULT_DEADLINE_SECS: u64 = 600;
/// The largest `GET /models` body read.
pub const MAX_MODELS_BODY: usize = 1024 * 1024;
/// The largest error body read from the model endpoint.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

impl Default for ReplyLimits {
    fn default() -> Self {
        ReplyLimits {
            answer_bytes: DEFAULT_ANSWER_BYTES,
            argument_bytes: crate::agent::MAX_ARGUMENT_BYTES,
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

/// Splits a `text/event-stream` body into the `data` of each event, never
/// holding more than `max` bytes of one event.
#[derive(Debug)]
pub struct SseSplitter {
    buf: Vec<u8>,
    /// Where the search for the next newline resumes (bytes before it have none).
    scanned: usize,
    data: String,
    has_data: bool,
    max: usize,
}

/// What one event of the stream was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseEvent {
    Data(String),
    Done,
}

impl SseSplitter {
    pub fn new(max: usize) -> SseSplitter {
        SseSplitter {
            buf: Vec::new(),
            scanned: 0,
            data: String::new(),
            has_data: false,
            max,
        }
    }

    /// Feeds bytes; returns the events they complete, or `Err(Over::Event)`
    /// when an event (or one line) grows past the cap.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, Over> {
        self.buf.extend_from_slice(bytes);
        let mut events = Vec::new();
        let mut start = 0;
        while let Some(pos) = self.buf[self.scanned..].iter().position(|&b| b == b'\n') {
            let end = self.scanned + pos;
            let mut line = &self.buf[start..end];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            if line.is_empty() {
                if self.has_data {
                    let data = std::mem::take(&mut self.data);
                    self.has_data = false;
                    events.push(if data == "[DONE]" {
                        SseEvent::Done
                    } else {
                        SseEvent::Data(data)
                    });
                }
            } else if let Some(rest) = line.strip_prefix(b"data:") {
                let rest = rest.strip_prefix(b" ").unwrap_or(rest);
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&String::from_utf8_lossy(rest));
                self.has_data = true;
                if self.data.len() > self.max {
                    return Err(Over::Event);
                }
            }
            // Other fields (event:, id:, retry:) and comments are ignored.
            start = end + 1;
            self.scanned = start;
        }
        self.buf.drain(..start);
        self.scanned = self.buf.len();
        if self.buf.len() > self.max {
            return Err(Over::Event);
        }
        Ok(events)
    }

    /// The event left when the stream ends without a final blank line.
    pub fn finish(&mut self) -> Option<SseEvent> {
        let line = std::mem::take(&mut self.buf);
        if let Some(rest) = line.strip_prefix(b"data:") {
            let rest = rest.strip_prefix(b" ").unwrap_or(rest);
            if self.has_data {
                self.data.push('\n');
            }
            self.data.push_str(&String::from_utf8_lossy(rest));
            self.has_data = true;
        }
        if !self.has_data {
            return None;
        }
        let data = std::mem::take(&mut self.data);
        self.has_data = false;
        Some(if data.trim_end() == "[DONE]" {
            SseEvent::Done
        } else {
            SseEvent::Data(data)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_any_chunking() {
        let body = b"data: {\"a\":1}\n\n: comment\nevent: x\ndata: two\ndata: lines\r\n\r\ndata: [DONE]\n\n";
        for size in [1, 2, 3, 7, body.len()] {
            let mut s = SseSplitter::new(100);
            let mut got = vec![];
            for piece in body.chunks(size) {
                got.extend(s.push(piece).unwrap());
            }
            assert_eq!(
                got,
                vec![
                    SseEvent::Data("{\"a\":1}".into()),
                    SseEvent::Data("two\nlines".into()),
                    SseEvent::Done
                ],
                "chunk size {size}"
            );
            assert_eq!(s.finish(), None);
        }
        let mut s = SseSplitter::new(100);
        assert!(s.push(b"data: tail").unwrap().is_empty());
        assert_eq!(s.finish(), Some(SseEvent::Data("tail".into())));
    }

    #[test]
    fn an_endless_line_or_event_is_refused_at_the_cap() {
        let mut s = SseSplitter::new(1000);
        s.push(b"data: ").unwrap();
        let mut refused = false;
        for _ in 0..100 {
            if s.push(&[b'x'; 100]).is_err() {
                refused = true;
                break;
            }
            assert!(s.buf.len() <= 1000 + 100);
        }
        assert!(refused);
        // Many short data lines of one event, never ended by a blank line.
        let mut s = SseSplitter::new(1000);
        let refused = (0..1000).any(|_| s.push(b"data: xxxxxxxx\n").is_err());
        assert!(refused);
    }

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
