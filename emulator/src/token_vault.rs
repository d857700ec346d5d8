//! The Token Vault grant
//! (`urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token`),
//! with the check order of auth0-protocol.md §7.2: client kind → required
//! parameters → subject token → rotation → connected account (+login_hint)
//! → provider state → cached or freshly minted provider token.

use serde_json::json;

use crate::state::*;
use crate::wire::*;

pub fn exchange(st: &mut State, client: &Client, p: &Params) -> axum::response::Response {
    // 1. Client must be confidential and first-party (grant enabled was checked by the caller).
    if !client.is_confidential() || !client.is_first_party {
        return oauth_error(
            403,
            "unauthorized_client",
            &format!("Grant type '{TV_GRANT}' not allowed for the client."),
        );
    }
    // 2. Required parameters.
    for name in [
        "subject_token",
        "subject_token_type",
        "requested_token_type",
        "connection",
    ] {
        if p.get(name).is_none_or(|v| v.is_empty()) {
            return oauth_error(
                400,
                "invalid_request",
                &format!("Missing required parameter: {name}"),
            );
        }
    }
    let subject = &p["subject_token"];
    let stt = p["subject_token_type"].as_str();
    let connection = &p["connection"];
    if stt != URN_REFRESH_TOKEN_TYPE && stt != URN_ACCESS_TOKEN_TYPE {
        return oauth_error(
            400,
            "invalid_request",
            &format!("Unsupported subject_token_type: {stt}"),
        );
    }
    if p["requested_token_type"] != FED_TOKEN_TYPE {
        return oauth_error(
            400,
            "invalid_request",
            &format!(
                "Unsupported requested_token_type: {} (expected {FED_TOKEN_TYPE})",
                p["requested_token_type"]
            ),
        );
    }
    // 3. Subject token.
    let sub = if stt == URN_REFRESH_TOKEN_TYPE {
        let rec = st.refresh_tokens.get(subject.as_str()).cloned();
        let Some(rec) = rec.filter(|r| {
            r.client_id == client.client_id && !r.revoked && !r.expired && r.used_at.is_none()
        }) else {
            return oauth_error(401, "invalid_grant", "Unknown or invalid refresh token.");
        };
        // 4. Refresh-token exchange is incompatible with rotation.
        if st.rotating(&client.client_id) {
            return oauth_error(
                403,
                "unauthorized_client",
                "Refresh token exchange with Token Vault is not supported when refresh token rotation is enabled for the client.",
            );
        }
        (rec.sub, rec.client_id)
    } else {
        let Some(rsi) = client.resource_server_identifier.as_ref() else {
            return oauth_error(
                403,
                "unauthorized_client",
                "This client is not a resource server and cannot exchange access tokens.",
            );
        };
        let known = st.access_tokens.contains_key(subject.as_str());
        let Some(at) = st.valid_access_token(subject) else {
            let desc = if known {
                "The subject token has expired."
            } else {
                "Invalid subject token."
            };
            return oauth_error(401, "invalid_grant", desc);
        };
        if !at.aud.iter().any(|a| a == rsi) {
            return oauth_error(
                401,
                "invalid_grant",
                "The subject token audience does not match the resource server of the calling client.",
            );
        }
        (at.sub, at.client_id)
    };
    let (sub, session_client) = sub;
    if st.mfa_always() {
        let mfa_token = format!("emu_mfa_{}", rand_alnum(32));
        st.mfa_tokens.push(mfa_token.clone());
        return no_store(json_response(
            403,
            json!({
                "error": "mfa_required",
                "error_description": "Multifactor authentication required",
                "mfa_token": mfa_token,
            }),
        ));
    }
    // 5. Connected account for the connection (+ login_hint).
    let hint = p
        .get("login_hint")
        .map(|h| h.trim())
        .filter(|h| !h.is_empty());
    let matches_hint = |a: &ConnectedAccount| match hint {
        None => true,
        Some(h) => {
            a.identity.provider_user_id == h
                || a.identity
                    .login_hint_aliases
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(h))
        }
    };
    let account = st
        .accounts
        .iter()
        .find(|a| a.user == sub && &a.connection == connection && matches_hint(a))
        .cloned();
    let not_found = || {
        oauth_error(
            401,
            "federated_connection_refresh_token_not_found",
            "Federated connection Refresh Token not found.",
        )
    };
    let Some(account) = account else {
        return not_found();
    };
    // The connection must still offer Connected Accounts to the application
    // that holds the user's session (§3.6: "connection not enabled" is the
    // same 401 as "not connected").
    if !st.tenant.connection_usable(connection, &session_client) {
        return not_found();
    }
    // 6. Provider state.
    match account.provider_state {
        ProviderState::NoRefreshToken => return not_found(),
        ProviderState::Revoked => {
            return oauth_error(
                401,
                "federated_connection_refresh_token_flow_failed",
                "Refresh Token flow for the Federated Connection failed",
            );
        }
        ProviderState::Ok => {}
    }
    // 7. Cached provider token or a new one.
    let Some((token, remaining)) = st.provider_token_for(&account.id) else {
        return not_found();
    };
    let mut scopes = account.scopes.clone();
    if st.knobs.downscope
        && let Some(req) = p
            .get("scope")
            .map(|s| split_scopes(s))
            .filter(|s| !s.is_empty())
    {
        scopes.retain(|s| req.contains(s));
    }
    let knobs = &st.knobs;
    let mut body = json!({
        "access_token": token,
        "issued_token_type": if knobs.issued_token_type_urn { URN_ACCESS_TOKEN_TYPE } else { FED_TOKEN_TYPE },
        "token_type": "Bearer",
    });
    if !knobs.omit_expires_in {
        body["expires_in"] = json!(remaining);
    }
    if !knobs.omit_scope && !scopes.is_empty() {
        let sep = if knobs.comma_scopes { "," } else { " " };
        body["scope"] = json!(scopes.join(sep));
    }
    no_store(json_response(200, body))
}
