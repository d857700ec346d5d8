//! Step 3, the call: where a provider is called. An [`ApiClient`] is what a
//! provider gets from the broker: requests with the token attached (the
//! provider never sees it), the provider's own headers from its hooks, every
//! attempt audited with its status, bodies read within bounds, one fresh
//! exchange when the token is rejected, and bounded retries on rate limits
//! and server errors.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use super::{Broker, CallInfo, ProviderHooks, ProviderToken};
use crate::audit::{Action, Decision, NewEvent};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::net;

/// A provider's HTTP answer after the broker's checks: 2xx with a JSON body.
#[derive(Debug)]
pub struct ApiResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

/// The request body of a call.
pub enum Body<'a> {
    None,
    Json(&'a Value),
    Form(&'a [(&'a str, String)]),
}

/// What a provider gets from the broker: requests with the token attached,
/// each audited, with bounded retries. The token itself is not reachable.
pub struct ApiClient<'b> {
    broker: &'b Broker,
    call: &'b CallInfo,
    base: Url,
    /// The call's service's hooks, bound once here.
    hooks: &'static dyn ProviderHooks,
    token: tokio::sync::Mutex<Arc<ProviderToken>>,
}

/// An answer the provider's hooks read as a failure (already audited).
struct Failure {
    error: Error,
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

/// What follows a failed attempt that may be tried again.
enum Next {
    /// The token was rejected: one fresh exchange, then again at once.
    Refresh,
    /// Rate limited or a server error: again after this wait.
    Wait(Duration),
}

impl<'b> ApiClient<'b> {
    pub(super) fn new(
        broker: &'b Broker,
        call: &'b CallInfo,
        token: Arc<ProviderToken>,
    ) -> ApiClient<'b> {
        ApiClient {
            broker,
            call,
            base: broker.endpoints.base(call.service).clone(),
            hooks: (broker.hooks)(call.service),
            token: tokio::sync::Mutex::new(token),
        }
    }

    /// The full URL of a path under this service's base URL.
    pub(super) fn url(&self, path: &str) -> Result<Url> {
        join(&self.base, path)
    }
}

