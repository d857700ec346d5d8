//! The broker: the only door to third-party data. Every provider call passes
//! gate (permission check) -> approval (writes) -> vault (Token Vault exchange,
//! memory-only cache) -> call (provider API), and each step is audited,
//! denials and failures exactly like successes.
//!
//! Providers never see the Auth0 session or even the provider token: they get
//! an [`ApiClient`] that attaches the token and audits each request.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::approval::{Approval, ApprovalRequest, Approver, WritePreview};
use crate::audit::{Action, AuditLog, Decision, NewEvent};
use crate::clock::Clock;
use crate::error::{Error, ExitCode, Result};
use crate::hints::Hints;
use crate::net;
use crate::perms::{self, Access, Verdict};
use crate::service::Service;

/// The longest a provider token is reused, whatever lifetime Auth0 reports.
const MAX_TOKEN_REUSE: Duration = Duration::from_secs(24 * 3600);

/// A provider token from Token Vault. Lives in memory only; never printed.
pub struct ProviderToken {
    secret: String,
    expires_at: Instant,
    pub scopes: Vec<String>,
}

impl ProviderToken {
    /// `lifetime` is Auth0's `expires_in`; the token is reused until a minute
    /// before it, and for at most a day whatever Auth0 says.
    pub fn new(secret: String, lifetime: Option<Duration>, scopes: Vec<String>) -> ProviderToken {
        // Without expires_in, cache for at most five minutes (protocol doc 3.5).
        let lifetime = lifetime.unwrap_or(Duration::from_secs(300 + 60));
        // Capped: a huge expires_in (u64::MAX) would overflow `Instant + Duration`.
        let usable = lifetime
            .saturating_sub(Duration::from_secs(60))
            .min(MAX_TOKEN_REUSE);
        ProviderToken {
            secret,
            expires_at: Instant::now() + usable,
            scopes,
        }
    }

    fn fresh(&self) -> bool {
        Instant::now() < self.expires_at
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.secret)
    }
}

impl std::fmt::Debug for ProviderToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderToken")
            .field("secret", &"[redacted]")
            .field("scopes", &self.scopes)
            .finish()
    }
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The outcome of one exchange attempt, for the audit.
pub struct ExchangeFailure {
    pub error: Error,
    /// Auth0's `error` code (e.g. `federated_connection_refresh_token_not_found`).
    pub code: Option<String>,
    pub http_status: Option<u16>,
}

/// Something that can exchange the user's Auth0 session for a provider token.
pub trait TokenSource: Send + Sync {
    fn exchange(
        &self,
        service: Service,
    ) -> BoxFuture<'_, std::result::Result<ProviderToken, ExchangeFailure>>;
    /// The endpoint recorded in the audit for an exchange (method and path).
    fn endpoint(&self) -> String;
}

/// One tool invocation as the broker sees it.
#[derive(Debug, Clone)]
pub struct CallInfo {
    pub service: Service,
    /// The tool's short name (`post_message`).
    pub tool: String,
    pub access: Access,
}

impl CallInfo {
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.service, self.tool)
    }
}

/// Base URLs of the provider APIs.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub github: Url,
    pub calendar: Url,
    pub slack: Url,
}

impl Endpoints {
    pub fn base(&self, service: Service) -> &Url {
        match service {
            Service::Github => &self.github,
            Service::Calendar => &self.calendar,
            Service::Slack => &self.slack,
        }
    }
}

type Slot = tokio::sync::Mutex<Option<Arc<ProviderToken>>>;

pub struct Broker {
    audit: Arc<AuditLog>,
    permissions: PathBuf,
    clock: Clock,
    source: Arc<dyn TokenSource>,
    approver: Arc<dyn Approver>,
    http: reqwest::Client,
    endpoints: Endpoints,
    cache: HashMap<Service, Slot>,
    limits: Limits,
    hints: Option<Hints>,
}

