//! Test-only control API under `/__emulator/...` (JSON in and out): request
//! log, minted secrets, device approval, connected-account sabotage, forced
//! expiry, clock, knobs, faults, latency, the model script, recorded writes
//! and reset. These requests are not themselves logged, delayed or faulted.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Duration;
use serde_json::{Value, json};

use crate::oauth::set_device_status;
use crate::state::*;
use crate::wire::{json_response, rfc3339};

type S = AxState<Arc<App>>;

fn bad(msg: &str) -> Response {
    json_response(400, json!({"error": msg}))
}

fn body_json(body: &[u8]) -> Result<Value, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| bad(&format!("invalid JSON: {e}")))
}

fn str_arg(v: &Value, key: &str) -> Result<String, Response> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| bad(&format!("missing string field '{key}'")))
}

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/__emulator/requests", get(requests).delete(clear_requests))
        .route("/__emulator/secrets", get(secrets))
        .route("/__emulator/env", get(env))
        .route("/__emulator/device/approve", post(device_approve))
        .route("/__emulator/device/deny", post(device_deny))
        .route("/__emulator/accounts", get(accounts))
        .route("/__emulator/accounts/add", post(accounts_add))
        .route("/__emulator/accounts/revoke-provider", post(acc_revoke))
        .route("/__emulator/accounts/no-refresh-token", post(acc_no_rt))
        .route("/__emulator/accounts/restore", post(acc_restore))
        .route("/__emulator/accounts/delete", post(acc_delete))
        .route("/__emulator/expire", post(expire))
        .route("/__emulator/clock", get(clock))
        .route("/__emulator/clock/advance", post(clock_advance))
        .route("/__emulator/knobs", get(knobs).post(set_knobs))
        .route(
            "/__emulator/faults",
            get(faults).post(add_faults).delete(clear_faults),
        )
        .route(
            "/__emulator/latency",
            get(latency).post(set_latency).delete(clear_latency),
        )
        .route(
            "/__emulator/model/script",
            get(script).post(add_script).delete(clear_script),
        )
        .route("/__emulator/writes", get(writes).delete(clear_writes))
        .route("/__emulator/reset", post(reset))
        .route("/__emulator/tenant", get(tenant))
        .route("/__emulator/tenant/misconfigure", post(misconfigure))
        .route("/__emulator/tenant/blank", post(blank))
}

/// The KEY=VALUE lines printed at start-up.
pub fn env_pairs(app: &App) -> Vec<(&'static str, String)> {
    let b = &app.base;
    // Providers, the model and the control API are reached directly, even
    // when devcontext reaches Auth0 through a proxy (`--public-url`).
    let l = &app.listen;
    vec![
        ("DEVCONTEXT_AUTH0_DOMAIN", b.clone()),
        ("DEVCONTEXT_AUTH0_CLIENT_ID", app.web.client_id.clone()),
        (
            "DEVCONTEXT_AUTH0_CLIENT_SECRET",
            app.web.secret.clone().unwrap_or_default(),
        ),
        ("DEVCONTEXT_AUTH0_AUDIENCE", API_AUDIENCE.into()),
        (
            "DEVCONTEXT_AUTH0_DEVICE_CLIENT_ID",
            app.device.client_id.clone(),
        ),
        ("DEVCONTEXT_AUTH0_API_CLIENT_ID", app.api.client_id.clone()),
        (
            "DEVCONTEXT_AUTH0_API_CLIENT_SECRET",
            app.api.secret.clone().unwrap_or_default(),
        ),
        (
            "DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_ID",
            app.mgmt.client_id.clone(),
        ),
        (
            "DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_SECRET",
            app.mgmt.secret.clone().unwrap_or_default(),
        ),
        ("DEVCONTEXT_GITHUB_API_URL", format!("{l}/github")),
        ("DEVCONTEXT_SLACK_API_URL", format!("{l}/slack/api")),
        ("DEVCONTEXT_CALENDAR_API_URL", format!("{l}/calendar/v3")),
        ("OPENAI_BASE_URL", format!("{l}/v1")),
        ("OPENAI_API_KEY", "emu-model-key".into()),
        ("DEVCONTEXT_EMULATOR_URL", l.clone()),
    ]
}

