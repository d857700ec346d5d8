//! What differs between provider APIs on the wire: extra request headers,
//! rate-limit signals and how a failure is read. Each provider implements
//! [`ProviderHooks`] once; the broker binds them per service (its settings
//! map a service to its hooks), and every [`ApiClient`](super::ApiClient)
//! uses the hooks of its call's service, so a provider never passes them.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::error::Error;
use crate::service::Service;

/// One provider's wire conventions, as the shared API client needs them.
pub trait ProviderHooks: Sync {
    /// Headers sent on every request to this provider, after the shared
    /// `Authorization` and `Accept: application/json`.
    fn headers(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// Whether a failed answer's headers say the provider is rate limiting,
    /// so the client retries it as it retries a 429 or a 5xx. Any provider
    /// may send a `Retry-After`.
    fn rate_limited(&self, headers: &HeaderMap) -> bool {
        headers.contains_key(reqwest::header::RETRY_AFTER)
    }

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

/// Which hooks serve a service: `crate::providers::hooks` in production.
/// A plain function, so the broker never imports the providers above it.
pub type HooksFor = fn(Service) -> &'static dyn ProviderHooks;
