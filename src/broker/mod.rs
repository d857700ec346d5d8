//! The broker: the only door to third-party data. Every provider call passes
//! gate (permission check) -> approval (writes) -> vault (Token Vault exchange,
//! memory-only cache) -> call (provider API), and each step is audited,
//! denials and failures exactly like successes.
//!
//! Providers never see the Auth0 session or even the provider token: they get
//! an [`ApiClient`] that attaches the token and audits each request.
//!
//! - `gate.rs`: step 1, the permission check and the approval of writes
//!   ([`Broker::run`], [`Broker::write`]);
//! - `token.rs`: step 2, the provider token: the exchange and its cache;
//! - `client.rs`: step 3, the provider call: requests, audit, refresh, retries;
//! - `hooks.rs`: what each provider does differently on the wire.

mod client;
mod gate;
mod hooks;
mod token;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

pub use client::{ApiClient, ApiResponse, Body, read_body, retry_wait};
pub use gate::{BodyFormat, WriteRequest};
pub use hooks::{HooksFor, ProviderHooks};
pub use token::{ExchangeFailure, ProviderToken, TokenSource};

use crate::approval::Approver;
use crate::audit::AuditLog;
use crate::clock::Clock;
use crate::hints::Hints;
use crate::perms::Access;
use crate::service::Service;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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

/// Everything a [`Broker`] is built from (`session::open_broker` fills it
/// for a command).
pub struct BrokerSettings {
    /// Where every step is recorded.
    pub audit: Arc<AuditLog>,
    /// The permission store's file.
    pub permissions: PathBuf,
    /// "Now" for permission decisions (`DEVCONTEXT_NOW`).
    pub clock: Clock,
    /// Exchanges the session for provider tokens (Token Vault).
    pub source: Arc<dyn TokenSource>,
    /// Answers for writes that need approval.
    pub approver: Arc<dyn Approver>,
    pub http: reqwest::Client,
    pub endpoints: Endpoints,
    /// Each service's wire conventions (`crate::providers::hooks`).
    pub hooks: HooksFor,
    pub limits: Limits,
    /// Non-secret account facts tools remember between runs, if any.
    pub hints: Option<Hints>,
}

pub struct Broker {
    audit: Arc<AuditLog>,
    permissions: PathBuf,
    clock: Clock,
    source: Arc<dyn TokenSource>,
    approver: Arc<dyn Approver>,
    http: reqwest::Client,
    endpoints: Endpoints,
    hooks: HooksFor,
    cache: token::TokenCache,
    limits: Limits,
    hints: Option<Hints>,
}

impl Broker {
    pub fn new(settings: BrokerSettings) -> Broker {
        let BrokerSettings {
            audit,
            permissions,
            clock,
            source,
            approver,
            http,
            endpoints,
            hooks,
            limits,
            hints,
        } = settings;
        Broker {
            audit,
            permissions,
            clock,
            source,
            approver,
            http,
            endpoints,
            hooks,
            cache: token::TokenCache::new(),
            limits,
            hints,
        }
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// The provider base URLs (tools show them in write previews).
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }
}

/// What the unit tests of the broker's steps share: a broker over a counting
/// token source, calls, and the audit's events.
#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;
    use serde_json::Value;

    use super::*;
    use crate::approval::Policy;
    use crate::audit::{Filter, RunContext};
    use crate::error::Error;
    use crate::net;

    /// Counts exchanges; answers after a short delay so concurrent callers overlap.
    pub struct CountingSource(pub AtomicUsize);

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

    /// Hooks for tests that never reach a provider.
    struct PlainHooks;

    impl ProviderHooks for PlainHooks {
        fn interpret(&self, status: StatusCode, _: &HeaderMap, _: &Value) -> Option<Error> {
            (!status.is_success()).then(|| Error::upstream(format!("HTTP {status}")))
        }
    }

    pub fn broker(dir: &std::path::Path, policy: Policy) -> (Broker, Arc<CountingSource>) {
        broker_with(dir, policy, |_| &PlainHooks)
    }

    pub fn broker_with(
        dir: &std::path::Path,
        policy: Policy,
        hooks: HooksFor,
    ) -> (Broker, Arc<CountingSource>) {
        let audit =
            Arc::new(AuditLog::open(&dir.join("audit.db"), RunContext::new("test")).unwrap());
        let source = Arc::new(CountingSource(AtomicUsize::new(0)));
        let url = Url::parse("http://127.0.0.1:9").unwrap();
        let b = Broker::new(BrokerSettings {
            audit,
            permissions: dir.join("permissions.db"),
            clock: Clock::System,
            source: source.clone(),
            approver: Arc::new(policy),
            http: net::client(Duration::from_secs(5), false).unwrap(),
            endpoints: Endpoints {
                github: url.clone(),
                calendar: url.clone(),
                slack: url,
            },
            hooks,
            limits: Limits::default(),
            hints: None,
        });
        (b, source)
    }

    pub fn call(service: Service, tool: &str, access: Access) -> CallInfo {
        CallInfo {
            service,
            tool: tool.into(),
            access,
        }
    }

    pub fn events(b: &Broker) -> Vec<crate::audit::Event> {
        let mut out = vec![];
        b.audit()
            .query(&Filter::default(), |e| {
                out.push(e);
                Ok(())
            })
            .unwrap();
        out
    }
}