impl ApiClient<'_> {
    pub fn call(&self) -> &CallInfo {
        self.call
    }

    /// The process's clock (`DEVCONTEXT_NOW` when set), for "today" and "next N days".
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.broker.clock.now()
    }

    /// Hints remembered from earlier runs for this call's service.
    pub fn hint<T: DeserializeOwned>(&self) -> Option<T> {
        self.broker.hints.as_ref()?.load(self.call.service)
    }

    /// Remembers a hint for this call's service (best effort).
    pub fn remember<T: Serialize>(&self, hint: &T) {
        if let Some(h) = &self.broker.hints {
            h.save(self.call.service, hint);
        }
    }

    /// Scopes Auth0 reported for the provider token.
    pub async fn scopes(&self) -> Vec<String> {
        self.token.lock().await.scopes.clone()
    }

    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<ApiResponse> {
        self.send(Method::GET, path, query, Body::None).await
    }

    /// Sends one request; audits every attempt with its status. A rejected
    /// token gets one fresh exchange; rate limits and server errors are
    /// retried within the broker's limits.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body<'_>,
    ) -> Result<ApiResponse> {
        let url = join(&self.base, path)?;
        let endpoint = format!("{method} {}", url.path());
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let token = self.token.lock().await.clone();
            let request = self.request(&method, &url, query, &body, &token);
            let failure = match self.attempt(request, &endpoint).await? {
                Ok(response) => return Ok(response),
                Err(failure) => failure,
            };
            match self.next(failure, attempt, refreshed)? {
                Next::Refresh => {
                    refreshed = true;
                    let fresh = self.broker.token(self.call, Some(&token)).await?;
                    *self.token.lock().await = fresh;
                }
                Next::Wait(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// One attempt's request: the token, JSON wanted, the provider's own
    /// headers, the body.
    fn request(
        &self,
        method: &Method,
        url: &Url,
        query: &[(&str, String)],
        body: &Body<'_>,
        token: &ProviderToken,
    ) -> reqwest::RequestBuilder {
        let mut request = self
            .broker
            .http
            .request(method.clone(), url.clone())
            .query(query)
            .header(reqwest::header::AUTHORIZATION, token.bearer())
            .header(reqwest::header::ACCEPT, "application/json");
        for (name, value) in self.hooks.headers() {
            request = request.header(*name, *value);
        }
        match body {
            Body::None => request,
            Body::Json(v) => request.json(v),
            Body::Form(f) => request.form(f),
        }
    }

    /// Sends one attempt and audits it: Ok(Ok) a success, Ok(Err) an answer
    /// the hooks read as a failure, Err no answer at all (not retried).
    async fn attempt(
        &self,
        request: reqwest::RequestBuilder,
        endpoint: &str,
    ) -> Result<std::result::Result<ApiResponse, Failure>> {
        let started = Instant::now();
        let outcome = self.receive(request).await;
        let event = NewEvent::new(Action::ApiCall, Decision::Granted)
            .service(self.call.service.as_str())
            .tool(self.call.full_name())
            .endpoint(endpoint)
            .duration(started.elapsed());
        let (status, headers, body) = match outcome {
            Ok(parts) => parts,
            Err(e) => {
                self.broker.audit.append(event.failed(e.message.clone()))?;
                return Err(e);
            }
        };
        let event = event.http_status(status.as_u16());
        // Provider error text may echo what it was sent (the token too): every
        // provider's errors pass here, so mask credential-shaped text once.
        let failure = self
            .hooks
            .interpret(status, &headers, &body)
            .map(Error::redacted);
        let Some(error) = failure else {
            self.broker.audit.append(event)?;
            return Ok(Ok(ApiResponse {
                status,
                headers,
                body,
            }));
        };
        self.broker
            .audit
            .append(event.failed(error.message.clone()))?;
        Ok(Err(Failure {
            error,
            status,
            headers,
            body,
        }))
    }

    /// After a failed attempt: try again (and how), or the error to return.
    fn next(&self, failure: Failure, attempt: u32, refreshed: bool) -> Result<Next> {
        let Failure {
            error,
            status,
            headers,
            body,
        } = failure;
        let unauthorized = self.hooks.is_unauthorized(status, &body);
        // 401: the token may have been revoked or expired early: one fresh exchange.
        if unauthorized && !refreshed {
            return Ok(Next::Refresh);
        }
        if unauthorized {
            return Err(error.with_hint(format!(
                "{} rejected a fresh token; run `devcontext connect {}` to re-authorize",
                self.call.service.display_name(),
                self.call.service.connect_name()
            )));
        }
        let limits = &self.broker.limits;
        let retryable = status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error()
            || self.hooks.rate_limited(&headers);
        if !retryable || attempt > limits.max_retries {
            return Err(error);
        }
        let wait = retry_wait(&headers, attempt, wall_clock_secs());
        if wait > limits.max_retry_wait {
            return Err(Error::upstream(format!(
                "{} is rate limiting; it asks to wait {} s",
                self.call.service.display_name(),
                wait.as_secs()
            ))
            .with_hint("try again later"));
        }
        Ok(Next::Wait(wait))
    }

    /// Sends and reads the body (bounded), parsing it as JSON.
    async fn receive(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, HeaderMap, Value)> {
        let what = format!("{} {}", self.call.service.display_name(), self.call.tool);
        let mut response = request
            .send()
            .await
            .map_err(|e| net::transport_error(&e, &what))?;
        let status = response.status();
        let headers = response.headers().clone();
        let max = self.broker.limits.max_body_bytes;
        if response.content_length().is_some_and(|n| n as usize > max) {
            return Err(oversized(&what, max));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| net::transport_error(&e, &what))?
        {
            if bytes.len() + chunk.len() > max {
                return Err(oversized(&what, max));
            }
            bytes.extend_from_slice(&chunk);
        }
        let body = read_body(&what, status, &bytes)?;
        Ok((status, headers, body))
    }
}

/// A provider answer's body as JSON: empty is null, and so is a failure's
/// body that is not JSON (the status tells enough); a 2xx that is not JSON
/// is an error. Outside input: never panics.
pub fn read_body(what: &str, status: StatusCode, bytes: &[u8]) -> Result<Value> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        Err(_) if !status.is_success() => Ok(Value::Null),
        Err(e) => Err(Error::upstream(format!(
            "{what}: the answer (HTTP {status}) is not valid JSON ({e})"
        ))
        .with_hint("the API or a proxy in between sent something unexpected; retry later")),
    }
}

