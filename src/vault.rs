//! The Token Vault exchange (RFC 8693, Auth0's federated-connection grant):
//! the user's Auth0 session in, a short-lived provider token out.
//!
//! Browser logins (Design A) send the web app's refresh token as the subject
//! with the web app's credentials. Device logins (Design B) first refresh the
//! native app's access token for the devcontext API, then send that access
//! token with the Custom API Client's credentials. Caching (one exchange per
//! service per process) and auditing are the broker's.

use std::time::Duration;

use crate::app::App;
use crate::auth::credentials::Secret;
use crate::auth::oauth::{Auth0, OAuthError, TokenFailure, TokenResponse, split_scopes};
use crate::auth::{Active, LoginMethod, timeout};
use crate::broker::{BoxFuture, ExchangeFailure, ProviderToken, TokenSource};
use crate::error::{Error, ExitCode, Result};
use crate::service::Service;

pub const GRANT: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";
pub const REQUESTED_TOKEN_TYPE: &str =
    "http://auth0.com/oauth/token-type/federated-connection-access-token";
pub const SUBJECT_REFRESH: &str = "urn:ietf:params:oauth:token-type:refresh_token";
pub const SUBJECT_ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";

/// How long a Retry-After from Auth0 may ask us to wait before we give up.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(20);
const MAX_RETRIES: u32 = 2;

pub struct Vault {
    /// None when nobody is logged in: every exchange then says "run login".
    session: std::result::Result<Active, Error>,
    /// Design B: the Custom API Client that performs the exchange.
    api_client: Option<Auth0>,
    audience: Option<String>,
    login_hints: std::collections::HashMap<Service, String>,
}

impl Vault {
    pub fn new(app: &App) -> Result<Vault> {
        let session = Active::load(app);
        let mut api_client = None;
        if let Ok(active) = &session
            && active.session.method == LoginMethod::Device
        {
            let a = &app.settings.auth0;
            let (Some(id), Some(secret)) = (&a.api_client_id, &a.api_client_secret) else {
                return Err(Error::usage("device logins exchange tokens with a Custom API Client, and none is configured")
                        .with_hint("set DEVCONTEXT_AUTH0_API_CLIENT_ID and DEVCONTEXT_AUTH0_API_CLIENT_SECRET, or log in with the browser"));
            };
            api_client = Some(Auth0::new(
                active.client.base.clone(),
                active.session.endpoints.clone(),
                id.clone(),
                Some(Secret::new(secret.clone())),
                timeout(app),
            )?);
        }
        let login_hints = Service::ALL
            .into_iter()
            .filter_map(|s| {
                app.env
                    .get(&format!(
                        "DEVCONTEXT_{}_LOGIN_HINT",
                        s.as_str().to_ascii_uppercase()
                    ))
                    .map(|h| (s, h))
            })
            .collect();
        Ok(Vault {
            session,
            api_client,
            audience: app.settings.auth0.audience.clone(),
            login_hints,
        })
    }

