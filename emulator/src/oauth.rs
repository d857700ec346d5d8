//! Auth0's standard OAuth/OIDC surface: discovery, `/authorize` (code +
//! PKCE, auto-approved for the sample user), `/oauth/token` (client
//! authentication and grant dispatch: authorization code, refresh with MRRT
//! and rotation, device code, Token Vault), the device authorization
//! endpoint and its `/activate` page, `/oauth/revoke` and `/userinfo`.

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

fn mint_id_token(app: &App, st: &mut State, client_id: &str, nonce: Option<&str>) -> String {
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
fn login_response(
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

pub async fn token(AxState(app): S, headers: HeaderMap, body: Bytes) -> Response {
    let p = match parse_params(&headers, &body) {
        Ok(p) => p,
        Err(e) => return oauth_error(400, "invalid_request", &e),
    };
    let client = match authenticate_client(&app, &headers, &p) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(grant) = p.get("grant_type").filter(|g| !g.is_empty()) else {
        return oauth_error(
            400,
            "invalid_request",
            "Missing required parameter: grant_type",
        );
    };
    let mut st = app.lock();
    let disabled = grant == TV_GRANT && st.knobs.tokenvault_disabled;
    if !client.has_grant(grant) || disabled {
        return oauth_error(
            403,
            "unauthorized_client",
            &format!("Grant type '{grant}' not allowed for the client."),
        );
    }
    let client = &client;
    match grant.as_str() {
        "authorization_code" => code_grant(&app, &mut st, client, &p),
        "refresh_token" => refresh_grant(&app, &mut st, client, &p),
        "client_credentials" => client_credentials_grant(&app, &mut st, client, &p),
        DEVICE_GRANT => device_grant(&app, &mut st, client, &p),
        TV_GRANT => crate::token_vault::exchange(&mut st, client, &p),
        _ => oauth_error(
            403,
            "unauthorized_client",
            &format!("Grant type '{grant}' not allowed for the client."),
        ),
    }
}

fn missing(name: &str) -> Response {
    oauth_error(
        400,
        "invalid_request",
        &format!("Missing required parameter: {name}"),
    )
}

fn code_grant(app: &App, st: &mut State, client: &Client, p: &Params) -> Response {
    let Some(code) = p.get("code") else {
        return missing("code");
    };
    let now = st.now();
    let invalid = || oauth_error(403, "invalid_grant", "Invalid authorization code");
    let Some(rec) = st.auth_codes.get_mut(code) else {
        return invalid();
    };
    if rec.client_id != client.client_id || rec.used || now >= rec.expires_at {
        return invalid();
    }
    // Single use: consumed by the first presentation, whatever its outcome.
    rec.used = true;
    let rec = rec.clone();
    if p.get("redirect_uri") != Some(&rec.redirect_uri) {
        return oauth_error(
            403,
            "invalid_grant",
            "The redirect_uri MUST match the redirect_uri used in the authorization request.",
        );
    }
    let Some(verifier) = p.get("code_verifier") else {
        return oauth_error(
            403,
            "invalid_grant",
            "Parameter 'code_verifier' is required",
        );
    };
    if pkce_s256(verifier) != rec.code_challenge {
        return oauth_error(403, "invalid_grant", "Failed to verify code verifier");
    }
    login_response(
        app,
        st,
        client,
        &rec.scopes,
        rec.audience.as_deref(),
        rec.nonce.as_deref(),
    )
}

fn refresh_grant(app: &App, st: &mut State, client: &Client, p: &Params) -> Response {
    let Some(rt) = p.get("refresh_token") else {
        return missing("refresh_token");
    };
    let now = st.now();
    let invalid = || oauth_error(403, "invalid_grant", "Unknown or invalid refresh token.");
    let Some(rec) = st.refresh_tokens.get(rt).cloned() else {
        return invalid();
    };
    if rec.client_id != client.client_id || rec.revoked || rec.expired {
        return invalid();
    }
    if let Some(used_at) = rec.used_at {
        let leeway = st.knobs.rotation_leeway_s;
        let successor_active = rec
            .successor
            .as_ref()
            .and_then(|s| st.refresh_tokens.get(s))
            .is_some_and(|s| s.used_at.is_none() && !s.revoked);
        let allowed = leeway > 0 && (now - used_at).num_seconds() < leeway && successor_active;
        if !allowed {
            // Reuse detection: the whole family is revoked.
            for r in st.refresh_tokens.values_mut() {
                if r.family == rec.family {
                    r.revoked = true;
                }
            }
            return invalid();
        }
    }
    let requested_aud = p.get("audience").filter(|a| !a.is_empty()).cloned();
    let scope_param = p
        .get("scope")
        .map(|s| split_scopes(s))
        .filter(|s| !s.is_empty());
    // An audience no MRRT policy covers is ignored, with its scope: the
    // answer is for the original audience (Auth0's MRRT documentation).
    let ignored = requested_aud
        .as_ref()
        .is_some_and(|a| Some(a) != rec.audience.as_ref());
    let (aud, scopes, original) = match requested_aud {
        Some(a)
            if Some(&a) != rec.audience.as_ref()
                && client.mrrt_policies.iter().any(|pol| pol.audience == a) =>
        {
            // Multi-resource refresh token. Without a policy for the audience
            // Auth0 silently ignores it and answers for the original audience
            // (the `_` arm); with one, the API must exist, allow skipping
            // consent, and the client needs a user-access grant to it.
            let Some(rs) = st.tenant.resource_server(&a).cloned() else {
                return oauth_error(403, "access_denied", &format!("Service not found: {a}"));
            };
            let Some(grant) = st.tenant.user_grant(&client.client_id, &a).cloned() else {
                return oauth_error(
                    403,
                    "access_denied",
                    &format!(
                        "Client \"{}\" is not authorized to access resource server \"{a}\": it has no user-access client grant for it.",
                        client.client_id
                    ),
                );
            };
            if !rs.skip_consent_for_verifiable_first_party_clients {
                return oauth_error(
                    403,
                    "consent_required",
                    &format!(
                        "Consent required: \"{a}\" does not allow skipping user consent, which multi-resource refresh tokens need."
                    ),
                );
            }
            let policy = client
                .mrrt_policies
                .iter()
                .find(|pol| pol.audience == a)
                .cloned()
                .unwrap_or(MrrtPolicy {
                    audience: a.clone(),
                    scopes: vec![],
                });
            // Scopes outside the policy or the grant are dropped, not refused.
            let allowed = |s: &String| policy.scopes.contains(s) && grant.scope.contains(s);
            let scopes: Vec<String> = match scope_param {
                Some(req) => req.into_iter().filter(allowed).collect(),
                None => policy
                    .scopes
                    .iter()
                    .filter(|s| allowed(s))
                    .cloned()
                    .collect(),
            };
            (vec![a], scopes, false)
        }
        _ => {
            let scope_param = if ignored { None } else { scope_param };
            let scopes = match scope_param {
                Some(req) => {
                    if let Some(bad) = req.iter().find(|s| !rec.scopes.contains(s)) {
                        return oauth_error(
                            403,
                            "access_denied",
                            &format!(
                                "Requested scope '{bad}' exceeds the scopes of the refresh token"
                            ),
                        );
                    }
                    req
                }
                None => rec.scopes.clone(),
            };
            let has_openid = scopes.iter().any(|s| s == "openid");
            let userinfo = format!("{}/userinfo", app.base);
            let aud = match &rec.audience {
                Some(a) if has_openid => vec![a.clone(), userinfo],
                Some(a) => vec![a.clone()],
                None => vec![userinfo],
            };
            (aud, scopes, true)
        }
    };
    let at = mint_access_token(app, st, &client.client_id, &rec.sub, aud, &scopes);
    let mut body = json!({
        "access_token": at,
        "expires_in": AT_LIFETIME_S,
        "scope": scopes.join(" "),
        "token_type": "Bearer",
    });
    if original && scopes.iter().any(|s| s == "openid") {
        body["id_token"] = json!(mint_id_token(app, st, &client.client_id, None));
    }
    if st.rotating(&client.client_id) {
        let new_rt = mint_refresh_token(
            st,
            &client.client_id,
            &rec.sub,
            rec.audience.clone(),
            rec.scopes.clone(),
            Some(rec.family.clone()),
        );
        if let Some(old) = st.refresh_tokens.get_mut(rt)
            && old.used_at.is_none()
        {
            old.used_at = Some(now);
            old.successor = Some(new_rt.clone());
        }
        body["refresh_token"] = json!(new_rt);
    }
    no_store(json_response(200, body))
}

/// Client credentials (the Management API for `devcontext setup`): needs a
/// `client` client grant for the audience; the token carries its scopes.
fn client_credentials_grant(app: &App, st: &mut State, client: &Client, p: &Params) -> Response {
    let Some(audience) = p.get("audience").filter(|a| !a.is_empty()) else {
        return missing("audience");
    };
    let Some(grant) = st.tenant.client_grant(&client.client_id, audience).cloned() else {
        return oauth_error(
            403,
            "access_denied",
            &format!(
                "Client is not authorized to access \"{audience}\". You need to create a \"client-grant\" associated to this API."
            ),
        );
    };
    let scopes = match p.get("scope").map(|s| split_scopes(s)) {
        Some(req) if !req.is_empty() => req
            .into_iter()
            .filter(|s| grant.scope.contains(s))
            .collect(),
        _ => grant.scope.clone(),
    };
    let at = mint_access_token(
        app,
        st,
        &client.client_id,
        &client.client_id,
        vec![audience.clone()],
        &scopes,
    );
    no_store(json_response(
        200,
        json!({"access_token": at, "expires_in": AT_LIFETIME_S, "scope": scopes.join(" "), "token_type": "Bearer"}),
    ))
}

fn device_grant(app: &App, st: &mut State, client: &Client, p: &Params) -> Response {
    let Some(dc) = p.get("device_code") else {
        return missing("device_code");
    };
    let now = st.now();
    let invalid = || oauth_error(403, "invalid_grant", "Invalid or expired device code.");
    let Some(rec) = st.device_codes.get_mut(dc) else {
        return invalid();
    };
    if rec.client_id != client.client_id || rec.consumed {
        return invalid();
    }
    if now >= rec.expires_at {
        if rec.expired_reported {
            return invalid();
        }
        rec.expired_reported = true;
        return oauth_error(
            403,
            "expired_token",
            "The device code has expired. Please start over.",
        );
    }
    if let Some(last) = rec.last_poll_at {
        // 100 ms tolerance for scheduling jitter.
        if (now - last).num_milliseconds() < rec.interval_s * 1000 - 100 {
            rec.interval_s += 5;
            rec.last_poll_at = Some(now);
            let msg = format!(
                "You are polling faster than allowed. Try again in {} seconds.",
                rec.interval_s
            );
            return oauth_error(429, "slow_down", &msg);
        }
    }
    rec.last_poll_at = Some(now);
    match rec.status {
        DeviceStatus::Pending => oauth_error(
            403,
            "authorization_pending",
            "User has yet to authorize device code.",
        ),
        DeviceStatus::Denied => oauth_error(
            403,
            "access_denied",
            "User cancelled the confirmation prompt or consent page.",
        ),
        DeviceStatus::Approved => {
            rec.consumed = true;
            let rec = rec.clone();
            login_response(app, st, client, &rec.scopes, rec.audience.as_deref(), None)
        }
    }
}

const USER_CODE_CHARS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

pub async fn device_code(AxState(app): S, headers: HeaderMap, body: Bytes) -> Response {
    let p = match parse_params(&headers, &body) {
        Ok(p) => p,
        Err(e) => return oauth_error(400, "invalid_request", &e),
    };
    let Some(id) = p.get("client_id") else {
        return missing("client_id");
    };
    let Some(client) = app.client(id) else {
        return oauth_error(403, "unauthorized_client", "Unauthorized or unknown client");
    };
    if client.app_type != AppType::Native
        || client.token_endpoint_auth_method != "none"
        || !client.has_grant(DEVICE_GRANT)
    {
        return oauth_error(
            403,
            "unauthorized_client",
            &format!("Grant type '{DEVICE_GRANT}' not allowed for the client."),
        );
    }
    let audience = p.get("audience").filter(|a| !a.is_empty()).cloned();
    if let Some(a) = &audience
        && app.lock().tenant.resource_server(a).is_none()
    {
        return oauth_error(403, "access_denied", &format!("Service not found: {a}"));
    }
    let mut scopes = split_scopes(p.get("scope").map(String::as_str).unwrap_or(""));
    if scopes.is_empty() {
        scopes.push("openid".into());
    }
    let device_code = format!("emu_dc_{}", rand_alnum(32));
    let user_code = format!(
        "{}-{}",
        rand_from(USER_CODE_CHARS, 4),
        rand_from(USER_CODE_CHARS, 4)
    );
    let mut st = app.lock();
    let interval = st.knobs.device_interval.max(0);
    let expires_at = st.now() + Duration::seconds(900);
    st.device_codes.insert(
        device_code.clone(),
        DeviceCode {
            client_id: client.client_id.clone(),
            user_code: user_code.clone(),
            scopes,
            audience,
            status: DeviceStatus::Pending,
            interval_s: interval,
            last_poll_at: None,
            expires_at,
            expired_reported: false,
            consumed: false,
        },
    );
    let verification_uri = format!("{}/activate", app.listen);
    no_store(json_response(
        200,
        json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": with_query(&verification_uri, &[("user_code", &user_code)]),
            "expires_in": 900,
            "interval": interval,
        }),
    ))
}

