//! The Auth0 Authentication API as devcontext uses it: discovery and the token
//! endpoint (every grant), with OAuth errors kept intact (status, `error`,
//! description, Retry-After) so callers can turn them into precise hints.
//! The HTTP client follows no redirects and times out.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use super::credentials::Secret;
use crate::error::{Error, Result};
use crate::net;

/// The endpoints devcontext needs, from discovery (Auth0's fixed paths as fallback).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Endpoints {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub device_authorization_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
}

impl Endpoints {
    fn auth0_defaults(base: &Url) -> Endpoints {
        let at = |p: &str| base.join(p).map(|u| u.to_string()).unwrap_or_default();
        Endpoints {
            issuer: base.to_string(),
            authorization_endpoint: at("authorize"),
            token_endpoint: at("oauth/token"),
            device_authorization_endpoint: Some(at("oauth/device/code")),
            userinfo_endpoint: Some(at("userinfo")),
            revocation_endpoint: Some(at("oauth/revoke")),
        }
    }

    /// Reads a discovery document (`.well-known/openid-configuration`); every
    /// endpoint must be HTTPS (or loopback http). Outside input: never panics.
    pub fn from_discovery(body: &[u8]) -> Result<Endpoints> {
        let endpoints: Endpoints = serde_json::from_slice(body).map_err(|e| {
            Error::upstream(format!("Auth0 discovery document unreadable: {e}"))
                .with_hint("check DEVCONTEXT_AUTH0_DOMAIN")
        })?;
        endpoints.checked()
    }

    /// Every endpoint must be HTTPS (or loopback http).
    fn checked(self) -> Result<Endpoints> {
        net::secure_url(&self.token_endpoint, "token endpoint")?;
        net::secure_url(&self.authorization_endpoint, "authorization endpoint")?;
        for e in [
            &self.device_authorization_endpoint,
            &self.userinfo_endpoint,
            &self.revocation_endpoint,
        ]
        .into_iter()
        .flatten()
        {
            net::secure_url(e, "Auth0 endpoint")?;
        }
        Ok(self)
    }
}

/// A token endpoint answer (any grant). Secrets are wrapped so they never print.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
    pub token_type: Option<String>,
    pub issued_token_type: Option<String>,
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Secret, D::Error> {
        String::deserialize(d).map(Secret::new)
    }
}

/// An OAuth error answer, kept whole.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub status: u16,
    pub error: String,
    pub description: String,
    pub retry_after: Option<u64>,
}

impl OAuthError {
    pub fn summary(&self) -> String {
        if self.description.is_empty() {
            format!("{} (HTTP {})", self.error, self.status)
        } else {
            format!(
                "{}: {} (HTTP {})",
                self.error, self.description, self.status
            )
        }
    }
}

/// Why a token request failed.
#[derive(Debug)]
pub enum TokenFailure {
    /// Auth0 answered with an OAuth error.
    OAuth(OAuthError),
    /// Auth0 could not be reached, or answered something unreadable.
    Other(Error),
}

/// A client for one Auth0 tenant and one application.
#[derive(Clone)]
pub struct Auth0 {
    pub base: Url,
    pub endpoints: Endpoints,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    http: reqwest::Client,
}

impl Auth0 {
    pub fn new(
        base: Url,
        endpoints: Endpoints,
        client_id: String,
        client_secret: Option<Secret>,
        timeout: Duration,
    ) -> Result<Auth0> {
        Ok(Auth0 {
            base,
            endpoints: endpoints.checked()?,
            client_id,
            client_secret,
            http: net::client(timeout, false)?,
        })
    }