async fn env(AxState(app): S) -> Response {
    let mut m = serde_json::Map::new();
    for (k, v) in env_pairs(&app) {
        m.insert(k.into(), json!(v));
    }
    json_response(
        200,
        json!({"env": m, "clients": app.clients().iter().map(|c| json!(c)).collect::<Vec<_>>()}),
    )
}

async fn requests(AxState(app): S) -> Response {
    let st = app.lock();
    let mut log = st.log.clone();
    log.sort_by_key(|e| e.seq);
    json_response(200, json!(log))
}

async fn clear_requests(AxState(app): S) -> Response {
    let mut st = app.lock();
    let n = st.log.len();
    st.log.clear();
    json_response(200, json!({"cleared": n}))
}

async fn secrets(AxState(app): S) -> Response {
    let st = app.lock();
    let keys = |m: Vec<&String>| {
        let mut v: Vec<String> = m.into_iter().cloned().collect();
        v.sort();
        v
    };
    let mut provider: Vec<String> = st.provider_tokens.keys().cloned().collect();
    for a in &st.accounts {
        if let Some(t) = &a.token
            && !provider.contains(&t.access_token)
        {
            provider.push(t.access_token.clone());
        }
    }
    provider.sort();
    let sessions: Vec<&ConnectSession> = st.connect_sessions.values().collect();
    json_response(
        200,
        json!({
            "client_secrets": app.clients().iter().filter_map(|c| c.secret.clone()).collect::<Vec<_>>(),
            "refresh_tokens": keys(st.refresh_tokens.keys().collect()),
            "access_tokens": keys(st.access_tokens.keys().collect()),
            "provider_tokens": provider,
            "id_tokens": st.id_tokens,
            "device_codes": keys(st.device_codes.keys().collect()),
            "connect_codes": sessions.iter().filter_map(|s| s.connect_code.clone()).collect::<Vec<_>>(),
            "auth_codes": keys(st.auth_codes.keys().collect()),
            "mfa_tokens": st.mfa_tokens,
            "jwt_signing_key_hex": hex::encode(&app.jwt_key),
        }),
    )
}

async fn device_set(app: &App, body: &[u8], status: DeviceStatus) -> Response {
    let v = match body_json(body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let code = match str_arg(&v, "user_code") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut st = app.lock();
    match set_device_status(&mut st, &code, status) {
        Ok(()) => json_response(200, json!({"user_code": code, "status": status})),
        Err(e) => json_response(404, json!({"error": e})),
    }
}

async fn device_approve(AxState(app): S, body: Bytes) -> Response {
    device_set(&app, &body, DeviceStatus::Approved).await
}

async fn device_deny(AxState(app): S, body: Bytes) -> Response {
    device_set(&app, &body, DeviceStatus::Denied).await
}

fn account_view(a: &ConnectedAccount) -> Value {
    let mut v = json!(a);
    v["provider_token_expires_at"] = json!(a.token.as_ref().map(|t| rfc3339(t.expires_at)));
    v
}

async fn accounts(AxState(app): S) -> Response {
    let st = app.lock();
    json_response(
        200,
        json!(st.accounts.iter().map(account_view).collect::<Vec<_>>()),
    )
}

/// Links an account directly (no browser): {connection, login_hint?, scopes?}.
async fn accounts_add(AxState(app): S, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let connection = match str_arg(&v, "connection") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some((_, _, defaults)) = connection_info(&connection) else {
        return bad(&format!("unknown connection {connection}"));
    };
    let scopes: Vec<String> = match v.get("scopes") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect(),
        _ => defaults.iter().map(|s| s.to_string()).collect(),
    };
    let identity = identity_for_hint(&connection, v.get("login_hint").and_then(Value::as_str));
    let mut st = app.lock();
    if st.accounts.iter().any(|a| {
        a.connection == connection && a.identity.provider_user_id == identity.provider_user_id
    }) {
        return json_response(409, json!({"error": "account already linked"}));
    }
    let now = st.now();
    let id = format!("cac_{}", rand_alnum(22));
    st.accounts.push(ConnectedAccount {
        id: id.clone(),
        user: USER_SUB.into(),
        connection,
        scopes,
        identity,
        created_at: now,
        expires_at: now + Duration::days(180),
        provider_state: ProviderState::Ok,
        token: None,
    });
    st.provider_token_for(&id);
    let view = st.accounts.iter().find(|a| a.id == id).map(account_view);
    json_response(201, view.unwrap_or(Value::Null))
}

