//! Audit events as OTLP: one log record per event (every documented field as
//! a `devcontext.event.*` attribute, the hash doubling as `log.record.uid`,
//! the idempotency key), and the tool calls of a run as spans following the
//! OpenTelemetry GenAI conventions: one trace per run, an `invoke_agent` (or
//! `devcontext COMMAND`) root span, `execute_tool` and `chat` spans under it.
//!
//! Ids are derived from the run id and event hashes, so sending a batch twice
//! produces the same records and spans (duplicates, never different data).

use std::collections::HashMap;

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, InstrumentationScope, KeyValue, any_value::Value,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs, SeverityNumber};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{
    ResourceSpans, ScopeSpans, Span, Status, span::SpanKind, status::StatusCode,
};
use sha2::{Digest, Sha256};

use crate::audit::PendingEvent;

const SCOPE: &str = "devcontext.audit";

/// Who sent the records: the OTLP resource.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub service_name: String,
    pub install_id: String,
    /// The Auth0 user (`sub`) logged in when the batch was sent.
    pub user_sub: Option<String>,
    pub tenant: Option<String>,
    /// From OTEL_RESOURCE_ATTRIBUTES and `[export] resource_attributes`.
    pub extra: Vec<(String, String)>,
}

fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

fn s(key: &str, value: impl Into<String>) -> KeyValue {
    kv(key, Value::StringValue(value.into()))
}

fn i(key: &str, value: i64) -> KeyValue {
    kv(key, Value::IntValue(value))
}

pub fn resource(id: &Identity) -> Resource {
    let mut attributes = Vec::new();
    for (k, v) in &id.extra {
        if k != "service.name" {
            attributes.push(s(k, v.clone()));
        }
    }
    attributes.push(s("service.name", id.service_name.clone()));
    attributes.push(s("service.version", env!("CARGO_PKG_VERSION")));
    attributes.push(s("service.instance.id", id.install_id.clone()));
    attributes.push(s("devcontext.install.id", id.install_id.clone()));
    if let Some(sub) = &id.user_sub {
        attributes.push(s("enduser.id", sub.clone()));
        attributes.push(s("devcontext.auth0.user.sub", sub.clone()));
    }
    if let Some(t) = &id.tenant {
        attributes.push(s("devcontext.auth0.tenant", t.clone()));
    }
    Resource {
        attributes,
        ..Default::default()
    }
}

fn scope() -> InstrumentationScope {
    InstrumentationScope {
        name: SCOPE.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    }
}

fn nanos(ms: i64) -> u64 {
    (ms.max(0) as u64).saturating_mul(1_000_000)
}

fn digest(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize().into()
}

/// The trace of a run: 16 bytes derived from its run id.
pub fn trace_id(run_id: &str) -> Vec<u8> {
    digest(&["devcontext.trace", run_id])[..16].to_vec()
}

fn root_span_id(run_id: &str) -> Vec<u8> {
    digest(&["devcontext.run", run_id])[..8].to_vec()
}

fn event_span_id(hash: &str) -> Vec<u8> {
    digest(&["devcontext.span", hash])[..8].to_vec()
}

/// The body: one line a person can read in any log viewer.
pub fn summary(e: &PendingEvent) -> String {
    let ev = &e.event;
    let mut out = format!("{} {}", ev.decision, ev.action);
    if let Some(what) = ev.tool.as_ref().or(ev.service.as_ref()) {
        out.push(' ');
        out.push_str(what);
    }
    if let Some(endpoint) = &ev.endpoint {
        out.push(' ');
        out.push_str(endpoint);
    }
    if let Some(status) = ev.http_status {
        out.push_str(&format!(" -> {status}"));
    }
    if let Some(ms) = ev.duration_ms {
        out.push_str(&format!(" in {ms} ms"));
    }
    if let Some(reason) = &ev.reason {
        out.push_str(": ");
        out.push_str(reason);
    }
    out.push_str(&format!(" (event {}, {})", ev.id, ev.command));
    crate::sanitize::line(&out).into_owned()
}