/// Bounds on retries and bodies.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest Retry-After honoured; a longer one fails at once with a hint.
    pub max_retry_wait: Duration,
    /// Retries after a 429 or a 5xx.
    pub max_retries: u32,
    /// Largest response body read.
    pub max_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_retry_wait: Duration::from_secs(20),
            max_retries: 2,
            max_body_bytes: 8 * 1024 * 1024,
        }
    }
}

impl Broker {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        audit: Arc<AuditLog>,
        permissions: PathBuf,
        clock: Clock,
        source: Arc<dyn TokenSource>,
        approver: Arc<dyn Approver>,
        http: reqwest::Client,
        endpoints: Endpoints,
        limits: Limits,
    ) -> Broker {
        let cache = Service::ALL
            .into_iter()
            .map(|s| (s, Slot::default()))
            .collect();
        Broker {
            audit,
            permissions,
            clock,
            source,
            approver,
            http,
            endpoints,
            cache,
            limits,
            hints: None,
        }
    }

    /// Lets tools remember non-secret account facts between runs.
    pub fn with_hints(mut self, hints: Hints) -> Broker {
        self.hints = Some(hints);
        self
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// The provider base URLs (tools show them in write previews).
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Step 1, the gate: the permission check (and, for a write, approval
    /// when it does not need a preview: `--yes`, or no terminal), audited
    /// whatever the answer. Returns an error (exit 7) on denial. Writes go
    /// through [`Broker::write`], which asks with a preview.
    pub fn gate(&self, call: &CallInfo) -> Result<()> {
        if self.permit(call)? {
            self.approve(call, None)?;
        }
        Ok(())
    }

    /// The permission check, audited. Ok(true): allowed once approved.
    fn permit(&self, call: &CallInfo) -> Result<bool> {
        // The rule is read while the audit store's write lock is held, so a
        // concurrent `perms revoke` lands wholly before or after this decision
        // in the chain, never between the read and its event.
        let (_, verdict) = self.audit.append_with(|| {
            let verdict = perms::check(
                &self.permissions,
                call.service,
                &call.tool,
                call.access,
                self.clock.now_ms(),
            );
            let event = NewEvent::new(
                Action::PermissionCheck,
                if matches!(verdict, Verdict::Deny { .. }) {
                    Decision::Denied
                } else {
                    Decision::Granted
                },
            )
            .service(call.service.as_str())
            .tool(call.full_name())
            .reason(format!(
                "{} {}: {}",
                call.access,
                call.full_name(),
                verdict.reason()
            ));
            (event, verdict)
        })?;
        match verdict {
            Verdict::Allow { .. } => Ok(false),
            Verdict::Deny { .. } => Err(Error::from(&verdict)),
            Verdict::Ask { .. } => Ok(true),
        }
    }

    /// Asks for approval (with the preview when there is one; a write that
    /// needs a person's answer and has no preview is refused), audited.
    fn approve(&self, call: &CallInfo, preview: Option<&WritePreview>) -> Result<()> {
        let answer = match (self.approver.answer_without_preview(), preview) {
            (Some(a), _) => Ok(a),
            (None, Some(p)) => self.approver.approve(&ApprovalRequest {
                tool: call.full_name(),
                preview: p.clone(),
            }),
            (None, None) => Ok(Approval {
                approved: false,
                how: "refused: a write without a preview cannot be approved".into(),
            }),
        };
        let (decision, reason) = match &answer {
            Ok(a) if a.approved => (Decision::Granted, a.how.clone()),
            Ok(a) => (Decision::Denied, a.how.clone()),
            Err(e) => (Decision::Error, e.message.clone()),
        };
        self.audit.append(
            NewEvent::new(Action::Approval, decision)
                .service(call.service.as_str())
                .tool(call.full_name())
                .reason(reason.clone()),
        )?;
        match answer {
            Ok(a) if a.approved => Ok(()),
            Ok(_) => Err(Error::blocked(format!(
                "{} was not approved: {reason}",
                call.full_name()
            ))
            .with_hint(format!(
                "approve it at the prompt, pass --yes, or run `devcontext perms grant {} --for 1h`",
                call.full_name()
            ))),
            Err(e) => Err(e),
        }
    }

    /// One write: the permission check; a refusal that needs no preview
    /// (no terminal) stops here, before any exchange; then `plan` builds the
    /// exact request (it may read, e.g. to resolve a channel name to its id),
    /// the person approves the preview rendered from that request, and that
    /// very request is sent. Returns it with the provider's answer.
    pub async fn write<'b, P>(
        &'b self,
        call: &'b CallInfo,
        plan: P,
    ) -> Result<(WriteRequest, ApiResponse)>
    where
        P: AsyncFnOnce(&ApiClient<'b>) -> Result<WriteRequest>,
    {
        let ask = self.permit(call)?;
        let decided = ask && self.approver.answer_without_preview().is_some();
        if decided {
            self.approve(call, None)?;
        }
        let token = self.token(call, None).await?;
        let client = ApiClient {
            broker: self,
            call,
            base: self.endpoints.base(call.service).clone(),
            token: tokio::sync::Mutex::new(token),
        };
        let request = plan(&client).await?;
        if ask && !decided {
            let preview = WritePreview {
                tool: call.full_name(),
                fields: request
                    .fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
                target: request.target.clone(),
                method: request.method.to_string(),
                url: join(&client.base, &request.path)?.to_string(),
            };
            self.approve(call, Some(&preview))?;
        }
        let json;
        let body = match request.format {
            BodyFormat::Form => Body::Form(&request.fields),
            BodyFormat::Json => {
                json = Value::Object(
                    request
                        .fields
                        .iter()
                        .map(|(k, v)| (k.to_string(), Value::String(v.clone())))
                        .collect(),
                );
                Body::Json(&json)
            }
        };
        let response = client
            .send(
                request.method.clone(),
                &request.path,
                &[],
                body,
                request.errors,
            )
            .await?;
        Ok((request, response))
    }

    /// Step 2, the vault: a provider token, from the cache or one exchange.
    /// Concurrent callers for one service wait for the same exchange.
    async fn token(
        &self,
        call: &CallInfo,
        stale: Option<&Arc<ProviderToken>>,
    ) -> Result<Arc<ProviderToken>> {
        let slot = &self.cache[&call.service];
        let mut cached = slot.lock().await;
        if let Some(token) = cached.as_ref() {
            let replaced = stale.is_some_and(|s| !Arc::ptr_eq(s, token));
            if token.fresh() && (stale.is_none() || replaced) {
                return Ok(token.clone());
            }
        }
        *cached = None;
        let started = Instant::now();
        let result = self.source.exchange(call.service).await;
        let event = NewEvent::new(Action::TokenExchange, Decision::Granted)
            .service(call.service.as_str())
            .tool(call.full_name())
            .endpoint(self.source.endpoint())
            .duration(started.elapsed());
        match result {
            Ok(token) => {
                self.audit.append(
                    event
                        .http_status(200)
                        .reason(format!("connection {}", call.service.connection())),
                )?;
                let token = Arc::new(token);
                *cached = Some(token.clone());
                Ok(token)
            }
            Err(failure) => {
                let mut event = event;
                event.decision = Decision::Error;
                if failure.error.kind == ExitCode::NotConnected {
                    event.decision = Decision::Denied;
                }
                if let Some(s) = failure.http_status {
                    event = event.http_status(s);
                }
                let reason = match &failure.code {
                    Some(code) => format!("{code}: {}", failure.error.message),
                    None => failure.error.message.clone(),
                };
                self.audit.append(event.reason(reason))?;
                Err(failure.error)
            }
        }
    }

    /// Runs one tool call through every step. `work` does the provider calls
    /// through the [`ApiClient`] it is given.
    pub async fn run<'b, T, F, Fut>(&'b self, call: &'b CallInfo, work: F) -> Result<T>
    where
        F: FnOnce(ApiClient<'b>) -> Fut,
        Fut: Future<Output = Result<T>> + 'b,
    {
        self.gate(call)?;
        let token = self.token(call, None).await?;
        let client = ApiClient {
            broker: self,
            call,
            base: self.endpoints.base(call.service).clone(),
            token: tokio::sync::Mutex::new(token),
        };
        work(client).await
    }
}

/// A provider's HTTP answer after the broker's checks: 2xx with a JSON body.
#[derive(Debug)]
pub struct ApiResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

/// How a provider reads a non-success answer.
pub trait ProviderErrors: Sync {
    /// Maps a failed answer (or a 2xx that is really an error, like Slack's
    /// `ok: false`) to an error. Returns None when the answer is a success.
    fn interpret(&self, status: StatusCode, headers: &HeaderMap, body: &Value) -> Option<Error>;

    /// Whether a failed answer means the token was rejected, so the broker
    /// makes one fresh exchange and retries (HTTP 401; Slack also says so with
    /// HTTP 200 and `ok: false, error: invalid_auth`).
    fn is_unauthorized(&self, status: StatusCode, _body: &Value) -> bool {
        status == StatusCode::UNAUTHORIZED
    }
}

/// How a write's fields are encoded in its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Form,
}

/// A write request, planned before approval and sent exactly as planned:
/// the approval preview is rendered from these fields, and the body is built
/// from them (see [`Broker::write`]).
pub struct WriteRequest {
    /// Where the write lands, as the request names it: `#general (C0123)`, `acme/web#12`.
    pub target: String,
    pub method: Method,
    /// The path under the service's base URL.
    pub path: String,
    pub format: BodyFormat,
    /// Every body field, in order (all strings).
    pub fields: Vec<(&'static str, String)>,
    /// How the provider reports failure.
    pub errors: &'static dyn ProviderErrors,
}

impl std::fmt::Debug for WriteRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteRequest")
            .field("target", &self.target)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("format", &self.format)
            .field("fields", &self.fields)
            .finish()
    }
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
    token: tokio::sync::Mutex<Arc<ProviderToken>>,
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

    pub async fn get(
        &self,
        path: &str,
        query: &[(&str, String)],
        errors: &dyn ProviderErrors,
    ) -> Result<ApiResponse> {
        self.send(Method::GET, path, query, Body::None, errors)
            .await
    }

    /// Sends one request; audits every attempt with its status.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body<'_>,
        errors: &dyn ProviderErrors,
    ) -> Result<ApiResponse> {
        let url = join(&self.base, path)?;
        let endpoint = format!("{method} {}", url.path());
        let limits = &self.broker.limits;
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let token = self.token.lock().await.clone();
            let mut request = self
                .broker
                .http
                .request(method.clone(), url.clone())
                .query(query)
                .header(reqwest::header::AUTHORIZATION, token.bearer())
                .header(reqwest::header::ACCEPT, "application/json");
            if self.call.service == Service::Github {
                request = request
                    .header(reqwest::header::ACCEPT, "application/vnd.github+json")
                    .header("X-GitHub-Api-Version", "2022-11-28");
            }
            request = match &body {
                Body::None => request,
                Body::Json(v) => request.json(v),
                Body::Form(f) => request.form(f),
            };
            let started = Instant::now();
            let outcome = self.receive(request).await;
            let event = NewEvent::new(Action::ApiCall, Decision::Granted)
                .service(self.call.service.as_str())
                .tool(self.call.full_name())
                .endpoint(endpoint.clone())
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
            let failure = errors
                .interpret(status, &headers, &body)
                .map(Error::redacted);
            let Some(error) = failure else {
                self.broker.audit.append(event)?;
                return Ok(ApiResponse {
                    status,
                    headers,
                    body,
                });
            };
            self.broker
                .audit
                .append(event.failed(error.message.clone()))?;
            let unauthorized = errors.is_unauthorized(status, &body);
            // 401: the token may have been revoked or expired early: one fresh exchange.
            if unauthorized && !refreshed {
                refreshed = true;
                let fresh = self.broker.token(self.call, Some(&token)).await?;
                *self.token.lock().await = fresh;
                continue;
            }
            if unauthorized {
                return Err(error.with_hint(format!(
                    "{} rejected a fresh token; run `devcontext connect {}` to re-authorize",
                    self.call.service.display_name(),
                    self.call.service.connect_name()
                )));
            }
            let retryable = status == StatusCode::TOO_MANY_REQUESTS
                || status.is_server_error()
                || is_rate_limited(&headers);
            if !retryable || attempt > limits.max_retries {
                return Err(error);
            }
            let wait = retry_wait(&headers, attempt, chrono::Utc::now().timestamp());
            if wait > limits.max_retry_wait {
                return Err(Error::upstream(format!(
                    "{} is rate limiting; it asks to wait {} s",
                    self.call.service.display_name(),
                    wait.as_secs()
                ))
                .with_hint("try again later"));
            }
            tokio::time::sleep(wait).await;
        }
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

