//! Delivery: pending events, oldest first, in batches, POSTed as OTLP/HTTP
//! protobuf; the cursor moves only after the collector acknowledged a batch
//! (logs, then the batch's spans). A crash anywhere leaves the cursor behind
//! what was sent, so the next run resends: duplicates (same hashes, same ids),
//! never a gap.
//!
//! After each command ([`Mode::Auto`]) nothing waits past a short deadline and
//! a failure only records itself and pauses automatic tries (30 s, or the
//! collector's `Retry-After`); `audit export` ([`Mode::Full`]) ships all,
//! sleeping through `Retry-After` (up to a minute) and retrying 429/502/503/504.

use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use reqwest::StatusCode;
use url::Url;

use super::config::{Config, display_url};
use super::otlp;
use crate::audit::AuditLog;
use crate::clock::Clock;
use crate::error::{Error, Result};

/// How long automatic tries pause after a failure without `Retry-After`.
pub const AUTO_PAUSE: Duration = Duration::from_secs(30);
/// The longest `Retry-After` that `audit export` sleeps through.
pub const MAX_SLEEP: Duration = Duration::from_secs(60);
/// Tries of one batch in `audit export` when the collector asks to retry.
const MAX_TRIES: u32 = 5;
/// The most response body read (an OTLP answer is a few bytes).
const MAX_RESPONSE: usize = 64 * 1024;

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// After a command: stop at the deadline, never sleep.
    Auto { deadline: Instant },
    /// `audit export`: everything, honouring `Retry-After`.
    Full,
}

/// What one call to [`ship`] did.
#[derive(Debug)]
pub struct Outcome {
    pub delivered: u64,
    pub batches: u64,
    /// Events still pending afterwards (-1: not counted, after a command).
    pub pending: i64,
    /// Why delivery stopped early, if it did.
    pub failure: Option<Error>,
}

/// Why a request failed.
#[derive(Debug)]
struct Failure {
    /// The collector answered: exit 5; it could not be reached: exit 6.
    answered: bool,
    retryable: bool,
    retry_after: Option<Duration>,
    /// For the user and the store: no header, no body echo.
    message: String,
}

pub struct Shipper<'a> {
    pub config: &'a Config,
    pub audit: Arc<AuditLog>,
    pub clock: Clock,
    pub client: reqwest::Client,
    pub resource: Resource,
    /// Called after each acknowledged batch with (delivered so far, pending at start).
    pub on_batch: Option<Box<dyn Fn(u64, i64) + Send + Sync + 'a>>,
}