    /// Reads the discovery document; falls back to Auth0's paths when there is none.
    pub async fn discover(base: &Url, timeout: Duration) -> Result<Endpoints> {
        let http = net::client(timeout, false)?;
        let url = base
            .join(".well-known/openid-configuration")
            .map_err(|e| Error::usage(format!("bad Auth0 domain: {e}")))?;
        let response = http
            .get(url)
            .send()
            .await
            .map_err(|e| net::transport_error(&e, "Auth0 discovery"))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Endpoints::auth0_defaults(base).checked();
        }
        if !response.status().is_success() {
            return Err(Error::upstream(format!(
                "Auth0 discovery answered HTTP {}",
                response.status()
            ))
            .with_hint("check DEVCONTEXT_AUTH0_DOMAIN (your tenant, e.g. you.us.auth0.com)"));
        }
        let what = "Auth0 discovery";
        let bytes = net::read_capped(response, net::MAX_AUTH0_BODY, what)
            .await?
            .ok_or_else(|| net::oversized(what, net::MAX_AUTH0_BODY))?;
        Endpoints::from_discovery(&bytes)
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Client authentication for a confidential client: secret in the body.
    pub fn client_auth(&self) -> Vec<(&'static str, String)> {
        let mut form = vec![("client_id", self.client_id.clone())];
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret.expose().to_string()));
        }
        form
    }

    /// POSTs a form to the token endpoint (client auth added) and parses the answer.
    pub async fn token(
        &self,
        form: Vec<(&'static str, String)>,
    ) -> std::result::Result<TokenResponse, TokenFailure> {
        let mut body = self.client_auth();
        body.extend(form);
        self.post_form(&self.endpoints.token_endpoint, &body).await
    }

    /// POSTs a form and parses a token answer or an OAuth error.
    pub async fn post_form<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        body: &[(&'static str, String)],
    ) -> std::result::Result<T, TokenFailure> {
        let response = self
            .http
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(body)
            .send()
            .await
            .map_err(|e| TokenFailure::Other(net::transport_error(&e, "Auth0")))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = net::read_capped(response, net::MAX_AUTH0_BODY, "Auth0")
            .await
            .map_err(TokenFailure::Other)?
            .ok_or_else(|| TokenFailure::Other(net::oversized("Auth0", net::MAX_AUTH0_BODY)))?;
        read_token_answer(status, retry_after.as_deref(), &bytes)
    }
}

/// Reads a token endpoint answer (any grant, and the device authorization
/// endpoint): a 2xx body as `T`, anything else as an OAuth error kept whole
/// (its description redacted). `retry_after` is the Retry-After header's text.
/// Outside input: never panics.
pub fn read_token_answer<T: serde::de::DeserializeOwned>(
    status: reqwest::StatusCode,
    retry_after: Option<&str>,
    body: &[u8],
) -> std::result::Result<T, TokenFailure> {
    if status.is_success() {
        return serde_json::from_slice(body).map_err(|e| {
            TokenFailure::Other(
                Error::upstream(format!(
                    "Auth0 answered HTTP {status} with an unreadable body ({e})"
                ))
                .with_hint("check DEVCONTEXT_AUTH0_DOMAIN points at your tenant"),
            )
        });
    }
    #[derive(Deserialize)]
    struct Body {
        error: Option<String>,
        error_description: Option<String>,
    }
    let parsed: Option<Body> = serde_json::from_slice(body).ok();
    let (error, description) = match parsed {
        Some(b) => (
            b.error.unwrap_or_else(|| "unknown_error".into()),
            b.error_description.unwrap_or_default(),
        ),
        None => (
            "unknown_error".into(),
            format!("HTTP {status} without an OAuth error body"),
        ),
    };
    // Both are Auth0's words, shown and audited: cut short, with a marker.
    Err(TokenFailure::OAuth(OAuthError {
        status: status.as_u16(),
        error: crate::sanitize::truncate(&error, 100),
        description: crate::redact::redact(&crate::sanitize::truncate(&description, 300)),
        retry_after: retry_after.and_then(|v| v.trim().parse().ok()),
    }))
}

/// Splits a scope string on spaces and commas (some providers use commas).
pub fn split_scopes(scope: Option<&str>) -> Vec<String> {
    scope
        .unwrap_or_default()
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth0_error_strings_are_cut_short() {
        let body = serde_json::json!({
            "error": "e".repeat(5000),
            "error_description": "d".repeat(100_000),
        })
        .to_string();
        let Err(TokenFailure::OAuth(e)) = read_token_answer::<serde_json::Value>(
            reqwest::StatusCode::FORBIDDEN,
            None,
            body.as_bytes(),
        ) else {
            panic!("not an OAuth error")
        };
        assert_eq!(e.error.chars().count(), 100);
        assert!(e.error.ends_with('…'));
        assert_eq!(e.description.chars().count(), 300);
        assert!(e.description.ends_with('…'));
    }

    #[test]
    fn scopes_split_on_spaces_and_commas() {
        assert_eq!(split_scopes(Some("a b,c ,d")), vec!["a", "b", "c", "d"]);
        assert!(split_scopes(None).is_empty());
    }
}
