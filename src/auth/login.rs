//! `devcontext login`: Authorization Code + PKCE in the browser with a
//! loopback redirect (Design A), or the Device Authorization Grant for
//! machines without a browser (Design B). Both end with the refresh token in
//! the credential store and the session facts in state/session.json.

use std::time::{Duration, Instant};

use oauth2::{CsrfToken, PkceCodeChallenge};
use serde::Deserialize;

use super::callback::{Browser, Callback};
use super::credentials::{CredentialStore, Secret};
use super::oauth::{Auth0, TokenFailure, TokenResponse};
use super::{LoginMethod, REFRESH_TOKEN, Session, User, session_error, tenant, timeout};
use crate::app::App;
use crate::error::{Error, Result};

pub const LOGIN_SCOPES: &str = "openid profile email offline_access";

/// What the login flow tells the user while it runs.
pub enum Progress<'a> {
    /// Open this URL (printed always; opened in the browser unless told not to).
    OpenUrl { url: &'a str, opened: bool },
    /// Device flow: confirm this code on the verification page.
    DeviceCode {
        user_code: &'a str,
        url: &'a str,
        opened: bool,
    },
    /// The credential store fell back to a file.
    Warning(&'a str),
}

pub struct LoginOptions {
    pub no_browser: bool,
    pub callback_port: Option<u16>,
    pub wait: Duration,
}

/// Authorization Code + PKCE with the confidential web app.
pub async fn browser(
    app: &App,
    options: &LoginOptions,
    progress: &dyn Fn(Progress),
) -> Result<Session> {
    let (base, client_id) = tenant(app)?;
    let endpoints = Auth0::discover(&base, timeout(app)).await?;
    let (store, warning) = choose_store(app, base.as_str(), &client_id)?;
    if let Some(w) = &warning {
        progress(Progress::Warning(w));
    }
    let secret = super::client_secret(app, &store)?;
    let client = Auth0::new(
        base.clone(),
        endpoints,
        client_id.clone(),
        Some(secret.clone()),
        timeout(app),
    )?;

    let callback = Callback::bind(options.callback_port).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = CsrfToken::new_random();
    let mut url = url::Url::parse(&client.endpoints.authorization_endpoint)
        .map_err(|e| Error::upstream(format!("bad authorization endpoint: {e}")))?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &client_id)
            .append_pair("redirect_uri", &callback.redirect_uri)
            .append_pair("scope", LOGIN_SCOPES)
            .append_pair("state", state.secret())
            .append_pair("code_challenge", challenge.as_str())
            .append_pair("code_challenge_method", "S256");
        if let Some(aud) = &app.settings.auth0.audience {
            q.append_pair("audience", aud);
        }
    }
    let redirect_uri = callback.redirect_uri.clone();
    let opened = !options.no_browser && Browser::from_env(&app.env).open(url.as_str());
    progress(Progress::OpenUrl {
        url: url.as_str(),
        opened,
    });
    let params = callback.wait(options.wait, state.secret()).await?;
    if params.contains_key("error") {
        return Err(Error::general(format!(
            "sign-in was not completed: {}",
            super::callback::describe_error(&params)
        ))
        .with_hint("run `devcontext login` again"));
    }
    if params.get("state").map(String::as_str) != Some(state.secret().as_str()) {
        return Err(Error::general("the browser's answer does not match this login (state mismatch)")
            .with_hint("run `devcontext login` again; if it repeats, something is interfering with the redirect"));
    }
    // RFC 9207: when the server names itself in the redirect, it must be the one we asked.
    if let Some(iss) = params.get("iss")
        && iss.trim_end_matches('/') != client.endpoints.issuer.trim_end_matches('/')
    {
        return Err(Error::general(format!(
            "the sign-in answer came from another issuer ({iss}, expected {})",
            client.endpoints.issuer
        ))
        .with_hint("run `devcontext login` again; if it repeats, check DEVCONTEXT_AUTH0_DOMAIN"));
    }
    let code = params
        .get("code")
        .ok_or_else(|| Error::upstream("the redirect carried no authorization code"))?;
    let tokens = client
        .token(vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.clone()),
            ("code_verifier", verifier.secret().clone()),
            ("redirect_uri", redirect_uri),
        ])
        .await
        .map_err(login_error)?;
    finish(app, &client, store, LoginMethod::Browser, tokens).await
}

/// The device authorization endpoint's answer (RFC 8628 section 3.2).
#[derive(Deserialize)]
pub struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: Option<u64>,
    pub interval: Option<u64>,
}

