//! Auth0's standard OAuth/OIDC surface: discovery, `/authorize` (code +
//! PKCE, auto-approved for the sample user), `/oauth/token` (client
//! authentication and grant dispatch: authorization code, refresh with MRRT
//! and rotation, device code, Token Vault), the device authorization
//! endpoint and its `/activate` page, `/oauth/revoke` and `/userinfo`.
//!
//! This module holds discovery, `/authorize`, client authentication,
//! revocation and userinfo; minting tokens is in `mint`, the token endpoint's
//! grants in `grants`, the device flow in `device`.

mod device;
mod grants;
mod mint;

pub use device::{activate, device_code, set_device_status};
pub use grants::token;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde_json::{Value, json};

use crate::state::*;
use crate::wire::*;

type S = AxState<Arc<App>>;

pub async fn discovery(AxState(app): S) -> Response {
    let b = &app.base;
    json_response(
        200,
        json!({
            "issuer": app.issuer(),
            "authorization_endpoint": format!("{b}/authorize"),
            "token_endpoint": format!("{b}/oauth/token"),
            "device_authorization_endpoint": format!("{b}/oauth/device/code"),
            "userinfo_endpoint": format!("{b}/userinfo"),
            "jwks_uri": format!("{b}/.well-known/jwks.json"),
            "revocation_endpoint": format!("{b}/oauth/revoke"),
            "end_session_endpoint": format!("{b}/oidc/logout"),
            "scopes_supported": ["openid", "profile", "offline_access", "name", "given_name",
                "family_name", "nickname", "email", "email_verified", "picture", "created_at",
                "identities", "phone", "address"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["public"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "id_token_signing_alg_values_supported": ["HS256"],
            "claims_supported": ["aud", "auth_time", "created_at", "email", "email_verified",
                "exp", "family_name", "given_name", "iat", "identities", "iss", "name",
                "nickname", "phone_number", "picture", "sub"],
            "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_GRANT, TV_GRANT],
            "request_uri_parameter_supported": false,
            "request_parameter_supported": false,
        }),
    )
}

pub async fn jwks() -> Response {
    // Tokens are HS256 with a per-run secret key, which must not be published.
    json_response(200, json!({"keys": []}))
}

pub async fn logout(RawQuery(q): RawQuery) -> Response {
    let p = query_map(q.as_deref());
    match p.get("returnTo").or(p.get("post_logout_redirect_uri")) {
        Some(to) => redirect(to),
        None => html(200, "Logged out", "You have been logged out."),
    }
}

pub async fn authorize(AxState(app): S, RawQuery(q): RawQuery) -> Response {
    let p = query_map(q.as_deref());
    let Some(client) = p.get("client_id").and_then(|id| app.client(id)) else {
        return html(400, "Unknown client", "Unknown or missing client_id.");
    };
    let Some(redirect_uri) = p.get("redirect_uri") else {
        return html(
            400,
            "Bad request",
            "Missing required parameter: redirect_uri",
        );
    };
    if !is_loopback_redirect(redirect_uri) {
        return html(
            400,
            "Callback URL mismatch",
            &format!(
                "The provided redirect_uri is not in the list of allowed callback URLs (loopback http only): {redirect_uri}"
            ),
        );
    }
    let state = p.get("state").cloned();
    let fail = |error: &str, desc: &str| {
        let mut q = vec![("error", error), ("error_description", desc)];
        if let Some(s) = &state {
            q.push(("state", s));
        }
        redirect(&with_query(redirect_uri, &q))
    };
    if !client.has_grant("authorization_code") {
        return fail(
            "unauthorized_client",
            "Grant type 'authorization_code' not allowed for the client.",
        );
    }
    let response_type = p.get("response_type").map(String::as_str).unwrap_or("");
    if response_type != "code" {
        return fail(
            "unsupported_response_type",
            &format!("Unsupported response type: {response_type}"),
        );
    }
    let Some(challenge) = p.get("code_challenge") else {
        return fail(
            "invalid_request",
            "Parameter 'code_challenge' is required (PKCE).",
        );
    };
    if p.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return fail(
            "invalid_request",
            "Parameter 'code_challenge_method' must be 'S256'.",
        );
    }
    if challenge.len() < 43 || challenge.len() > 128 {
        return fail(
            "invalid_request",
            "Parameter 'code_challenge' must be 43-128 characters.",
        );
    }
    let audience = p.get("audience").filter(|a| !a.is_empty()).cloned();
    if let Some(a) = &audience
        && app.lock().tenant.resource_server(a).is_none()
    {
        return fail("access_denied", &format!("Service not found: {a}"));
    }
    let mut st = app.lock();
    if st.knobs.login_deny {
        return fail("access_denied", "User did not authorize the request");
    }
    let mut scopes = split_scopes(p.get("scope").map(String::as_str).unwrap_or(""));
    if scopes.is_empty() {
        scopes.push("openid".into());
    }
    let code = format!("emu_ac_{}", rand_alnum(32));
    let expires_at = st.now() + Duration::seconds(600);
    st.auth_codes.insert(
        code.clone(),
        AuthCode {
            client_id: client.client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            code_challenge: challenge.clone(),
            scopes,
            audience,
            nonce: p.get("nonce").cloned(),
            expires_at,
            used: false,
        },
    );
    drop(st);
    let mut q = vec![("code", code.as_str())];
    if let Some(s) = &state {
        q.push(("state", s));
    }
    redirect(&with_query(redirect_uri, &q))
}

/// Client authentication at the token and revocation endpoints.
/// The parameters of a token-endpoint style request (form or JSON) and the
/// client they authenticate: the start of `/oauth/token` and `/oauth/revoke`.
pub fn client_request(
    app: &App,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Params, Client), Response> {
    let p = parse_params(headers, body).map_err(|e| oauth_error(400, "invalid_request", &e))?;
    let client = authenticate_client(app, headers, &p)?;
    Ok((p, client))
}

pub fn authenticate_client(app: &App, headers: &HeaderMap, p: &Params) -> Result<Client, Response> {
    let unauthorized = || oauth_error(401, "access_denied", "Unauthorized");
    let basic = basic(headers);
    let body_id = p.get("client_id").filter(|s| !s.is_empty());
    let body_secret = p.get("client_secret").filter(|s| !s.is_empty());
    if p.contains_key("client_assertion") {
        return Err(oauth_error(
            401,
            "invalid_client",
            "client_assertion is not supported by the emulator",
        ));
    }
    if basic.is_some() && body_secret.is_some() {
        // Two authentication methods at once.
        return Err(unauthorized());
    }
    let id = match (&basic, body_id) {
        (Some((bid, _)), Some(id)) if bid != id => return Err(unauthorized()),
        (Some((bid, _)), _) => bid.clone(),
        (None, Some(id)) => id.clone(),
        (None, None) => return Err(unauthorized()),
    };
    let client = app.client(&id).ok_or_else(unauthorized)?;
    if let Some(secret) = &client.secret {
        let given = basic
            .as_ref()
            .map(|(_, s)| s.clone())
            .or_else(|| body_secret.cloned());
        match given {
            Some(g) if &g == secret => {}
            _ => return Err(unauthorized()),
        }
    }
    Ok(client)
}

/// The 400 `invalid_request` answer for a missing parameter.
fn missing(name: &str) -> Response {
    oauth_error(
        400,
        "invalid_request",
        &format!("Missing required parameter: {name}"),
    )
}

pub async fn revoke(AxState(app): S, headers: HeaderMap, body: Bytes) -> Response {
    let (p, client) = match client_request(&app, &headers, &body) {
        Ok(checked) => checked,
        Err(r) => return r,
    };
    let Some(token) = p.get("token").filter(|t| !t.is_empty()) else {
        return missing("token");
    };
    let mut st = app.lock();
    if let Some(rt) = st.refresh_tokens.get_mut(token)
        && rt.client_id == client.client_id
    {
        rt.revoked = true;
    }
    // Auth0 answers 200 with an empty text/plain body (its OpenAPI description).
    no_store((StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "").into_response())
}

pub async fn userinfo(AxState(app): S, headers: HeaderMap) -> Response {
    let token = bearer(&headers);
    let at = {
        let st = app.lock();
        token.and_then(|t| st.valid_access_token(&t))
    };
    let Some(at) = at.filter(|a| a.scopes.iter().any(|s| s == "openid")) else {
        let mut r = (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        return r;
    };
    let has = |s: &str| at.scopes.iter().any(|x| x == s);
    let mut claims = json!({"sub": at.sub});
    if has("profile") {
        claims["name"] = json!(USER_NAME);
        claims["nickname"] = json!(USER_NICKNAME);
        claims["picture"] = json!("https://example.com/avatars/dana.png");
        claims["updated_at"] = json!("2026-01-15T08:00:00.000Z");
    }
    if has("email") {
        claims["email"] = json!(USER_EMAIL);
        claims["email_verified"] = Value::Bool(true);
    }
    json_response(200, claims)
}
