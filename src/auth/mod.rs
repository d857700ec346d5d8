//! The Auth0 session: who is logged in to which tenant, with which
//! application, and where the refresh token is kept. Login flows live in
//! `login`, Connected Accounts in `connect`; the Token Vault exchange that
//! spends this session is in `crate::vault`.
//!
//! `state/session.json` holds only non-secret facts; the refresh token and
//! client secret live in the credential store.

pub mod callback;
pub mod connect;
pub mod credentials;
pub mod login;
pub mod management;
pub mod oauth;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::app::App;
use crate::error::{Error, Result};
use crate::net;
use credentials::{CredentialStore, Secret, StoreKind};
use oauth::{Auth0, Endpoints, TokenFailure};

pub const REFRESH_TOKEN: &str = "refresh_token";
pub const CLIENT_SECRET: &str = "client_secret";

/// The My Account API scopes Connected Accounts needs.
pub const MY_ACCOUNT_SCOPES: &str =
    "create:me:connected_accounts read:me:connected_accounts delete:me:connected_accounts";

/// How the user logged in, which decides how Token Vault is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoginMethod {
    /// Design A: Authorization Code + PKCE with the confidential web app;
    /// its refresh token is the Token Vault subject.
    Browser,
    /// Design B: device flow with the native app; its access token is the
    /// subject, exchanged with the Custom API Client's credentials.
    Device,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    pub sub: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// The non-secret facts of a login (state/session.json).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub tenant: String,
    pub client_id: String,
    pub method: LoginMethod,
    pub store: StoreKind,
    pub endpoints: Endpoints,
    pub user: Option<User>,
    pub logged_in_at: String,
}

impl Session {
    pub fn load(app: &App) -> Result<Option<Session>> {
        let path = app.paths.session_file();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::general(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            Error::login_required(format!(
                "the session file {} is damaged ({e})",
                path.display()
            ))
        })
    }

    pub fn save(&self, app: &App) -> Result<()> {
        let path = app.paths.session_file();
        crate::db::create_private_dir(&app.paths.state_dir)?;
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::general(format!("cannot encode the session: {e}")))?;
        crate::files::write_atomic(&path, text.as_bytes()).map_err(|e| {
            Error::general(format!("cannot write {}: {e}", path.display()))
                .with_hint("check that the state folder is writable and the disk has space")
        })
    }

    pub fn remove(app: &App) -> Result<()> {
        match std::fs::remove_file(app.paths.session_file()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Keyring entries are namespaced by tenant and client.
    pub fn account_prefix(tenant: &str, client_id: &str) -> String {
        format!("{}|{client_id}", tenant.trim_end_matches('/'))
    }

    pub fn credentials(&self, app: &App) -> CredentialStore {
        CredentialStore::reopen(
            self.store,
            &app.paths.credentials_dir,
            &Session::account_prefix(&self.tenant, &self.client_id),
        )
    }
}

/// The configured tenant, checked: base URL and the web app's client id.
pub fn tenant(app: &App) -> Result<(Url, String)> {
    let a = &app.settings.auth0;
    let (Some(domain), Some(client_id)) = (a.domain.as_deref(), a.client_id.as_deref()) else {
        return Err(Error::usage("no Auth0 tenant is configured").with_hint(
            "set DEVCONTEXT_AUTH0_DOMAIN and DEVCONTEXT_AUTH0_CLIENT_ID (or run `devcontext config`)",
        ));
    };
    Ok((net::auth0_base(domain)?, client_id.to_string()))
}

/// The configured tenant's base URL alone (device logins, Design B, need no
/// web application).
pub fn domain(app: &App) -> Result<Url> {
    let Some(domain) = app.settings.auth0.domain.as_deref() else {
        return Err(Error::usage("no Auth0 tenant is configured")
            .with_hint("set DEVCONTEXT_AUTH0_DOMAIN (or run `devcontext config`)"));
    };
    net::auth0_base(domain)
}

pub fn timeout(app: &App) -> Duration {
    Duration::from_secs(app.settings.timeout_secs)
}

/// A logged-in session with its secrets at hand.
pub struct Active {
    pub session: Session,
    pub store: CredentialStore,
    /// The client that holds the refresh token (web app or native app).
    pub client: Auth0,
}

impl Active {
    /// Loads the session and its client; "login required" (exit 3) when there is none.
    pub fn load(app: &App) -> Result<Active> {
        let session =
            Session::load(app)?.ok_or_else(|| Error::login_required("you are not logged in"))?;
        let store = session.credentials(app);
        let base = net::auth0_base(&session.tenant)?;
        let secret = match session.method {
            LoginMethod::Browser => Some(client_secret(app, &store)?),
            LoginMethod::Device => None,
        };
        let client = Auth0::new(
            base,
            session.endpoints.clone(),
            session.client_id.clone(),
            secret,
            timeout(app),
        )?;
        Ok(Active {
            session,
            store,
            client,
        })
    }

    pub fn refresh_token(&self) -> Result<Secret> {
        self.store
            .get(REFRESH_TOKEN)?
            .ok_or_else(|| Error::login_required("no refresh token is stored for this session"))
    }

    /// The refresh grant (optionally for another audience, MRRT). Runs under
    /// the credential lock; when the tenant rotates refresh tokens the new one
    /// is saved before the lock is released, so concurrent runs never lose it.
    pub async fn refresh(
        &self,
        audience: Option<&str>,
        scope: Option<&str>,
    ) -> Result<oauth::TokenResponse> {
        match self.refresh_raw(audience, scope).await? {
            Ok(tokens) => Ok(tokens),
            Err(TokenFailure::Other(e)) => Err(e),
            Err(TokenFailure::OAuth(e)) => Err(session_error(&e)),
        }
    }

    /// [`Active::refresh`] with Auth0's own error kept (for `doctor`, which
    /// names the setting behind each error). The outer Result is local failure.
    pub async fn refresh_raw(
        &self,
        audience: Option<&str>,
        scope: Option<&str>,
    ) -> Result<std::result::Result<oauth::TokenResponse, TokenFailure>> {
        let _lock = self.store.lock()?;
        let refresh_token = self.refresh_token()?;
        let mut form = vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", refresh_token.expose().to_string()),
        ];
        if let Some(a) = audience {
            form.push(("audience", a.to_string()));
        }
        if let Some(s) = scope {
            form.push(("scope", s.to_string()));
        }
        let answer = self.client.token(form).await;
        if let Ok(tokens) = &answer
            && let Some(rotated) = &tokens.refresh_token
            && rotated != &refresh_token
        {
            self.store.set_locked(REFRESH_TOKEN, rotated)?;
        }
        Ok(answer)
    }
}

