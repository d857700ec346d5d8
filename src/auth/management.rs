//! A small client of Auth0's Management API (`https://DOMAIN/api/v2/`) for
//! `devcontext setup`: a token given by the user, or one obtained with a
//! machine-to-machine application's client credentials. JSON in and out,
//! answers bounded in size; errors name the scope or setting to fix. The
//! token and the client secret are never printed or logged.

use std::time::Duration;

use serde_json::Value;
use url::Url;

use super::credentials::Secret;
use crate::error::{Error, Result};
use crate::net;

/// The largest Management API answer read (lists of a tenant's objects).
const MAX_ANSWER: usize = 4 << 20;

/// The scopes `setup` needs on its Management API token.
pub const SCOPES: &str = "read:clients update:clients read:resource_servers create:resource_servers update:resource_servers read:client_grants create:client_grants update:client_grants read:connections update:connections read:mfa_policies";

/// How `setup` authenticates to the Management API.
pub enum Credentials {
    /// `--management-token` / `DEVCONTEXT_AUTH0_MANAGEMENT_TOKEN`.
    Token(Secret),
    /// A machine-to-machine application authorised for the Management API.
    ClientCredentials { client_id: String, secret: Secret },
}

pub struct Management {
    http: reqwest::Client,
    api: Url,
    token: Secret,
}

impl Management {
    /// Opens a client for the tenant at `base` (`https://DOMAIN/`).
    pub async fn open(
        base: &Url,
        credentials: Credentials,
        timeout: Duration,
    ) -> Result<Management> {
        let http = net::client(timeout, false)?;
        let api = base
            .join("api/v2/")
            .map_err(|e| Error::usage(format!("bad Auth0 domain: {e}")))?;
        let token = match credentials {
            Credentials::Token(t) => t,
            Credentials::ClientCredentials { client_id, secret } => {
                let token_url = base
                    .join("oauth/token")
                    .map_err(|e| Error::usage(format!("bad Auth0 domain: {e}")))?;
                let form = [
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("client_secret", secret.expose()),
                    ("audience", api.as_str()),
                ];
                let response = http
                    .post(token_url)
                    .form(&form)
                    .send()
                    .await
                    .map_err(|e| net::transport_error(&e, "Auth0"))?;
                let status = response.status();
                let body = read_bounded(response).await?;
                if !status.is_success() {
                    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                    let detail = crate::redact::redact(
                        v["error_description"]
                            .as_str()
                            .or(v["error"].as_str())
                            .unwrap_or("no detail"),
                    );
                    return Err(Error::usage(format!(
                        "Auth0 gave no Management API token to the machine-to-machine application (HTTP {status}: {detail})"
                    ))
                    .with_hint(format!(
                        "check DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_ID / _SECRET, and authorise that application for the Auth0 Management API (Applications > APIs > Auth0 Management API > Machine to Machine Applications) with: {SCOPES}"
                    )));
                }
                let v: Value = serde_json::from_slice(&body).map_err(|e| {
                    Error::upstream(format!("unreadable token answer from Auth0 ({e})"))
                })?;
                let t = v["access_token"]
                    .as_str()
                    .ok_or_else(|| Error::upstream("Auth0's token answer has no access_token"))?;
                Secret::new(t.to_string())
            }
        };
        Ok(Management { http, api, token })
    }

    /// Calls `method path` (relative to `/api/v2/`, query included) with an optional JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let url = self
            .api
            .join(path)
            .map_err(|e| Error::general(format!("bad Management API path {path}: {e}")))?;
        let what = format!(
            "{method} /api/v2/{}",
            path.split('?').next().unwrap_or(path)
        );
        let mut req = self
            .http
            .request(method, url)
            .bearer_auth(self.token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(b) = body {
            req = req.json(b);
        }
        let response = req
            .send()
            .await
            .map_err(|e| net::transport_error(&e, "Auth0 Management API"))?;
        let status = response.status();
        let bytes = read_bounded(response).await?;
        let v: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| {
                Error::upstream(format!(
                    "{what}: unreadable answer from the Management API ({e})"
                ))
            })?
        };
        if status.is_success() {
            return Ok(v);
        }
        let message = crate::redact::redact(v["message"].as_str().unwrap_or("no detail"));
        Err(match status.as_u16() {
            401 => Error::usage(format!("{what}: the Management API token was refused ({message})"))
                .with_hint("give a valid token with --management-token (Applications > APIs > Auth0 Management API > API Explorer), or set DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_ID and _SECRET"),
            403 => Error::usage(format!("{what}: the Management API token lacks a scope ({message})"))
                .with_hint(format!("authorise the token or application for: {SCOPES}")),
            429 => Error::upstream(format!("{what}: Auth0 is rate limiting ({message})"))
                .with_hint("wait a minute and run `devcontext setup` again; it only changes what still differs"),
            _ => Error::upstream(format!("{what}: the Management API answered HTTP {status} ({message})")),
        })
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }
}

/// Reads an answer of at most [`MAX_ANSWER`] bytes.
async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| net::transport_error(&e, "Auth0 Management API"))?
    {
        if out.len() + chunk.len() > MAX_ANSWER {
            return Err(Error::upstream(format!(
                "the Management API answer is larger than {} MiB",
                MAX_ANSWER >> 20
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}
