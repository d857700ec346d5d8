//! Splits a model's `text/event-stream` body into events without a library
//! buffer that grows without limit: one event (or one line) past its cap is
//! refused as it arrives ([`Over::Event`]).

use super::limits::Over;

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
}
