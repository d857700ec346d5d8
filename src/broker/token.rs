//! Step 2, the vault: where a provider token is obtained. The user's Auth0
//! session is exchanged for a provider token through a [`TokenSource`]
//! (Token Vault in production), each exchange audited; the token is kept in
//! memory only, one cache slot per service, so parallel calls for a service
//! wait for the same exchange and a token is never written anywhere.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{BoxFuture, Broker, CallInfo};
use crate::audit::{Action, Decision, NewEvent};
use crate::error::{Error, ExitCode, Result};
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

    /// The `Authorization` header value; only the API client reads it.
    pub(super) fn bearer(&self) -> String {
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

type Slot = tokio::sync::Mutex<Option<Arc<ProviderToken>>>;

/// The memory-only token cache: one slot per service, each an async mutex.
pub(super) struct TokenCache(HashMap<Service, Slot>);

impl TokenCache {
    pub(super) fn new() -> TokenCache {
        TokenCache(
            Service::ALL
                .into_iter()
                .map(|s| (s, Slot::default()))
                .collect(),
        )
    }
}

impl Broker {
    /// Step 2, the vault: a provider token, from the cache or one exchange.
    /// Concurrent callers for one service wait for the same exchange.
    pub(super) async fn token(
        &self,
        call: &CallInfo,
        stale: Option<&Arc<ProviderToken>>,
    ) -> Result<Arc<ProviderToken>> {
        let slot = &self.cache.0[&call.service];
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
                self.audit.append(exchange_failed(event, &failure))?;
                Err(failure.error)
            }
        }
    }
}

/// The audit event of a failed exchange: an error, except that a service the
/// person has not connected is a denial (the same decision as a revoked
/// permission), not a failure.
fn exchange_failed(event: NewEvent, failure: &ExchangeFailure) -> NewEvent {
    let event = match failure.http_status {
        Some(s) => event.http_status(s),
        None => event,
    };
    let reason = match &failure.code {
        Some(code) => format!("{code}: {}", failure.error.message),
        None => failure.error.message.clone(),
    };
    if failure.error.kind == ExitCode::NotConnected {
        NewEvent {
            decision: Decision::Denied,
            ..event
        }
        .reason(reason)
    } else {
        event.failed(reason)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::approval::Policy;
    use crate::broker::tests::{broker, call, events};
    use crate::perms::Access;

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

    /// The exchange's audit event: an error with Auth0's code and status, but
    /// a denial when the service is not connected.
    #[test]
    fn a_failed_exchange_is_an_error_and_a_service_not_connected_a_denial() {
        let failed = |kind, code: Option<&str>, http_status| {
            let event = NewEvent::new(Action::TokenExchange, Decision::Granted);
            let failure = ExchangeFailure {
                error: Error::new(kind, "what happened"),
                code: code.map(str::to_string),
                http_status,
            };
            let e = exchange_failed(event, &failure);
            (e.decision, e.http_status, e.reason)
        };
        assert_eq!(
            failed(
                ExitCode::NotConnected,
                Some("federated_connection_refresh_token_not_found"),
                Some(401)
            ),
            (
                Decision::Denied,
                Some(401),
                Some("federated_connection_refresh_token_not_found: what happened".into())
            )
        );
        assert_eq!(
            failed(ExitCode::Network, None, None),
            (Decision::Error, None, Some("what happened".into()))
        );
        assert_eq!(
            failed(ExitCode::LoginRequired, Some("invalid_grant"), Some(403)).0,
            Decision::Error
        );
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
