//! The Connected Accounts part of Auth0's My Account API
//! (`/me/v1/connected-accounts/...`) and the browser step `GET /connect`
//! that stands in for the provider consent screen. Errors are RFC 7807
//! problem documents, request bodies are schema-checked like the real API.
//!
//! This module holds what every endpoint shares (rate-limit headers, the
//! token check, body validation, account JSON); connecting an account is in
//! `connect`, listing, reading and deleting accounts in `accounts`.

mod accounts;
mod connect;

pub use accounts::{delete_account, get_account, list_accounts, list_connections};
pub use connect::{complete, connect, connect_page};

use std::sync::Arc;

use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::state::*;
use crate::wire::*;

type S = AxState<Arc<App>>;

/// Every My Account API answer carries Auth0's rate-limit headers
/// (auth0-protocol.md §4.7; required by its OpenAPI description).
pub async fn rate_limit_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mine = req.uri().path().starts_with("/me/v1/");
    let mut resp = next.run(req).await;
    if mine {
        let reset = (chrono::Utc::now().timestamp() + 60).to_string();
        let h = resp.headers_mut();
        for (k, v) in [
            ("x-ratelimit-limit", "100".to_string()),
            ("x-ratelimit-remaining", "99".to_string()),
            ("x-ratelimit-reset", reset),
        ] {
            if let Ok(v) = axum::http::HeaderValue::from_str(&v) {
                h.insert(k, v);
            }
        }
    }
    resp
}

fn unauthorized(detail: &str) -> Response {
    problem(401, "A0E-401-0001", "Unauthorized", detail, None)
}

/// Checks the Bearer token: minted here, unexpired, audience `BASE/me/`, with `scope`.
fn authorize_me(app: &App, headers: &HeaderMap, scope: &str) -> Result<AccessToken, Response> {
    let Some(token) = bearer(headers) else {
        return Err(unauthorized("Missing authorization token"));
    };
    let st = app.lock();
    let Some(at) = st.valid_access_token(&token) else {
        return Err(unauthorized("Invalid or expired token"));
    };
    if !at.aud.iter().any(|a| *a == app.me_audience()) {
        return Err(unauthorized("Invalid token audience"));
    }
    if !at.scopes.iter().any(|s| s == scope) {
        return Err(problem(
            403,
            "A0E-403-0001",
            "Forbidden",
            &format!("Insufficient scope; expected: {scope}"),
            None,
        ));
    }
    Ok(at)
}

fn require_json(headers: &HeaderMap) -> Result<(), Response> {
    if is_json(headers) {
        Ok(())
    } else {
        Err(problem(
            415,
            "A0E-415-0001",
            "Unsupported Media Type",
            "Content-Type must be application/json",
            None,
        ))
    }
}

/// Collects AJV-style validation errors for the 400 `A0E-400-0003` answer.
#[derive(Default)]
struct Validator {
    errors: Vec<Value>,
}

impl Validator {
    fn err(&mut self, pointer: &str, detail: String) {
        self.errors
            .push(json!({"pointer": pointer, "detail": detail}));
    }

    fn field_err(&mut self, field: &str, detail: String) {
        self.errors
            .push(json!({"pointer": "", "field": field, "detail": detail}));
    }

    fn string(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        required: bool,
        min: usize,
        max: usize,
    ) -> Option<String> {
        match obj.get(key) {
            None => {
                if required {
                    self.err("", format!("data must have required property '{key}'"));
                }
                None
            }
            Some(Value::String(s)) => {
                let n = s.chars().count();
                if n < min {
                    self.err(
                        &format!("/{key}"),
                        format!("data/{key} must NOT have fewer than {min} characters"),
                    );
                } else if n > max {
                    self.err(
                        &format!("/{key}"),
                        format!("data/{key} must NOT have more than {max} characters"),
                    );
                }
                Some(s.clone())
            }
            Some(_) => {
                self.err(&format!("/{key}"), format!("data/{key} must be string"));
                None
            }
        }
    }

    fn only(&mut self, obj: &Map<String, Value>, allowed: &[&str]) {
        for k in obj.keys() {
            if !allowed.contains(&k.as_str()) {
                self.field_err(k, "data must NOT have additional properties".into());
            }
        }
    }

    fn finish(self) -> Result<(), Response> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(problem(
                400,
                "A0E-400-0003",
                "Validation Error",
                "Invalid request payload input",
                Some(json!({"validation_errors": self.errors})),
            ))
        }
    }
}

/// The checks every JSON write request of the My Account API starts with, in
/// Auth0's order: the Bearer token and its `scope`, the content type, a JSON
/// object body.
fn authorized_json_object(
    app: &App,
    headers: &HeaderMap,
    body: &[u8],
    scope: &str,
) -> Result<(AccessToken, Map<String, Value>), Response> {
    let at = authorize_me(app, headers, scope)?;
    require_json(headers)?;
    Ok((at, parse_object(body)?))
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => {
            let mut v = Validator::default();
            v.err("", "data must be object".into());
            Err(v
                .finish()
                .err()
                .unwrap_or_else(|| StatusCode::BAD_REQUEST.into_response()))
        }
    }
}

fn account_json(a: &ConnectedAccount) -> Value {
    json!({
        "id": a.id,
        "connection": a.connection,
        "access_type": "offline",
        "scopes": a.scopes,
        "created_at": rfc3339(a.created_at),
        "expires_at": rfc3339(a.expires_at),
    })
}