    async fn exchange_once(
        &self,
        service: Service,
    ) -> std::result::Result<ProviderToken, ExchangeFailure> {
        let active = self.session.as_ref().map_err(|e| fail(e.clone()))?;
        let (client, subject, subject_type) = match active.session.method {
            LoginMethod::Browser => (
                &active.client,
                active.refresh_token().map_err(fail)?,
                SUBJECT_REFRESH,
            ),
            LoginMethod::Device => {
                let tokens = active
                    .refresh(self.audience.as_deref(), None)
                    .await
                    .map_err(fail)?;
                (
                    self.api_client.as_ref().expect("checked in new"),
                    tokens.access_token,
                    SUBJECT_ACCESS,
                )
            }
        };
        let mut form = vec![
            ("grant_type", GRANT.to_string()),
            ("subject_token", subject.expose().to_string()),
            ("subject_token_type", subject_type.to_string()),
            ("requested_token_type", REQUESTED_TOKEN_TYPE.to_string()),
            ("connection", service.connection().to_string()),
        ];
        if let Some(hint) = self.login_hints.get(&service) {
            form.push(("login_hint", hint.clone()));
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            match client.token(form.clone()).await {
                Ok(t) => return Ok(provider_token(t)),
                Err(TokenFailure::Other(e)) => return Err(fail(e)),
                Err(TokenFailure::OAuth(e)) => {
                    let wait = Duration::from_secs(e.retry_after.unwrap_or(1));
                    if e.status == 429 && attempt <= MAX_RETRIES && wait <= MAX_RETRY_WAIT {
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(ExchangeFailure {
                        error: exchange_error(service, &e),
                        code: Some(e.error.clone()),
                        http_status: Some(e.status),
                    });
                }
            }
        }
    }
}

/// The provider token in a successful exchange answer (lifetime and scopes as
/// Auth0 reports them). Outside input: never panics.
pub fn provider_token(t: TokenResponse) -> ProviderToken {
    ProviderToken::new(
        t.access_token.expose().to_string(),
        t.expires_in.map(Duration::from_secs),
        split_scopes(t.scope.as_deref()),
    )
}

fn fail(error: Error) -> ExchangeFailure {
    ExchangeFailure {
        error,
        code: None,
        http_status: None,
    }
}

impl TokenSource for Vault {
    fn exchange(
        &self,
        service: Service,
    ) -> BoxFuture<'_, std::result::Result<ProviderToken, ExchangeFailure>> {
        Box::pin(self.exchange_once(service))
    }

    fn endpoint(&self) -> String {
        let path = self
            .session
            .as_ref()
            .ok()
            .and_then(|a| url::Url::parse(&a.session.endpoints.token_endpoint).ok())
            .map(|u| u.path().to_string())
            .unwrap_or_else(|| "/oauth/token".into());
        format!("POST {path}")
    }
}