fn severity(decision: &str) -> (SeverityNumber, &'static str) {
    match decision {
        "granted" => (SeverityNumber::Info, "INFO"),
        "denied" => (SeverityNumber::Warn, "WARN"),
        _ => (SeverityNumber::Error, "ERROR"),
    }
}

/// Every documented field, under `devcontext.event.*` (absent fields are left out).
pub fn event_attributes(e: &PendingEvent) -> Vec<KeyValue> {
    let ev = &e.event;
    let mut a = vec![
        i("devcontext.event.id", ev.id),
        s("devcontext.event.hash", ev.hash.clone()),
        s("devcontext.event.prev_hash", ev.prev_hash.clone()),
        s("devcontext.event.run_id", ev.run_id.clone()),
        s("devcontext.event.command", ev.command.clone()),
        s("devcontext.event.action", ev.action.clone()),
        s("devcontext.event.decision", ev.decision.clone()),
        s("devcontext.event.time", ev.time.clone()),
    ];
    let optional = [
        ("devcontext.event.service", &ev.service),
        ("devcontext.event.tool", &ev.tool),
        ("devcontext.event.endpoint", &ev.endpoint),
        ("devcontext.event.reason", &ev.reason),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            a.push(s(k, v.clone()));
        }
    }
    if let Some(st) = ev.http_status {
        a.push(i("devcontext.event.http_status", st));
    }
    if let Some(ms) = ev.duration_ms {
        a.push(i("devcontext.event.duration_ms", ms));
    }
    // The semantic-convention name for a record's unique id: the idempotency key.
    a.push(s("log.record.uid", ev.hash.clone()));
    a
}

/// One tool call: its permission check and what followed it in the same run.
struct Call<'a> {
    first: &'a PendingEvent,
    end_ms: i64,
    failed: Option<&'a PendingEvent>,
    status: Option<i64>,
}

/// The spans of a batch and, per event, the span its log record belongs to.
pub struct Spans {
    pub spans: Vec<Span>,
    pub span_of: HashMap<i64, Vec<u8>>,
}

pub fn spans(batch: &[PendingEvent]) -> Spans {
    let mut calls: Vec<Call> = Vec::new();
    let mut open: HashMap<(&str, &str), usize> = HashMap::new();
    let mut span_of = HashMap::new();
    let mut runs: Vec<&str> = Vec::new();
    let mut run_bounds: HashMap<&str, (i64, i64, &str)> = HashMap::new();
    let mut spans = Vec::new();
    for e in batch {
        let ev = &e.event;
        let run = ev.run_id.as_str();
        let bounds = run_bounds
            .entry(run)
            .or_insert((e.ts_ms, e.ts_ms, ev.command.as_str()));
        bounds.0 = bounds.0.min(e.ts_ms);
        bounds.1 = bounds.1.max(e.ts_ms);
        let tool = match &ev.tool {
            Some(t) if ev.command != "perms" => t.as_str(),
            _ => {
                if ev.action == "model_call" {
                    if !runs.contains(&run) {
                        runs.push(run);
                    }
                    spans.push(chat_span(e));
                    span_of.insert(ev.id, event_span_id(&ev.hash));
                }
                continue;
            }
        };
        let index = if ev.action == "permission_check" {
            calls.push(Call {
                first: e,
                end_ms: e.ts_ms,
                failed: None,
                status: None,
            });
            open.insert((run, tool), calls.len() - 1);
            if !runs.contains(&run) {
                runs.push(run);
            }
            calls.len() - 1
        } else {
            match open.get(&(run, tool)) {
                Some(&ix) => ix,
                // The call began in an earlier batch: its span was sent then.
                None => continue,
            }
        };
        let call = &mut calls[index];
        call.end_ms = call.end_ms.max(e.ts_ms);
        if ev.decision != "granted" && call.failed.is_none() {
            call.failed = Some(e);
        }
        if ev.action == "api_call" {
            call.status = ev.http_status;
        }
        span_of.insert(ev.id, event_span_id(&call.first.event.hash));
    }
    for call in &calls {
        spans.push(tool_span(call));
    }
    for run in runs {
        let (start, end, command) = run_bounds[run];
        spans.push(root_span(run, command, start, end));
    }
    Spans { spans, span_of }
}