/// Applies `f` to the accounts of `connection` (optionally only the one matching `login_hint`).
fn with_accounts(app: &App, body: &[u8], f: impl Fn(&mut State, &str)) -> Response {
    let v = match body_json(body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let connection = match str_arg(&v, "connection") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let hint = v.get("login_hint").and_then(Value::as_str);
    let mut st = app.lock();
    let ids: Vec<String> = st
        .accounts
        .iter()
        .filter(|a| a.connection == connection)
        .filter(|a| {
            hint.is_none_or(|h| {
                a.identity.provider_user_id == h
                    || a.identity.login_hint_aliases.iter().any(|x| x == h)
            })
        })
        .map(|a| a.id.clone())
        .collect();
    if ids.is_empty() {
        return json_response(
            404,
            json!({"error": format!("no connected account for connection {connection}")}),
        );
    }
    for id in &ids {
        f(&mut st, id);
    }
    json_response(200, json!({"affected": ids}))
}

fn set_state(st: &mut State, id: &str, s: ProviderState) {
    if let Some(a) = st.account_mut(id) {
        a.provider_state = s;
    }
}

async fn acc_revoke(AxState(app): S, body: Bytes) -> Response {
    with_accounts(&app, &body, |st, id| {
        set_state(st, id, ProviderState::Revoked)
    })
}

async fn acc_no_rt(AxState(app): S, body: Bytes) -> Response {
    with_accounts(&app, &body, |st, id| {
        set_state(st, id, ProviderState::NoRefreshToken)
    })
}

async fn acc_restore(AxState(app): S, body: Bytes) -> Response {
    with_accounts(&app, &body, |st, id| set_state(st, id, ProviderState::Ok))
}

async fn acc_delete(AxState(app): S, body: Bytes) -> Response {
    with_accounts(&app, &body, |st, id| st.accounts.retain(|a| a.id != id))
}

async fn expire(AxState(app): S, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let what = match str_arg(&v, "what") {
        Ok(w) => w,
        Err(r) => return r,
    };
    let mut guard = app.lock();
    let st = &mut *guard;
    let now = st.now();
    let n = match what.as_str() {
        "provider_tokens" => {
            for a in &mut st.accounts {
                if let Some(t) = &mut a.token {
                    t.expires_at = t.expires_at.min(now);
                }
            }
            for t in st.provider_tokens.values_mut() {
                t.expires_at = t.expires_at.min(now);
            }
            st.provider_tokens.len()
        }
        "access_tokens" => {
            st.access_tokens
                .values_mut()
                .for_each(|t| t.force_expired = true);
            st.access_tokens.len()
        }
        "refresh_tokens" => {
            st.refresh_tokens
                .values_mut()
                .for_each(|t| t.expired = true);
            st.refresh_tokens.len()
        }
        "device_codes" => {
            st.device_codes
                .values_mut()
                .for_each(|d| d.expires_at = d.expires_at.min(now));
            st.device_codes.len()
        }
        "connect_sessions" => {
            st.connect_sessions
                .values_mut()
                .for_each(|s| s.expires_at = s.expires_at.min(now));
            st.connect_sessions.len()
        }
        other => {
            return bad(&format!(
                "unknown 'what' {other}: use provider_tokens, access_tokens, refresh_tokens, device_codes or connect_sessions"
            ));
        }
    };
    json_response(200, json!({"expired": what, "count": n}))
}

fn clock_view(st: &State) -> Value {
    json!({"now": rfc3339(st.now()), "offset_s": st.clock_offset_ms as f64 / 1000.0})
}

async fn clock(AxState(app): S) -> Response {
    json_response(200, clock_view(&app.lock()))
}

async fn clock_advance(AxState(app): S, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(secs) = v.get("seconds").and_then(Value::as_f64) else {
        return bad("missing number field 'seconds'");
    };
    let mut st = app.lock();
    st.clock_offset_ms += (secs * 1000.0) as i64;
    json_response(200, clock_view(&st))
}

async fn knobs(AxState(app): S) -> Response {
    json_response(200, json!(app.lock().knobs))
}

async fn set_knobs(AxState(app): S, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Value::Object(changes) = v else {
        return bad("knobs must be a JSON object");
    };
    let mut st = app.lock();
    let mut merged = json!(st.knobs);
    if let Value::Object(m) = &mut merged {
        for (k, val) in changes {
            if !m.contains_key(&k) {
                return bad(&format!("unknown knob '{k}'"));
            }
            m.insert(k, val);
        }
    }
    match serde_json::from_value::<Knobs>(merged) {
        Ok(k) => {
            st.knobs = k;
            json_response(200, json!(st.knobs))
        }
        Err(e) => bad(&format!("invalid knob value: {e}")),
    }
}

async fn faults(AxState(app): S) -> Response {
    json_response(200, json!(app.lock().faults))
}

async fn add_faults(AxState(app): S, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let list = match v {
        Value::Array(a) => a,
        other => vec![other],
    };
    let mut rules = Vec::new();
    for r in list {
        match serde_json::from_value::<FaultRule>(r) {
            Ok(rule) if rule.path_prefix.starts_with('/') => rules.push(rule),
            Ok(_) => return bad("path_prefix must start with '/'"),
            Err(e) => return bad(&format!("invalid fault rule: {e}")),
        }
    }
    let mut st = app.lock();
    st.faults.extend(rules);
    json_response(200, json!(st.faults))
}

async fn clear_faults(AxState(app): S) -> Response {
    app.lock().faults.clear();
    json_response(200, json!([]))
}

async fn latency(AxState(app): S) -> Response {
    json_response(200, json!(app.lock().latency))
}

async fn set_latency(AxState(app): S, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let rule: LatencyRule = match serde_json::from_value(v) {
        Ok(r) => r,
        Err(e) => return bad(&format!("invalid latency rule: {e}")),
    };
    let mut st = app.lock();
    st.latency
        .retain(|l| l.path_prefix != rule.path_prefix || l.after != rule.after);
    if rule.ms > 0 {
        st.latency.push(rule);
    }
    json_response(200, json!(st.latency))
}

async fn clear_latency(AxState(app): S) -> Response {
    app.lock().latency.clear();
    json_response(200, json!([]))
}

async fn script(AxState(app): S) -> Response {
    json_response(200, json!(app.lock().script))
}

async fn add_script(AxState(app): S, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let turns = match v {
        Value::Array(a) => a,
        other => vec![other],
    };
    for t in &turns {
        if let Err(e) = crate::model::validate_turn(t) {
            return bad(&e);
        }
    }
    let mut st = app.lock();
    st.script.extend(turns);
    json_response(200, json!({"queued": st.script.len()}))
}

async fn clear_script(AxState(app): S) -> Response {
    app.lock().script.clear();
    json_response(200, json!({"queued": 0}))
}

async fn writes(AxState(app): S) -> Response {
    json_response(200, json!(app.lock().writes))
}

async fn clear_writes(AxState(app): S) -> Response {
    app.lock().writes.clear();
    json_response(200, json!([]))
}

async fn reset(AxState(app): S) -> Response {
    let fresh = app.fresh_state();
    *app.lock() = fresh;
    json_response(200, json!({"reset": true}))
}

/// The tenant's configuration: clients' settings, APIs, grants, connections, MFA.
async fn tenant(AxState(app): S) -> Response {
    let st = app.lock();
    json_response(200, json!({"clients": st.clients, "tenant": st.tenant}))
}

/// Applies one misconfiguration: `{"what", "connection"?}` (connection
/// defaults to `sign-in-with-slack`).
async fn misconfigure(AxState(app): S, body: Bytes) -> Response {
    let v = match body_json(&body) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let what = match str_arg(&v, "what") {
        Ok(w) => w,
        Err(r) => return r,
    };
    let connection = v
        .get("connection")
        .and_then(Value::as_str)
        .unwrap_or(SLACK)
        .to_string();
    let mut st = app.lock();
    match crate::management::misconfigure(&app, &mut st, &what, &connection) {
        Ok(()) => json_response(
            200,
            json!({"misconfigured": what, "connection": connection}),
        ),
        Err(e) => bad(&e),
    }
}

/// Turns the tenant into one that `devcontext setup` has not configured yet.
async fn blank(AxState(app): S) -> Response {
    let mut st = app.lock();
    crate::management::blank(&app, &mut st);
    json_response(200, json!({"blank": true}))
}
