//! The device flow: `POST /oauth/device/code`, the `/activate` page that
//! approves or denies a code (browser simulation), and the control API's
//! hook for the same.

use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Duration;
use serde_json::json;

use crate::state::*;
use crate::wire::*;

use super::{S, missing};

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