/// Maps Token Vault's errors (protocol doc 3.6) to what the user should do.
pub fn exchange_error(service: Service, e: &OAuthError) -> Error {
    let name = service.display_name();
    let connect = format!("run `devcontext connect {}`", service.connect_name());
    match e.error.as_str() {
        "federated_connection_refresh_token_not_found" => Error::new(
            ExitCode::NotConnected,
            format!("{name} is not connected for this account ({})", e.summary()),
        )
        .with_hint(format!("{connect}; if it persists right after connecting, check the provider setup (GitHub App with expiring tokens, Slack token rotation, Google offline access)")),
        "federated_connection_refresh_token_flow_failed" => Error::new(
            ExitCode::NotConnected,
            format!("{name} access was revoked or expired at {name} ({})", e.summary()),
        )
        .with_hint(format!("{connect} to re-authorize")),
        "invalid_grant" | "expired_token" => {
            Error::login_required(format!("your devcontext session has expired ({})", e.summary()))
        }
        // Bad configuration, like the refresh grant's answer (auth::session_error): exit 2.
        "access_denied" | "invalid_client" if e.status == 401 => Error::usage(format!(
            "Auth0 rejected devcontext's client credentials ({})",
            e.summary()
        ))
        .with_hint("check the client id and secret in your config (DEVCONTEXT_AUTH0_CLIENT_ID / _CLIENT_SECRET)"),
        "unmet_authentication_requirements" => {
            Error::login_required(format!("Auth0 requires a fresh sign-in ({})", e.summary()))
        }
        "unauthorized_client" => Error::upstream(format!("Auth0 does not allow this application to use Token Vault ({})", e.summary()))
            .with_hint("in the Auth0 dashboard enable the Token Vault grant for the application (Advanced Settings > Grant Types) and turn refresh-token rotation off"),
        "mfa_required" => Error::upstream(format!("Auth0 requires MFA on every token request ({})", e.summary()))
            .with_hint("set the tenant's MFA policy to Never (or Actions-based MFA); Token Vault cannot answer MFA"),
        "too_many_requests" => Error::upstream(format!("Auth0 is rate limiting Token Vault ({})", e.summary()))
            .with_hint("wait a minute and retry"),
        "invalid_request" => Error::general(format!("Auth0 rejected the exchange request ({})", e.summary()))
            .with_hint("this is a devcontext bug; please report it with `devcontext audit --action token_exchange --json`"),
        "access_denied" => Error::upstream(format!("Auth0 denied the Token Vault exchange for {name} ({})", e.summary()))
            .with_hint("an Auth0 Action or tenant policy refused it: check the tenant's logs (failed exchanges are `feta` events)"),
        _ if e.status >= 500 => Error::upstream(format!("Auth0 had a server error during the Token Vault exchange for {name} ({})", e.summary()))
            .with_hint("Auth0 may be having trouble (https://status.auth0.com); try again later"),
        _ => Error::upstream(format!("Token Vault refused the exchange for {name} ({})", e.summary()))
            .with_hint("check the tenant's logs in the Auth0 dashboard (failed exchanges are `feta` events)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: &str, status: u16) -> OAuthError {
        OAuthError {
            status,
            error: code.into(),
            description: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn errors_map_to_exit_codes_and_hints() {
        let e = exchange_error(
            Service::Slack,
            &err("federated_connection_refresh_token_not_found", 401),
        );
        assert_eq!(e.exit_code(), 4);
        assert!(e.hint.unwrap().contains("devcontext connect slack"));
        let e = exchange_error(
            Service::Calendar,
            &err("federated_connection_refresh_token_flow_failed", 401),
        );
        assert_eq!(e.exit_code(), 4);
        assert!(e.hint.unwrap().contains("connect google"));
        assert_eq!(
            exchange_error(Service::Github, &err("invalid_grant", 401)).exit_code(),
            3
        );
        let e = exchange_error(Service::Github, &err("unauthorized_client", 403));
        assert!(e.hint.unwrap().contains("Token Vault grant"));
    }

    /// Every mapping arm, with the status guards on both sides: the exit
    /// code, what the message says and what the hint tells the user to do.
    #[test]
    fn every_token_vault_error_maps_to_its_own_exit_code_message_and_hint() {
        let cases: &[(&str, u16, i32, &str, &str)] = &[
            (
                "federated_connection_refresh_token_not_found",
                401,
                4,
                "is not connected",
                "devcontext connect github",
            ),
            (
                "federated_connection_refresh_token_flow_failed",
                401,
                4,
                "revoked or expired",
                "to re-authorize",
            ),
            (
                "invalid_grant",
                400,
                3,
                "session has expired",
                "devcontext login",
            ),
            (
                "expired_token",
                400,
                3,
                "session has expired",
                "devcontext login",
            ),
            (
                "access_denied",
                401,
                2,
                "client credentials",
                "CLIENT_SECRET",
            ),
            (
                "invalid_client",
                401,
                2,
                "client credentials",
                "CLIENT_SECRET",
            ),
            ("invalid_client", 400, 5, "Token Vault refused", "feta"),
            (
                "unmet_authentication_requirements",
                401,
                3,
                "fresh sign-in",
                "devcontext login",
            ),
            (
                "unauthorized_client",
                403,
                5,
                "does not allow this application",
                "Token Vault grant",
            ),
            ("mfa_required", 403, 5, "requires MFA", "MFA policy"),
            (
                "too_many_requests",
                429,
                5,
                "rate limiting",
                "wait a minute",
            ),
            (
                "invalid_request",
                400,
                1,
                "rejected the exchange request",
                "devcontext bug",
            ),
            (
                "access_denied",
                403,
                5,
                "denied the Token Vault exchange",
                "Auth0 Action",
            ),
            ("server_error", 500, 5, "server error", "status.auth0.com"),
            (
                "temporarily_unavailable",
                503,
                5,
                "server error",
                "status.auth0.com",
            ),
            ("something_new", 499, 5, "Token Vault refused", "feta"),
        ];
        for &(code, status, exit, message, hint) in cases {
            let e = exchange_error(Service::Github, &err(code, status));
            let what = format!("{code} {status}: {} / {:?}", e.message, e.hint);
            assert_eq!(e.exit_code(), exit, "{what}");
            assert!(e.message.contains(message), "{what}");
            assert!(e.message.contains(code), "the code is named: {what}");
            assert!(e.hint.as_deref().unwrap_or("").contains(hint), "{what}");
        }
    }
}
