//! Tokens the emulator's Auth0 issues: access tokens and ID tokens (HS256
//! JWTs), refresh tokens, each recorded in the state, and the token response
//! of a login.

use axum::response::Response;
use chrono::Duration;
use serde_json::json;

use crate::state::*;
use crate::wire::*;

/// Mints and records an Auth0 access token (HS256 JWT).
pub fn mint_access_token(
    app: &App,
    st: &mut State,
    client_id: &str,
    sub: &str,
    aud: Vec<String>,
    scopes: &[String],
) -> String {
    let now = st.now();
    let exp = now + Duration::seconds(AT_LIFETIME_S);
    let aud_claim = if aud.len() == 1 {
        json!(aud[0])
    } else {
        json!(aud)
    };
    let claims = json!({
        "iss": app.issuer(),
        "sub": sub,
        "aud": aud_claim,
        "iat": now.timestamp(),
        "exp": exp.timestamp(),
        "scope": scopes.join(" "),
        "azp": client_id,
        "jti": rand_alnum(20),
    });
    let token = jwt_sign(&app.jwt_key, &claims);
    st.access_tokens.insert(
        token.clone(),
        AccessToken {
            client_id: client_id.into(),
            sub: sub.into(),
            aud,
            scopes: scopes.to_vec(),
            expires_at: exp,
            force_expired: false,
        },
    );
    token
}

pub(super) fn mint_id_token(
    app: &App,
    st: &mut State,
    client_id: &str,
    nonce: Option<&str>,
) -> String {
    let now = st.now();
    let mut claims = json!({
        "iss": app.issuer(),
        "sub": USER_SUB,
        "aud": client_id,
        "iat": now.timestamp(),
        "exp": (now + Duration::seconds(36_000)).timestamp(),
        "name": USER_NAME,
        "nickname": USER_NICKNAME,
        "email": USER_EMAIL,
        "email_verified": true,
        "picture": "https://example.com/avatars/dana.png",
        "updated_at": "2026-01-15T08:00:00.000Z",
        "sid": rand_alnum(24),
    });
    if let Some(n) = nonce {
        claims["nonce"] = json!(n);
    }
    let t = jwt_sign(&app.jwt_key, &claims);
    st.id_tokens.push(t.clone());
    t
}

pub fn mint_refresh_token(
    st: &mut State,
    client_id: &str,
    sub: &str,
    audience: Option<String>,
    scopes: Vec<String>,
    family: Option<String>,
) -> String {
    let rt = format!("emu_rt_{}", rand_alnum(32));
    st.refresh_tokens.insert(
        rt.clone(),
        RefreshToken {
            client_id: client_id.into(),
            sub: sub.into(),
            audience,
            scopes,
            family: family.unwrap_or_else(|| rand_alnum(16)),
            used_at: None,
            successor: None,
            revoked: false,
            expired: false,
        },
    );
    rt
}

/// Token response of a login (authorization code or device code).
pub(super) fn login_response(
    app: &App,
    st: &mut State,
    client: &Client,
    scopes: &[String],
    audience: Option<&str>,
    nonce: Option<&str>,
) -> Response {
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let userinfo = format!("{}/userinfo", app.base);
    let aud = match audience {
        Some(a) if has("openid") => vec![a.to_string(), userinfo],
        Some(a) => vec![a.to_string()],
        None => vec![userinfo],
    };
    let at = mint_access_token(app, st, &client.client_id, USER_SUB, aud, scopes);
    let mut body = json!({
        "access_token": at,
        "expires_in": AT_LIFETIME_S,
        "scope": scopes.join(" "),
        "token_type": "Bearer",
    });
    if has("openid") {
        body["id_token"] = json!(mint_id_token(app, st, &client.client_id, nonce));
    }
    // With an audience, refresh tokens need the API's "Allow Offline Access".
    let offline_api = audience.is_none_or(|a| {
        st.tenant
            .resource_server(a)
            .is_some_and(|r| r.allow_offline_access)
    });
    if has("offline_access") && client.has_grant("refresh_token") && offline_api {
        body["refresh_token"] = json!(mint_refresh_token(
            st,
            &client.client_id,
            USER_SUB,
            audience.map(str::to_string),
            scopes.to_vec(),
            None
        ));
    }
    no_store(json_response(200, body))
}