fn status_of(failed: Option<&PendingEvent>) -> Option<Status> {
    failed.map(|f| Status {
        code: StatusCode::Error as i32,
        message: summary(f),
    })
}

fn tool_span(call: &Call) -> Span {
    let ev = &call.first.event;
    let tool = ev.tool.clone().unwrap_or_default();
    let mut attributes = vec![
        s("gen_ai.operation.name", "execute_tool"),
        s("gen_ai.tool.name", tool.clone()),
        s("gen_ai.tool.type", "function"),
        s("gen_ai.tool.call.id", ev.hash[..16].to_string()),
        s("devcontext.event.run_id", ev.run_id.clone()),
        i("devcontext.event.id", ev.id),
    ];
    if let Some(svc) = &ev.service {
        attributes.push(s("devcontext.event.service", svc.clone()));
    }
    if let Some(st) = call.status {
        attributes.push(i("http.response.status_code", st));
    }
    if let Some(f) = call.failed {
        attributes.push(s("error.type", f.event.decision.clone()));
    }
    Span {
        trace_id: trace_id(&ev.run_id),
        span_id: event_span_id(&ev.hash),
        parent_span_id: root_span_id(&ev.run_id),
        name: format!("execute_tool {tool}"),
        kind: SpanKind::Internal as i32,
        start_time_unix_nano: nanos(call.first.ts_ms),
        end_time_unix_nano: nanos(call.end_ms.max(call.first.ts_ms)),
        attributes,
        status: status_of(call.failed),
        ..Default::default()
    }
}

fn chat_span(e: &PendingEvent) -> Span {
    let ev = &e.event;
    // The agent records "model NAME, step N, ...".
    let model = ev
        .reason
        .as_deref()
        .and_then(|r| r.strip_prefix("model "))
        .map(|r| r.split([',', ':']).next().unwrap_or(r).trim().to_string())
        .unwrap_or_default();
    let mut attributes = vec![
        s("gen_ai.operation.name", "chat"),
        s("devcontext.event.run_id", ev.run_id.clone()),
        i("devcontext.event.id", ev.id),
    ];
    if !model.is_empty() {
        attributes.push(s("gen_ai.request.model", model.clone()));
    }
    let start = e.ts_ms - ev.duration_ms.unwrap_or(0);
    Span {
        trace_id: trace_id(&ev.run_id),
        span_id: event_span_id(&ev.hash),
        parent_span_id: root_span_id(&ev.run_id),
        name: if model.is_empty() {
            "chat".into()
        } else {
            format!("chat {model}")
        },
        kind: SpanKind::Client as i32,
        start_time_unix_nano: nanos(start),
        end_time_unix_nano: nanos(e.ts_ms),
        attributes,
        status: status_of((ev.decision != "granted").then_some(e)),
        ..Default::default()
    }
}

fn root_span(run: &str, command: &str, start: i64, end: i64) -> Span {
    let (name, mut attributes) = if command == "ask" {
        (
            "invoke_agent devcontext".to_string(),
            vec![
                s("gen_ai.operation.name", "invoke_agent"),
                s("gen_ai.agent.name", "devcontext"),
            ],
        )
    } else {
        (format!("devcontext {command}"), Vec::new())
    };
    attributes.push(s("devcontext.event.run_id", run));
    attributes.push(s("devcontext.event.command", command));
    Span {
        trace_id: trace_id(run),
        span_id: root_span_id(run),
        name,
        kind: SpanKind::Internal as i32,
        start_time_unix_nano: nanos(start),
        end_time_unix_nano: nanos(end.max(start)),
        attributes,
        ..Default::default()
    }
}

