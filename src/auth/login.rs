//! `devcontext login`: Authorization Code + PKCE in the browser with a
//! loopback redirect (Design A), or the Device Authorization Grant for
//! machines without a browser (Design B). Both end with the refresh token in
//! the credential store and the session facts in state/session.json.

use std::time::{Duration, Instant};

use oauth2::{CsrfToken, PkceCodeChallenge};
use serde::Deserialize;

use super::callback::{Callback, open_browser};
use super::credentials::{CredentialStore, Secret};
use super::oauth::{Auth0, TokenFailure, TokenResponse};
use super::{
    CLIENT_SECRET, LoginMethod, REFRESH_TOKEN, Session, User, session_error, tenant, timeout,
};
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
    let opened = !options.no_browser && open_browser(url.as_str());
    progress(Progress::OpenUrl {
        url: url.as_str(),
        opened,
    });
    let params = callback.wait(options.wait).await?;
    if let Some(error) = params.get("error") {
        return Err(Error::general(format!(
            "sign-in was not completed: {error}: {}",
            params
                .get("error_description")
                .map(String::as_str)
                .unwrap_or("")
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
    // Save the secret given in the environment/config only if the store had none.
    if app.settings.auth0.client_secret.is_none() && store.get(CLIENT_SECRET)?.is_none() {
        store.set(CLIENT_SECRET, &secret)?;
    }
    finish(app, &client, store, LoginMethod::Browser, tokens).await
}

#[derive(Deserialize)]
struct DeviceCode {
    device_code: String,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_in: Option<u64>,
    interval: Option<u64>,
}

/// The Device Authorization Grant (RFC 8628) with the native app.
pub async fn device(
    app: &App,
    options: &LoginOptions,
    progress: &dyn Fn(Progress),
) -> Result<Session> {
    let (base, _) = tenant(app)?;
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
    let url = code
        .verification_uri_complete
        .clone()
        .unwrap_or_else(|| code.verification_uri.clone());
    crate::net::secure_url(&url, "verification URL")?;
    let opened = !options.no_browser && open_browser(&url);
    progress(Progress::DeviceCode {
        user_code: &code.user_code,
        url: &url,
        opened,
    });
    // Poll: wait `interval` measured from the previous answer; slow_down adds 5 s.
    let mut interval = Duration::from_secs(code.interval.unwrap_or(5).max(1));
    let deadline =
        Instant::now() + Duration::from_secs(code.expires_in.unwrap_or(900)).min(options.wait);
    loop {
        tokio::time::sleep(interval).await;
        if Instant::now() > deadline {
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
            Err(TokenFailure::OAuth(e)) => match e.error.as_str() {
                "authorization_pending" => continue,
                "slow_down" => interval += Duration::from_secs(5),
                "expired_token" => {
                    return Err(
                        Error::general("the login code expired before it was approved")
                            .with_hint("run `devcontext login --device` again"),
                    );
                }
                "access_denied" => {
                    return Err(Error::general("login was cancelled or denied")
                        .with_hint("run `devcontext login --device` again and approve it"));
                }
                _ => return Err(login_error(TokenFailure::OAuth(e))),
            },
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
        logged_in_at: app
            .clock
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
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
    response
        .json()
        .await
        .map_err(|e| Error::upstream(format!("userinfo unreadable: {e}")))
}

fn login_error(f: TokenFailure) -> Error {
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