impl DeviceCode {
    /// The page the user confirms the code on (with the code filled in when
    /// Auth0 gives one), as Auth0 wrote it, once checked like every endpoint:
    /// HTTPS or loopback http.
    pub fn verification_url(&self) -> Result<&str> {
        let url = self
            .verification_uri_complete
            .as_deref()
            .unwrap_or(&self.verification_uri);
        crate::net::secure_url(url, "verification URL")?;
        Ok(url)
    }

    /// How long to wait between polls: Auth0's `interval` (5 s when absent), at least 1 s.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(self.interval.unwrap_or(5).max(1))
    }

    /// How long the code lives: Auth0's `expires_in` (15 min when absent), at most `wait`.
    pub fn lifetime(&self, wait: Duration) -> Duration {
        Duration::from_secs(self.expires_in.unwrap_or(900)).min(wait)
    }
}

/// Reads one device-flow poll refusal: still pending (`Ok`, with the interval
/// to wait before the next poll; `slow_down` adds 5 s) or a final error.
/// Outside input: never panics.
pub fn device_poll_error(e: super::oauth::OAuthError, interval: Duration) -> Result<Duration> {
    match e.error.as_str() {
        "authorization_pending" => Ok(interval),
        "slow_down" => Ok(interval.saturating_add(Duration::from_secs(5))),
        "expired_token" => Err(
            Error::general("the login code expired before it was approved")
                .with_hint("run `devcontext login --device` again"),
        ),
        "access_denied" => Err(Error::general("login was cancelled or denied")
            .with_hint("run `devcontext login --device` again and approve it")),
        _ => Err(login_error(TokenFailure::OAuth(e))),
    }
}

/// The Device Authorization Grant (RFC 8628) with the native app.
pub async fn device(
    app: &App,
    options: &LoginOptions,
    progress: &dyn Fn(Progress),
) -> Result<Session> {
    let base = super::domain(app)?;
    let client_id = app.settings.auth0.device_client_id.clone().ok_or_else(|| {
        Error::usage("device login needs a Native Auth0 application").with_hint(
            "set DEVCONTEXT_AUTH0_DEVICE_CLIENT_ID to its client id (Device Code grant enabled)",
        )
    })?;
    let endpoints = Auth0::discover(&base, timeout(app)).await?;
    let device_endpoint = endpoints
        .device_authorization_endpoint
        .clone()
        .ok_or_else(|| {
            Error::upstream("this tenant offers no device authorization endpoint")
                .with_hint("enable the Device Code grant, or log in with the browser")
        })?;
    let (store, warning) = choose_store(app, base.as_str(), &client_id)?;
    if let Some(w) = &warning {
        progress(Progress::Warning(w));
    }
    let client = Auth0::new(base, endpoints, client_id.clone(), None, timeout(app))?;
    let mut form = vec![
        ("client_id", client_id.clone()),
        ("scope", LOGIN_SCOPES.to_string()),
    ];
    if let Some(aud) = &app.settings.auth0.audience {
        form.push(("audience", aud.clone()));
    }
    let code: DeviceCode = client
        .post_form(&device_endpoint, &form)
        .await
        .map_err(login_error)?;
    let url = code.verification_url()?.to_string();
    let opened = !options.no_browser && Browser::from_env(&app.env).open(&url);
    progress(Progress::DeviceCode {
        user_code: &code.user_code,
        url: &url,
        opened,
    });
    // Poll: wait `interval` measured from the previous answer; slow_down adds 5 s.
    // Never sleep past the deadline, however long an interval Auth0 asks for.
    let mut interval = code.poll_interval();
    let deadline = Instant::now() + code.lifetime(options.wait);
    loop {
        tokio::time::sleep(interval.min(deadline.saturating_duration_since(Instant::now()))).await;
        if Instant::now() >= deadline {
            return Err(
                Error::general("the login code expired before it was approved")
                    .with_hint("run `devcontext login --device` again"),
            );
        }
        let result = client
            .token(vec![
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:device_code".into(),
                ),
                ("device_code", code.device_code.clone()),
            ])
            .await;
        match result {
            Ok(tokens) => return finish(app, &client, store, LoginMethod::Device, tokens).await,
            Err(TokenFailure::OAuth(e)) => interval = device_poll_error(e, interval)?,
            Err(TokenFailure::Other(e)) => return Err(e),
        }
    }
}

fn choose_store(
    app: &App,
    tenant: &str,
    client_id: &str,
) -> Result<(CredentialStore, Option<String>)> {
    CredentialStore::choose(
        &app.settings.credential_store,
        &app.paths.credentials_dir,
        &Session::account_prefix(tenant, client_id),
    )
}

