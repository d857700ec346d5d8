//! The wall clock, injectable so that time-boxed grants can be tested without sleeping.
//!
//! `DEVCONTEXT_NOW` (RFC 3339) pins "now" for one process; it exists for tests and
//! for asking "what would be allowed at 18:00?". Leaving it unset uses the real clock.
//! It changes permission decisions only: audit timestamps, the start of a
//! grant, prune cut-offs, other records and real waits always use
//! `Clock::System`. Nothing outside this file reads the system clock itself.

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn from_env(value: Option<String>) -> Result<Clock> {
        match value {
            None => Ok(Clock::System),
            Some(v) => DateTime::parse_from_rfc3339(&v)
                .map(|t| Clock::Fixed(t.with_timezone(&Utc)))
                .map_err(|e| {
                    Error::usage(format!(
                        "DEVCONTEXT_NOW is not an RFC 3339 time ('{v}'): {e}"
                    ))
                    .with_hint("use a time like 2026-11-28T09:00:00Z, or unset it")
                }),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }
}

/// Formats epoch milliseconds as an RFC 3339 UTC time with milliseconds.
pub fn format_ms(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}