/// The log records of a batch, in event order.
pub fn logs_request(
    batch: &[PendingEvent],
    spans: &Spans,
    resource: &Resource,
    now_ms: i64,
) -> ExportLogsServiceRequest {
    let log_records = batch
        .iter()
        .map(|e| {
            let (number, text) = severity(&e.event.decision);
            LogRecord {
                time_unix_nano: nanos(e.ts_ms),
                observed_time_unix_nano: nanos(now_ms),
                severity_number: number as i32,
                severity_text: text.into(),
                body: Some(AnyValue {
                    value: Some(Value::StringValue(summary(e))),
                }),
                attributes: event_attributes(e),
                trace_id: trace_id(&e.event.run_id),
                span_id: spans
                    .span_of
                    .get(&e.event.id)
                    .cloned()
                    .unwrap_or_else(|| root_span_id(&e.event.run_id)),
                event_name: format!("devcontext.audit.{}", e.event.action),
                ..Default::default()
            }
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(resource.clone()),
            scope_logs: vec![ScopeLogs {
                scope: Some(scope()),
                log_records,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub fn traces_request(spans: Vec<Span>, resource: &Resource) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(resource.clone()),
            scope_spans: vec![ScopeSpans {
                scope: Some(scope()),
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Event;

    fn ev(id: i64, action: &str, tool: Option<&str>, decision: &str, ts: i64) -> PendingEvent {
        PendingEvent {
            event: Event {
                id,
                time: crate::clock::format_ms(ts),
                run_id: "run1".into(),
                command: "ask".into(),
                service: tool.map(|_| "slack".into()),
                tool: tool.map(String::from),
                action: action.into(),
                endpoint: None,
                decision: decision.into(),
                reason: Some("model m1, step 1".into()),
                http_status: Some(200),
                duration_ms: Some(5),
                prev_hash: format!("{:064}", id - 1),
                hash: format!("{id:064}"),
            },
            ts_ms: ts,
        }
    }

    #[test]
    fn a_run_is_one_trace_with_tool_spans_under_its_root() {
        let batch = vec![
            ev(1, "model_call", None, "granted", 1000),
            ev(2, "permission_check", Some("slack.unread"), "granted", 1010),
            ev(3, "token_exchange", Some("slack.unread"), "granted", 1020),
            ev(4, "api_call", Some("slack.unread"), "error", 1050),
            ev(5, "permission_check", Some("slack.unread"), "granted", 1060),
        ];
        let out = spans(&batch);
        let names: Vec<_> = out.spans.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "chat m1",
                "execute_tool slack.unread",
                "execute_tool slack.unread",
                "invoke_agent devcontext"
            ]
        );
        let root = &out.spans[3];
        assert!(out.spans.iter().all(|s| s.trace_id == root.trace_id));
        assert!(
            out.spans[..3]
                .iter()
                .all(|s| s.parent_span_id == root.span_id)
        );
        let first = &out.spans[1];
        assert_eq!(first.end_time_unix_nano, 1_050_000_000);
        assert_eq!(
            first.status.as_ref().unwrap().code,
            StatusCode::Error as i32
        );
        assert_eq!(out.span_of[&3], first.span_id);
        // The same batch gives the same ids: a resend is a duplicate.
        assert_eq!(spans(&batch).spans, out.spans);
    }

    #[test]
    fn every_documented_field_is_an_attribute() {
        let e = ev(4, "api_call", Some("slack.unread"), "granted", 1050);
        let keys: Vec<String> = event_attributes(&e).into_iter().map(|a| a.key).collect();
        for f in [
            "id",
            "hash",
            "prev_hash",
            "run_id",
            "command",
            "action",
            "decision",
            "service",
            "tool",
            "http_status",
            "duration_ms",
            "reason",
        ] {
            assert!(keys.contains(&format!("devcontext.event.{f}")), "{f}");
        }
        assert!(!summary(&e).contains('\n'));
    }
}
