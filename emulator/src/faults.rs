//! Fault-injection and latency middleware: matching requests get a canned
//! answer (429 with Retry-After, 5xx, HTML, truncated, huge or endless bodies) or an
//! added delay. The delay is a `tokio::time::sleep` taken after the state
//! lock is released, so concurrent requests are delayed concurrently. A rule
//! with `after` delays the answer once the request was handled instead (the
//! server has acted; a client killed meanwhile never hears of it).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::{App, FaultRule};

fn fault_response(f: &FaultRule) -> Response {
    let body = f.body.clone().unwrap_or_default();
    let body = match f.body_repeat {
        Some(n) if n > 1 => body.repeat(n),
        _ => body,
    };
    let ct = f.content_type.clone().unwrap_or_else(|| {
        let t = body.trim_start();
        if t.starts_with('{') || t.starts_with('[') {
            "application/json".into()
        } else {
            "text/plain; charset=utf-8".into()
        }
    });
    let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = if f.endless && !body.is_empty() {
        // Built lazily: the emulator holds one copy of the piece, whatever
        // the client reads.
        let piece = axum::body::Bytes::from(body);
        let s = futures::stream::unfold(0u64, move |i| {
            let piece = piece.clone();
            async move {
                if i % 64 == 0 {
                    tokio::task::yield_now().await;
                }
                Some((Ok::<_, std::convert::Infallible>(piece), i + 1))
            }
        });
        Body::from_stream(s)
    } else {
        Body::from(body)
    };
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&ct) {
        h.insert(header::CONTENT_TYPE, v);
    }
    for (k, v) in f.headers.iter().flatten() {
        if let (Ok(name), Ok(val)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            h.insert(name, val);
        }
    }
    r
}

pub async fn inject(AxState(app): AxState<Arc<App>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/__emulator") {
        return next.run(req).await;
    }
    let method = req.method().as_str().to_string();
    let (delay_ms, after_ms, fault) = {
        let mut st = app.lock();
        let matching = |after: bool| -> u64 {
            st.latency
                .iter()
                .filter(|l| {
                    l.after == after
                        && l.path_prefix
                            .as_ref()
                            .is_none_or(|p| path.starts_with(p.as_str()))
                })
                .map(|l| l.ms)
                .sum()
        };
        let mut delay = matching(false);
        let after = matching(true);
        let fault = st
            .faults
            .iter_mut()
            .find(|f| {
                path.starts_with(f.path_prefix.as_str())
                    && f.method
                        .as_ref()
                        .is_none_or(|m| m.eq_ignore_ascii_case(&method))
                    && (f.times == 0 || f.hits < f.times)
            })
            .map(|f| {
                f.hits += 1;
                f.clone()
            });
        if let Some(f) = &fault {
            delay += f.latency_ms.unwrap_or(0);
        }
        (delay, after, fault)
    };
    if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    let response = match fault {
        Some(f) => fault_response(&f),
        None => next.run(req).await,
    };
    if after_ms > 0 {
        tokio::time::sleep(Duration::from_millis(after_ms)).await;
    }
    response
}