fn oversized(what: &str, max: usize) -> Error {
    Error::upstream(format!(
        "{what}: the answer is larger than {} MB",
        max / (1024 * 1024)
    ))
    .with_hint("narrow the request (fewer items or a shorter time range)")
}

fn join(base: &Url, path: &str) -> Result<Url> {
    let mut text = base.as_str().trim_end_matches('/').to_string();
    text.push('/');
    text.push_str(path.trim_start_matches('/'));
    Url::parse(&text).map_err(|e| Error::general(format!("bad API path {path}: {e}")))
}

/// Now by the real clock, in seconds since the epoch, for the one use that
/// must not follow `DEVCONTEXT_NOW` (the injected clock, which moves
/// decisions): `X-RateLimit-Reset` names a wall-clock instant, and the wait
/// computed from it is real time slept.
fn wall_clock_secs() -> i64 {
    Clock::System.now().timestamp()
}

/// How long to wait before retrying: Retry-After, X-RateLimit-Reset, or backoff.
pub fn retry_wait(headers: &HeaderMap, attempt: u32, now_secs: i64) -> Duration {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(secs) = header("retry-after").and_then(|v| v.parse::<u64>().ok()) {
        return Duration::from_secs(secs);
    }
    if let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok()) {
        // a reset far in the past (or garbage like i64::MIN) means "now", not an overflow
        return Duration::from_secs(reset.saturating_sub(now_secs).max(0) as u64);
    }
    Duration::from_millis(250 * 2u64.pow(attempt.saturating_sub(1).min(6)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::approval::Policy;
    use crate::broker::tests::{broker_with, call};
    use crate::perms::Access;
    use crate::service::Service;

    struct WithHeaders;

    impl ProviderHooks for WithHeaders {
        fn headers(&self) -> &'static [(&'static str, &'static str)] {
            &[("accept", "application/vnd.test+json"), ("x-test", "1")]
        }
        fn interpret(&self, _: StatusCode, _: &HeaderMap, _: &Value) -> Option<Error> {
            None
        }
    }

    /// Every request carries the token and asks for JSON; the provider's own
    /// headers come after those (a second Accept is added, not a replacement).
    #[test]
    fn requests_carry_the_token_then_the_providers_own_headers() {
        let dir = tempfile::tempdir().unwrap();
        let (b, _) = broker_with(dir.path(), Policy::NoTerminal, |_| &WithHeaders);
        let c = call(Service::Github, "assigned", Access::Read);
        let token = Arc::new(ProviderToken::new("t0k".into(), None, vec![]));
        let api = ApiClient::new(&b, &c, token.clone());
        let url = api.url("/search/issues").unwrap();
        let query = [("q", "is:open".to_string())];
        let request = api
            .request(&Method::GET, &url, &query, &Body::None, &token)
            .build()
            .unwrap();
        assert_eq!(
            request.url().as_str(),
            "http://127.0.0.1:9/search/issues?q=is%3Aopen"
        );
        let h = request.headers();
        assert_eq!(h[reqwest::header::AUTHORIZATION], "Bearer t0k");
        let accept: Vec<_> = h.get_all(reqwest::header::ACCEPT).iter().collect();
        assert_eq!(accept, ["application/json", "application/vnd.test+json"]);
        assert_eq!(h["x-test"], "1");
    }

    /// Fuzz regression (provider_responses): `x-ratelimit-reset: -9223372036854775808`
    /// made `reset - now` overflow (a panic with overflow checks, a bogus wait without).
    #[test]
    fn retry_wait_survives_any_reset_header() {
        let headers = |reset: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-ratelimit-reset", reset.parse().unwrap());
            h
        };
        let now = 1_764_320_000;
        let wait = retry_wait(&headers("-9223372036854775808"), 1, now);
        assert_eq!(wait, Duration::ZERO);
        let wait = retry_wait(&headers("9223372036854775807"), 1, -now);
        assert_eq!(wait, Duration::from_secs(i64::MAX as u64));
        let wait = retry_wait(&headers(&(now + 30).to_string()), 1, now);
        assert_eq!(wait, Duration::from_secs(30));
    }
}