impl Shipper<'_> {
    pub async fn ship(&self, mode: Mode) -> Result<Outcome> {
        let state = self.audit.export_state()?;
        if let Some(missing) = self.audit.delivered_anchor()? {
            return Err(
                Error::general(format!("export stopped: {}", missing.problem)).with_hint(
                    "run `devcontext audit verify`; keep a copy of the store for investigation",
                ),
            );
        }
        let now = self.clock.now_ms();
        if let Mode::Auto { .. } = mode
            && state.retry_not_before_ms.is_some_and(|t| t > now)
        {
            return Ok(Outcome {
                delivered: 0,
                batches: 0,
                pending: state.pending,
                failure: None,
            });
        }
        let start_pending = state.pending;
        let mut cursor = state.delivered_id;
        let mut delivered = 0u64;
        let mut batches = 0u64;
        loop {
            if let Mode::Auto { deadline } = mode
                && Instant::now() >= deadline
            {
                break;
            }
            let batch = self.audit.pending_events(cursor, self.config.batch_size)?;
            let Some(last) = batch.last() else { break };
            let (last_id, last_hash) = (last.event.id, last.event.hash.clone());
            let count = batch.len() as u64;
            let spans = otlp::spans(&batch);
            let logs = otlp::logs_request(&batch, &spans, &self.resource, self.clock.now_ms())
                .encode_to_vec();
            let traces = match (&self.config.traces_url, spans.spans.is_empty()) {
                (Some(url), false) => Some((
                    url,
                    otlp::traces_request(spans.spans, &self.resource).encode_to_vec(),
                )),
                _ => None,
            };
            drop(batch);
            tracing::debug!("export: sending events {} to {last_id}", cursor + 1);
            let mut result = self
                .send_with_retries(&self.config.logs_url, logs, mode, Signal::Logs)
                .await;
            tracing::debug!("export: log records sent");
            if result.is_ok()
                && let Some((url, body)) = traces
            {
                result = self
                    .send_with_retries(url, body, mode, Signal::Traces)
                    .await;
            }
            if let Err(f) = result {
                let pending = self.audit.export_state()?.pending;
                let pause = f.retry_after.unwrap_or(AUTO_PAUSE);
                let now = self.clock.now_ms();
                self.audit.mark_export_failed(
                    &f.message,
                    now,
                    Some(now + pause.as_millis() as i64),
                )?;
                let text = format!("{pending} audit events not delivered: {}", f.message);
                let error = if f.answered {
                    Error::upstream(text).with_hint(
                        "check the collector and its logs; `devcontext audit export` retries",
                    )
                } else {
                    Error::network(text).with_hint(
                        "check that the collector is running and reachable, then run `devcontext audit export`",
                    )
                };
                return Ok(Outcome {
                    delivered,
                    batches,
                    pending,
                    failure: Some(error),
                });
            }
            self.audit
                .mark_delivered(last_id, &last_hash, self.clock.now_ms())?;
            tracing::debug!("export: cursor at {last_id}");
            delivered += count;
            batches += 1;
            cursor = last_id;
            if let Some(f) = &self.on_batch {
                f(delivered, start_pending);
            }
        }
        // After a command nobody reads the count: skip the query.
        let pending = match mode {
            Mode::Full => self.audit.export_state()?.pending,
            Mode::Auto { .. } => -1,
        };
        Ok(Outcome {
            delivered,
            batches,
            pending,
            failure: None,
        })
    }

    async fn send_with_retries(
        &self,
        url: &Url,
        body: Vec<u8>,
        mode: Mode,
        signal: Signal,
    ) -> std::result::Result<(), Failure> {
        let mut tries = 0;
        loop {
            tries += 1;
            let failure = match self.send(url, body.clone(), mode, signal).await {
                Ok(()) => return Ok(()),
                Err(f) => f,
            };
            let Mode::Full = mode else {
                return Err(failure);
            };
            if !failure.retryable || tries >= MAX_TRIES {
                return Err(failure);
            }
            // Retry-After first; otherwise 1, 2, 4, 8 s.
            let wait = failure
                .retry_after
                .unwrap_or(Duration::from_secs(1 << (tries - 1).min(3)));
            if wait > MAX_SLEEP {
                return Err(failure);
            }
            tracing::info!("{}; retrying in {} s", failure.message, wait.as_secs_f32());
            tokio::time::sleep(wait).await;
        }
    }

    async fn send(
        &self,
        url: &Url,
        body: Vec<u8>,
        mode: Mode,
        signal: Signal,
    ) -> std::result::Result<(), Failure> {
        let shown = display_url(url);
        let mut request = self
            .client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/x-protobuf")
            .body(body);
        for h in &self.config.headers {
            request = request.header(h.name.as_str(), h.value.as_str());
        }
        if let Mode::Auto { deadline } = mode {
            let left = deadline.saturating_duration_since(Instant::now());
            request = request.timeout(left.max(Duration::from_millis(1)));
        }
        let response = request.send().await.map_err(|e| Failure {
            answered: false,
            retryable: false,
            retry_after: None,
            message: format!(
                "could not reach the collector at {shown} ({})",
                if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "could not connect"
                } else {
                    "request failed"
                }
            ),
        })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, self.clock.now()));
        let bytes = read_bounded(response).await;
        if !status.is_success() {
            let retryable = matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS
                    | StatusCode::BAD_GATEWAY
                    | StatusCode::SERVICE_UNAVAILABLE
                    | StatusCode::GATEWAY_TIMEOUT
            );
            let after = retry_after
                .map(|d| format!(", retry after {} s", d.as_secs()))
                .unwrap_or_default();
            return Err(Failure {
                answered: true,
                retryable,
                retry_after,
                message: format!(
                    "the collector at {shown} answered HTTP {}{after}",
                    status.as_u16()
                ),
            });
        }
        // A partial success that rejected records is a refusal: the cursor
        // must not pass events the collector did not keep.
        let rejected = match signal {
            Signal::Logs => ExportLogsServiceResponse::decode(bytes.as_slice())
                .ok()
                .and_then(|r| r.partial_success)
                .map(|p| (p.rejected_log_records, p.error_message)),
            Signal::Traces => ExportTraceServiceResponse::decode(bytes.as_slice())
                .ok()
                .and_then(|r| r.partial_success)
                .map(|p| (p.rejected_spans, p.error_message)),
        };
        if let Some((n, why)) = rejected.filter(|(n, _)| *n > 0) {
            let why: String = crate::redact::redact(&crate::sanitize::line(&why))
                .chars()
                .take(200)
                .collect();
            return Err(Failure {
                answered: true,
                retryable: false,
                retry_after: None,
                message: format!("the collector at {shown} rejected {n} records: {why}"),
            });
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
enum Signal {
    Logs,
    Traces,
}

async fn read_bounded(mut response: reqwest::Response) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        if out.len() + chunk.len() > MAX_RESPONSE {
            break;
        }
        out.extend_from_slice(&chunk);
    }
    out
}

/// `Retry-After`: seconds, or an HTTP date. Bounded to a day.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    let secs = if let Ok(n) = value.parse::<u64>() {
        n
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        (at.timestamp() - now.timestamp()).max(0) as u64
    };
    Some(Duration::from_secs(secs.min(86_400)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_or_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-29T10:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("Sun, 29 Nov 2026 10:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("999999999", now),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