/// Stores the refresh token, reads the user's profile and writes the session.
async fn finish(
    app: &App,
    client: &Auth0,
    store: CredentialStore,
    method: LoginMethod,
    tokens: TokenResponse,
) -> Result<Session> {
    let refresh_token = tokens.refresh_token.ok_or_else(|| {
        Error::upstream("Auth0 issued no refresh token")
            .with_hint("enable the Refresh Token grant and offline access (Allow Offline Access on the API) for the application")
    })?;
    store.set(REFRESH_TOKEN, &refresh_token)?;
    let user = userinfo(client, &tokens.access_token).await.ok();
    let session = Session {
        tenant: client.base.to_string(),
        client_id: client.client_id.clone(),
        method,
        store: store.kind,
        endpoints: client.endpoints.clone(),
        user,
        // A record of what happened: the real clock, never DEVCONTEXT_NOW.
        logged_in_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    session.save(app)?;
    Ok(session)
}

async fn userinfo(client: &Auth0, access_token: &Secret) -> Result<User> {
    let url = client
        .endpoints
        .userinfo_endpoint
        .as_deref()
        .ok_or_else(|| Error::upstream("no userinfo endpoint"))?;
    let response = client
        .http()
        .get(url)
        .bearer_auth(access_token.expose())
        .send()
        .await
        .map_err(|e| crate::net::transport_error(&e, "Auth0 userinfo"))?;
    if !response.status().is_success() {
        return Err(Error::upstream(format!(
            "userinfo answered HTTP {}",
            response.status()
        )));
    }
    let what = "Auth0 userinfo";
    let bytes = crate::net::read_capped(response, crate::net::MAX_AUTH0_BODY, what)
        .await?
        .ok_or_else(|| crate::net::oversized(what, crate::net::MAX_AUTH0_BODY))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::upstream(format!("userinfo unreadable: {e}")))
}

/// Maps a failed login grant (authorization code, device code) to a user error.
pub fn login_error(f: TokenFailure) -> Error {
    match f {
        TokenFailure::Other(e) => e,
        TokenFailure::OAuth(e) => match e.error.as_str() {
            "invalid_grant" => Error::general(format!("the sign-in could not be completed ({})", e.summary()))
                .with_hint("run `devcontext login` again"),
            "unauthorized_client" => Error::upstream(format!("Auth0 refused the grant ({})", e.summary()))
                .with_hint("enable the Authorization Code (browser) or Device Code (--device) grant on the Auth0 application"),
            _ => session_error(&e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::oauth::{OAuthError, read_token_answer};

    fn refusal(code: &str) -> OAuthError {
        OAuthError {
            status: 400,
            error: code.into(),
            description: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn device_polling_follows_the_answers() {
        let five = Duration::from_secs(5);
        assert_eq!(
            device_poll_error(refusal("authorization_pending"), five).unwrap(),
            five
        );
        assert_eq!(
            device_poll_error(refusal("slow_down"), five).unwrap(),
            Duration::from_secs(10)
        );
        // however long Auth0 asked to wait already, slow_down cannot overflow
        assert_eq!(
            device_poll_error(refusal("slow_down"), Duration::MAX).unwrap(),
            Duration::MAX
        );
        let e = device_poll_error(refusal("expired_token"), five).unwrap_err();
        assert!(e.message.contains("expired"), "{e}");
        let e = device_poll_error(refusal("access_denied"), five).unwrap_err();
        assert!(e.message.contains("denied"), "{e}");
    }

    #[test]
    fn device_code_answer_is_checked_and_bounded() {
        let body = br#"{"device_code":"d","user_code":"ABCD-EFGH",
            "verification_uri":"https://t.example/activate","interval":0,
            "expires_in":18446744073709551615}"#;
        let code: DeviceCode = read_token_answer(reqwest::StatusCode::OK, None, body).unwrap();
        assert_eq!(
            code.verification_url().unwrap(),
            "https://t.example/activate"
        );
        assert_eq!(code.poll_interval(), Duration::from_secs(1));
        let wait = Duration::from_secs(600);
        assert_eq!(code.lifetime(wait), wait);
        let body = br#"{"device_code":"d","user_code":"u",
            "verification_uri":"https://t.example/activate",
            "verification_uri_complete":"http://evil.example/activate?user_code=u"}"#;
        let code: DeviceCode = read_token_answer(reqwest::StatusCode::OK, None, body).unwrap();
        assert!(code.verification_url().is_err());
        assert_eq!(code.poll_interval(), Duration::from_secs(5));
    }
}