/// The web app's client secret: settings (env/config) first, then the credential store.
pub fn client_secret(app: &App, store: &CredentialStore) -> Result<Secret> {
    if let Some(s) = &app.settings.auth0.client_secret {
        return Ok(Secret::new(s.clone()));
    }
    store.get(CLIENT_SECRET)?.ok_or_else(|| {
        Error::usage("no Auth0 client secret is configured")
            .with_hint("set DEVCONTEXT_AUTH0_CLIENT_SECRET or run `devcontext config`")
    })
}

/// Maps an Auth0 error on a session grant (refresh, MRRT) to a user error.
pub fn session_error(e: &oauth::OAuthError) -> Error {
    match e.error.as_str() {
        "invalid_grant" | "expired_token" => {
            Error::login_required(format!("your devcontext session has expired ({})", e.summary()))
        }
        "access_denied" | "invalid_client" if e.status == 401 => Error::usage(format!(
            "Auth0 rejected devcontext's client credentials ({})",
            e.summary()
        ))
        .with_hint("check DEVCONTEXT_AUTH0_CLIENT_ID and DEVCONTEXT_AUTH0_CLIENT_SECRET"),
        "unauthorized_client" => Error::upstream(format!("Auth0 refused the grant ({})", e.summary()))
            .with_hint("enable the Refresh Token grant on the Auth0 application (Advanced Settings > Grant Types)"),
        "mfa_required" => Error::upstream(format!("Auth0 requires MFA on every token request ({})", e.summary()))
            .with_hint("set the tenant's MFA policy to Never (or use Actions-based MFA); Token Vault cannot answer MFA challenges"),
        "unmet_authentication_requirements" => {
            Error::login_required(format!("Auth0 requires a fresh sign-in ({})", e.summary()))
        }
        "consent_required" => Error::upstream(format!("Auth0 requires user consent for the My Account API ({})", e.summary()))
            .with_hint("Applications > APIs > Auth0 My Account API > Settings > Access Settings: turn on \"Allow Skipping User Consent\" (or run `devcontext setup`)"),
        "access_denied" => Error::upstream(format!("Auth0 refused access ({})", e.summary()))
            .with_hint("give the application a user-access grant to the My Account API with the Connected Accounts scopes, and an MRRT policy for it"),
        "too_many_requests" => Error::upstream(format!("Auth0 is rate limiting ({})", e.summary()))
            .with_hint("wait a minute and retry"),
        "invalid_request" => Error::general(format!("Auth0 rejected the request as malformed ({})", e.summary()))
            .with_hint("this is a devcontext bug; please report it with `devcontext audit --json --limit 20`"),
        _ if e.status >= 500 => Error::upstream(format!("Auth0 had a server error ({})", e.summary()))
            .with_hint("Auth0 may be having trouble (https://status.auth0.com); try again later"),
        _ => Error::upstream(format!("Auth0 refused the request ({})", e.summary()))
            .with_hint("check the tenant's logs in the Auth0 dashboard"),
    }
}

/// Revokes the stored refresh token at Auth0 (`/oauth/revoke`).
/// The outer Result is local failure; the inner one is Auth0's answer.
pub async fn revoke(active: &Active) -> Result<Result<()>> {
    let Some(endpoint) = active.session.endpoints.revocation_endpoint.clone() else {
        return Ok(Err(Error::upstream(
            "this tenant offers no revocation endpoint",
        )));
    };
    let Some(token) = active.store.get(REFRESH_TOKEN)? else {
        return Ok(Ok(()));
    };
    let mut form = active.client.client_auth();
    form.push(("token", token.expose().to_string()));
    let response = active
        .client
        .http()
        .post(&endpoint)
        .form(&form)
        .send()
        .await;
    Ok(match response {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(Error::upstream(format!(
            "Auth0 answered HTTP {} to the revocation",
            r.status()
        ))),
        Err(e) => Err(net::transport_error(&e, "Auth0 revocation")),
    })
}
