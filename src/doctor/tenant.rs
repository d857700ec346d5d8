//! The checks of the tenant and the session: discovery (the issuer), the
//! refresh token (rotation off) and the My Account API token (MRRT with the
//! Connected Accounts scopes), with Auth0's errors mapped to the setting
//! behind them (auth0-protocol.md §3.6, §4.1).

use url::Url;

use super::{Checks, fixes};
use crate::app::App;
use crate::auth::connect::{missing_my_account_scopes, my_account_audience};
use crate::auth::credentials::Secret;
use crate::auth::oauth::{Auth0, OAuthError, TokenFailure};
use crate::auth::{Active, LoginMethod, MY_ACCOUNT_SCOPES, Session};
use crate::error::Result;
use crate::service::Service;

/// The tenant's discovery document: reachable, and its issuer is the domain.
pub(super) async fn discovery(app: &App, base: Option<&Url>, c: &mut Checks) {
    if let Some(base) = base {
        match Auth0::discover(base, crate::auth::timeout(app)).await {
            Ok(e) if e.issuer == base.as_str() => {
                c.pass("discovery", format!("reachable; issuer {}", e.issuer))
            }
            Ok(e) => c.fail(
                "discovery",
                format!("the issuer is {}, not {base}", e.issuer),
                format!(
                    "set DEVCONTEXT_AUTH0_DOMAIN to the domain the issuer names ({}); tokens are only valid for it",
                    e.issuer
                ),
            ),
            Err(e) => c.fail(
                "discovery",
                e.message,
                e.hint
                    .unwrap_or_else(|| "check DEVCONTEXT_AUTH0_DOMAIN and the network".into()),
            ),
        }
    } else {
        c.skip("discovery", "an Auth0 domain");
    }
}

/// Without an active session: the session check fails or is skipped, and
/// every check that needs a login is skipped.
pub(super) fn no_session(session: &Result<Option<Session>>, c: &mut Checks) {
    if matches!(session, Ok(None)) {
        c.fail("session", "you are not logged in", "run `devcontext login`");
    } else {
        c.skip("session", "a readable session");
    }
    for id in
        ["my_account"]
            .into_iter()
            .map(String::from)
            .chain(Service::ALL.iter().flat_map(|s| {
                ["connection", "account", "scopes", "exchange"].map(|k| format!("{s}.{k}"))
            }))
    {
        c.skip(&id, "a login (`devcontext login`)");
    }
}

/// The refresh token works, and rotation is off (a browser login's
/// application must not rotate). Returns whether rotation is on.
pub(super) async fn session(active: &Active, c: &mut Checks) -> bool {
    let client_id = active.session.client_id.clone();
    let before = active.refresh_token().ok();
    let mut rotation_on = false;
    match active.refresh_raw(None, None).await {
        Ok(Ok(tokens)) => {
            let rotated =
                matches!((&tokens.refresh_token, &before), (Some(new), Some(old)) if new != old);
            match (rotated, active.session.method) {
                (false, _) => c.pass("session", "the refresh token works; rotation is off"),
                (true, LoginMethod::Device) => c.pass(
                    "session",
                    "the refresh token works; the native application rotates refresh tokens (fine for device logins; give it a Reuse Interval)",
                ),
                (true, LoginMethod::Browser) => {
                    rotation_on = true;
                    c.fail(
                    "session",
                    "refresh-token rotation is on: Auth0 sent a new refresh token, and Token Vault refuses rotating refresh tokens",
                    fixes::rotation(&client_id),
                    )
                }
            }
        }
        Ok(Err(TokenFailure::OAuth(e))) => {
            let err = crate::auth::session_error(&e);
            c.fail(
                "session",
                err.message,
                err.hint.unwrap_or_else(|| "run `devcontext login`".into()),
            );
        }
        Ok(Err(TokenFailure::Other(e))) | Err(e) => {
            c.fail("session", e.message, e.hint.unwrap_or_default())
        }
    }
    rotation_on
}

/// The My Account API token (MRRT) with the Connected Accounts scopes, when
/// Auth0 gives one.
pub(super) async fn my_account(active: &Active, c: &mut Checks) -> Option<Secret> {
    let client_id = active.session.client_id.clone();
    let audience = my_account_audience(active);
    match active
        .refresh_raw(Some(&audience), Some(MY_ACCOUNT_SCOPES))
        .await
    {
        Ok(Ok(tokens)) => {
            let missing = missing_my_account_scopes(tokens.scope.as_deref());
            if missing.len() == 3 {
                c.fail(
                    "my_account",
                    format!("Auth0 answered with a token for the login audience, not {audience}: the application has no refresh-token policy (MRRT) for the My Account API"),
                    fixes::mrrt(&client_id, &audience),
                );
                None
            } else if !missing.is_empty() {
                c.fail(
                    "my_account",
                    format!("the My Account API token lacks {}", missing.join(" ")),
                    format!(
                        "{} and {}",
                        fixes::user_grant(&client_id),
                        fixes::mrrt(&client_id, &audience)
                    ),
                );
                None
            } else {
                c.pass(
                    "my_account",
                    format!("MRRT token for {audience} with the Connected Accounts scopes"),
                );
                Some(tokens.access_token)
            }
        }
        Ok(Err(TokenFailure::OAuth(e))) => {
            let (detail, fix) = my_account_error(&e, &client_id, &audience);
            c.fail("my_account", detail, fix);
            None
        }
        Ok(Err(TokenFailure::Other(e))) | Err(e) => {
            c.fail("my_account", e.message, e.hint.unwrap_or_default());
            None
        }
    }
}

/// The setting behind Auth0's answer to the My Account API (MRRT) refresh.
fn my_account_error(e: &OAuthError, client_id: &str, audience: &str) -> (String, String) {
    let d = e.description.to_ascii_lowercase();
    let summary = e.summary();
    match e.error.as_str() {
        "consent_required" => (
            format!("Auth0 requires user consent for the My Account API ({summary})"),
            fixes::CONSENT.to_string(),
        ),
        "access_denied" if d.contains("service not found") => (
            format!("the My Account API is not activated ({summary})"),
            fixes::MY_ACCOUNT_ACTIVATE.to_string(),
        ),
        "access_denied" if d.contains("grant") => (
            format!("the application has no user-access grant to the My Account API ({summary})"),
            fixes::user_grant(client_id),
        ),
        "access_denied" if d.contains("polic") => (
            format!("the application's refresh-token policy does not cover {audience} ({summary})"),
            fixes::mrrt(client_id, audience),
        ),
        _ => {
            let err = crate::auth::session_error(e);
            (
                err.message,
                err.hint
                    .unwrap_or_else(|| "check the tenant's logs in the Auth0 dashboard".into()),
            )
        }
    }
}
