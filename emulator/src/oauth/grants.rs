//! `POST /oauth/token`: client authentication, then one function per grant
//! (authorization code, refresh with MRRT and rotation, client credentials,
//! device code; Token Vault exchanges go to `token_vault`).

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use crate::state::*;
use crate::wire::*;

use super::mint::*;
use super::{S, client_request, missing};

pub async fn token(AxState(app): S, headers: HeaderMap, body: Bytes) -> Response {
    let (p, client) = match client_request(&app, &headers, &body) {
        Ok(checked) => checked,
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