fn normalize_user_code(c: &str) -> String {
    c.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Approves or denies a pending device code; returns a message on failure.
pub fn set_device_status(
    st: &mut State,
    user_code: &str,
    status: DeviceStatus,
) -> Result<(), String> {
    let want = normalize_user_code(user_code);
    let now = st.now();
    let rec = st
        .device_codes
        .values_mut()
        .find(|d| normalize_user_code(&d.user_code) == want)
        .ok_or_else(|| format!("unknown user_code {user_code}"))?;
    if rec.consumed || now >= rec.expires_at {
        return Err(format!(
            "user_code {user_code} has expired or was already used"
        ));
    }
    rec.status = status;
    Ok(())
}

/// Device activation page (browser simulation): `?user_code=` approves it,
/// `&action=deny` denies it.
pub async fn activate(AxState(app): S, RawQuery(q): RawQuery) -> Response {
    let p = query_map(q.as_deref());
    let Some(code) = p.get("user_code") else {
        return html(
            200,
            "Device Activation",
            "<form method=\"get\"><input name=\"user_code\" placeholder=\"XXXX-XXXX\"><button>Continue</button></form>",
        );
    };
    let deny = p.get("action").map(String::as_str) == Some("deny");
    let status = if deny {
        DeviceStatus::Denied
    } else {
        DeviceStatus::Approved
    };
    let mut st = app.lock();
    match set_device_status(&mut st, code, status) {
        Ok(()) if deny => html(200, "Device denied", "The device login was denied."),
        Ok(()) => html(
            200,
            "Congratulations, you're all set!",
            "Your device is now connected. You can return to your terminal.",
        ),
        Err(e) => html(404, "Invalid code", &e),
    }
}

pub async fn revoke(AxState(app): S, headers: HeaderMap, body: Bytes) -> Response {
    let p = match parse_params(&headers, &body) {
        Ok(p) => p,
        Err(e) => return oauth_error(400, "invalid_request", &e),
    };
    let client = match authenticate_client(&app, &headers, &p) {
        Ok(c) => c,
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