/// GitHub's secondary rate limits come as 403 with `x-ratelimit-remaining: 0` or a Retry-After.
fn is_rate_limited(headers: &HeaderMap) -> bool {
    headers
        .get("x-ratelimit-remaining")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "0")
        || headers.contains_key(reqwest::header::RETRY_AFTER)
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
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::approval::Policy;
    use crate::audit::{Filter, RunContext};
    use crate::perms::{Effect, PermissionStore, Subject};

    /// How long a token is reused: a minute less than Auth0 says, five
    /// minutes without `expires_in`, a day at most (even for u64::MAX).
    #[test]
    fn provider_tokens_are_reused_for_their_lifetime_less_a_minute_and_at_most_a_day() {
        let left = |lifetime: Option<u64>| {
            let t = ProviderToken::new("t".into(), lifetime.map(Duration::from_secs), vec![]);
            t.expires_at.saturating_duration_since(Instant::now())
        };
        let about = |d: Duration, secs: u64| {
            d <= Duration::from_secs(secs)
                && d + Duration::from_secs(5) >= Duration::from_secs(secs)
        };
        assert!(about(left(Some(3600)), 3540));
        assert!(about(left(None), 300));
        assert!(about(left(Some(u64::MAX)), 24 * 3600));
        assert!(about(left(Some(3 * 24 * 3600)), 24 * 3600));
        assert_eq!(left(Some(30)), Duration::ZERO, "under a minute: not reused");
        let fresh = |lifetime| ProviderToken::new("t".into(), Some(lifetime), vec![]).fresh();
        assert!(fresh(Duration::from_secs(3600)));
        assert!(!fresh(Duration::from_secs(60)));
    }

    #[test]
    fn a_provider_token_debug_prints_its_scopes_but_never_its_secret() {
        let secret = format!("{}-{}", "tok", "4f9a2c7e1b3d");
        let t = ProviderToken::new(secret.clone(), None, vec!["repo".into()]);
        let shown = format!("{t:?}");
        assert!(!shown.contains(&secret), "{shown}");
        assert!(
            shown.contains("[redacted]") && shown.contains("repo"),
            "{shown}"
        );
        assert_eq!(t.bearer(), format!("Bearer {secret}"));
    }

    /// Counts exchanges; answers after a short delay so concurrent callers overlap.
    struct CountingSource(AtomicUsize);

    impl TokenSource for CountingSource {
        fn exchange(
            &self,
            _service: Service,
        ) -> BoxFuture<'_, std::result::Result<ProviderToken, ExchangeFailure>> {
            Box::pin(async move {
                self.0.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(ProviderToken::new(
                    "t".into(),
                    Some(Duration::from_secs(3600)),
                    vec![],
                ))
            })
        }
        fn endpoint(&self) -> String {
            "POST /oauth/token".into()
        }
    }

    fn broker(dir: &std::path::Path, policy: Policy) -> (Broker, Arc<CountingSource>) {
        let audit =
            Arc::new(AuditLog::open(&dir.join("audit.db"), RunContext::new("test")).unwrap());
        let source = Arc::new(CountingSource(AtomicUsize::new(0)));
        let url = Url::parse("http://127.0.0.1:9").unwrap();
        let b = Broker::new(
            audit,
            dir.join("permissions.db"),
            Clock::System,
            source.clone(),
            Arc::new(policy),
            net::client(Duration::from_secs(5), false).unwrap(),
            Endpoints {
                github: url.clone(),
                calendar: url.clone(),
                slack: url,
            },
            Limits::default(),
        );
        (b, source)
    }

    fn call(service: Service, tool: &str, access: Access) -> CallInfo {
        CallInfo {
            service,
            tool: tool.into(),
            access,
        }
    }

    fn events(b: &Broker) -> Vec<crate::audit::Event> {
        let mut out = vec![];
        b.audit()
            .query(&Filter::default(), |e| {
                out.push(e);
                Ok(())
            })
            .unwrap();
        out
    }

    #[tokio::test]
    async fn revoked_service_is_denied_before_any_exchange_and_audited() {
        let dir = tempfile::tempdir().unwrap();
        let (b, source) = broker(dir.path(), Policy::NoTerminal);
        let mut store = PermissionStore::open(&dir.path().join("permissions.db")).unwrap();
        store
            .set(
                &Subject::service(Service::Slack),
                Access::Read,
                Effect::Deny,
                None,
                0,
            )
            .unwrap();
        let c = call(Service::Slack, "unread", Access::Read);
        let err = b.run(&c, |_api| async { Ok(()) }).await.unwrap_err();
        assert_eq!(err.exit_code(), 7);
        assert_eq!(
            source.0.load(Ordering::SeqCst),
            0,
            "no exchange for a revoked service"
        );
        let e = &events(&b)[0];
        assert_eq!(
            (e.action.as_str(), e.decision.as_str()),
            ("permission_check", "denied")
        );
    }

    #[tokio::test]
    async fn writes_without_a_terminal_are_refused_and_audited() {
        let dir = tempfile::tempdir().unwrap();
        let (b, source) = broker(dir.path(), Policy::NoTerminal);
        let c = call(Service::Slack, "post_message", Access::Write);
        let err = b.run(&c, |_api| async { Ok(()) }).await.unwrap_err();
        assert_eq!(err.exit_code(), 7);
        assert_eq!(source.0.load(Ordering::SeqCst), 0);
        let e = &events(&b)[0];
        assert_eq!(
            (e.action.as_str(), e.decision.as_str()),
            ("approval", "denied")
        );
        let (b, _) = broker(dir.path(), Policy::AssumeYes);
        b.run(&c, |_api| async { Ok(()) }).await.unwrap();
    }

    #[tokio::test]
    async fn parallel_calls_share_one_exchange_per_service() {
        let dir = tempfile::tempdir().unwrap();
        let (b, source) = broker(dir.path(), Policy::NoTerminal);
        let calls: Vec<_> = (0..8)
            .map(|i| {
                call(
                    Service::Github,
                    if i % 2 == 0 {
                        "review_requests"
                    } else {
                        "assigned"
                    },
                    Access::Read,
                )
            })
            .collect();
        let runs = calls.iter().map(|c| b.run(c, |_api| async { Ok(()) }));
        for r in futures::future::join_all(runs).await {
            r.unwrap();
        }
        assert_eq!(source.0.load(Ordering::SeqCst), 1);
        let exchanges = events(&b)
            .into_iter()
            .filter(|e| e.action == "token_exchange")
            .count();
        assert_eq!(exchanges, 1);
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

    /// Fuzz regression (auth0_responses): a Token Vault answer with
    /// `"expires_in": 18446744073709551615` overflowed `Instant + Duration`.
    #[test]
    fn any_token_lifetime_is_accepted() {
        let t = ProviderToken::new("x".into(), Some(Duration::from_secs(u64::MAX)), vec![]);
        assert!(t.fresh());
        let t = ProviderToken::new("x".into(), Some(Duration::MAX), vec![]);
        assert!(t.fresh());
        let t = ProviderToken::new("x".into(), Some(Duration::from_secs(30)), vec![]);
        assert!(!t.fresh());
    }
}
