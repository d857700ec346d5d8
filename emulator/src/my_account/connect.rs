//! Connecting an account: `POST .../connect` starts a session and returns
//! the consent URL, `GET /connect` stands in for the provider's consent
//! screen, `POST .../complete` exchanges the code and records the account.

use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use serde_json::{Value, json};

use crate::state::*;
use crate::wire::*;

use super::{S, Validator, account_json, authorized_json_object};

fn valid_redirect(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

pub async fn connect(AxState(app): S, headers: HeaderMap, body: Bytes) -> Response {
    let (at, obj) =
        match authorized_json_object(&app, &headers, &body, "create:me:connected_accounts") {
            Ok(checked) => checked,
            Err(r) => return r,
        };
    let mut v = Validator::default();
    v.only(
        &obj,
        &[
            "connection",
            "redirect_uri",
            "state",
            "code_challenge",
            "code_challenge_method",
            "scopes",
            "authorization_params",
        ],
    );
    let connection = v.string(&obj, "connection", true, 1, 128);
    let redirect_uri = v.string(&obj, "redirect_uri", true, 1, 2048);
    let state = v.string(&obj, "state", false, 1, 4096);
    let challenge = v.string(&obj, "code_challenge", false, 43, 128);
    let method = v.string(&obj, "code_challenge_method", false, 1, 16);
    if let Some(m) = &method
        && m != "S256"
    {
        v.err(
            "/code_challenge_method",
            "data/code_challenge_method must be equal to one of the allowed values".into(),
        );
    }
    if challenge.is_some() && method.is_none() {
        v.err("", "data must have property 'code_challenge_method' when property 'code_challenge' is present".into());
    }
    if let Some(uri) = &redirect_uri
        && !valid_redirect(uri)
    {
        v.err(
            "/redirect_uri",
            "data/redirect_uri must match format \"uri\"".into(),
        );
    }
    let mut scopes: Option<Vec<String>> = None;
    match obj.get("scopes") {
        None => {}
        Some(Value::Array(items)) => {
            let mut out: Vec<String> = Vec::new();
            for (i, it) in items.iter().enumerate() {
                match it.as_str() {
                    Some(s) if !s.is_empty() => out.push(s.to_string()),
                    _ => v.err(
                        &format!("/scopes/{i}"),
                        format!("data/scopes/{i} must be a non-empty string"),
                    ),
                }
            }
            let mut dedup = out.clone();
            dedup.sort();
            dedup.dedup();
            if items.is_empty() {
                v.err(
                    "/scopes",
                    "data/scopes must NOT have fewer than 1 items".into(),
                );
            } else if items.len() > 100 {
                v.err(
                    "/scopes",
                    "data/scopes must NOT have more than 100 items".into(),
                );
            } else if dedup.len() != out.len() {
                v.err(
                    "/scopes",
                    "data/scopes must NOT have duplicate items".into(),
                );
            }
            scopes = Some(out);
        }
        Some(_) => v.err("/scopes", "data/scopes must be array".into()),
    }
    let mut login_hint = None;
    match obj.get("authorization_params") {
        None => {}
        Some(Value::Object(ap)) => {
            const ALLOWED: [&str; 9] = [
                "acr_values",
                "audience",
                "resource",
                "display",
                "id_token_hint",
                "login_hint",
                "max_age",
                "prompt",
                "ui_locales",
            ];
            for (k, val) in ap {
                if !ALLOWED.contains(&k.as_str()) {
                    v.errors.push(json!({
                        "pointer": "/authorization_params",
                        "field": k,
                        "detail": "data/authorization_params must NOT have additional properties",
                    }));
                } else if !(val.is_string() || (k == "max_age" && val.is_number())) {
                    v.err(
                        &format!("/authorization_params/{k}"),
                        format!("data/authorization_params/{k} must be string"),
                    );
                }
            }
            login_hint = ap
                .get("login_hint")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
        Some(_) => v.err(
            "/authorization_params",
            "data/authorization_params must be object".into(),
        ),
    }
    if let Err(r) = v.finish() {
        return r;
    }
    let (Some(connection), Some(redirect_uri)) = (connection, redirect_uri) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if connection_info(&connection).is_none()
        || !app
            .lock()
            .tenant
            .connection_usable(&connection, &at.client_id)
    {
        return problem(
            400,
            "A0E-400-0001",
            "Bad Request",
            &format!("Connection '{connection}' is not enabled for Connected Accounts"),
            None,
        );
    }
    let mut st = app.lock();
    let auth_session = format!("emu_as_{}", rand_alnum(40));
    let ticket = format!(
        "{}-{}-4{}-a{}-{}",
        rand_from(b"0123456789abcdef", 8),
        rand_from(b"0123456789abcdef", 4),
        rand_from(b"0123456789abcdef", 3),
        rand_from(b"0123456789abcdef", 3),
        rand_from(b"0123456789abcdef", 12)
    );
    let expires_at = st.now() + Duration::seconds(300);
    st.connect_sessions.insert(
        auth_session.clone(),
        ConnectSession {
            ticket: ticket.clone(),
            sub: at.sub,
            connection,
            redirect_uri,
            state,
            code_challenge: challenge,
            scopes,
            login_hint,
            expires_at,
            connect_code: None,
            granted_scopes: None,
            consumed: false,
        },
    );
    json_response(
        201,
        json!({
            "connect_uri": format!("{}/connect", app.listen),
            "auth_session": auth_session,
            "connect_params": {"ticket": ticket},
            "expires_in": 300,
        }),
    )
}

/// Browser simulation of the provider consent: `GET /connect?ticket=...`
/// auto-approves (optional `scopes=` overrides the granted scopes,
/// `action=deny` denies) and redirects to the session's `redirect_uri`.
pub async fn connect_page(AxState(app): S, RawQuery(q): RawQuery) -> Response {
    let p = query_map(q.as_deref());
    let Some(ticket) = p.get("ticket") else {
        return html(400, "Bad request", "Missing ticket");
    };
    let mut st = app.lock();
    let now = st.now();
    let deny = st.knobs.connect_deny || p.get("action").map(String::as_str) == Some("deny");
    let knob_scopes = st.knobs.connect_scopes.clone();
    let Some(sess) = st
        .connect_sessions
        .values_mut()
        .find(|s| &s.ticket == ticket && !s.consumed && s.expires_at > now)
    else {
        return html(
            400,
            "Invalid ticket",
            "The connect ticket is invalid or has expired.",
        );
    };
    let provider = match sess.connection.as_str() {
        GITHUB => "GitHub",
        SLACK => "Slack",
        _ => "Google",
    };
    let mut q: Vec<(&str, String)> = Vec::new();
    if deny {
        q.push(("error", "access_denied".into()));
        q.push((
            "error_description",
            format!("The user denied access to {provider}"),
        ));
    } else {
        let granted = p
            .get("scopes")
            .map(|s| split_scopes(s))
            .or(knob_scopes)
            .or_else(|| sess.scopes.clone())
            .unwrap_or_else(|| {
                connection_info(&sess.connection)
                    .map(|c| c.2.iter().map(|s| s.to_string()).collect())
                    .unwrap_or_default()
            });
        let code = format!("emu_cc_{}", rand_alnum(32));
        sess.connect_code = Some(code.clone());
        sess.granted_scopes = Some(granted);
        q.push(("connect_code", code));
    }
    if let Some(s) = &sess.state {
        q.push(("state", s.clone()));
    }
    let pairs: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    redirect(&with_query(&sess.redirect_uri, &pairs))
}

fn invalid_session() -> Response {
    problem(
        404,
        "A0E-404-0001",
        "Not Found",
        "Invalid or expired session",
        None,
    )
}

pub async fn complete(AxState(app): S, headers: HeaderMap, body: Bytes) -> Response {
    let (at, obj) =
        match authorized_json_object(&app, &headers, &body, "create:me:connected_accounts") {
            Ok(checked) => checked,
            Err(r) => return r,
        };
    let mut v = Validator::default();
    v.only(
        &obj,
        &[
            "auth_session",
            "connect_code",
            "redirect_uri",
            "code_verifier",
        ],
    );
    let auth_session = v.string(&obj, "auth_session", true, 1, 64);
    let connect_code = v.string(&obj, "connect_code", true, 1, 46);
    let redirect_uri = v.string(&obj, "redirect_uri", true, 1, 2048);
    let verifier = v.string(&obj, "code_verifier", false, 43, 128);
    if let Err(r) = v.finish() {
        return r;
    }
    let (Some(auth_session), Some(connect_code), Some(redirect_uri)) =
        (auth_session, connect_code, redirect_uri)
    else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let mut guard = app.lock();
    let st = &mut *guard;
    let now = st.now();
    let Some(sess) = st.connect_sessions.get_mut(&auth_session) else {
        return invalid_session();
    };
    if sess.sub != at.sub
        || sess.consumed
        || sess.expires_at <= now
        || sess.connect_code.as_deref() != Some(connect_code.as_str())
    {
        return invalid_session();
    }
    // Single use: the session is consumed by the first presentation of its code.
    sess.consumed = true;
    let sess = sess.clone();
    if sess.redirect_uri != redirect_uri {
        return invalid_session();
    }
    if let Some(ch) = &sess.code_challenge {
        match &verifier {
            Some(ver) if pkce_s256(ver) == *ch => {}
            _ => return invalid_session(),
        }
    }
    let identity = identity_for_hint(&sess.connection, sess.login_hint.as_deref());
    let scopes = sess.granted_scopes.clone().unwrap_or_default();
    let existing = st.accounts.iter().position(|a| {
        a.user == sess.sub
            && a.connection == sess.connection
            && a.identity.provider_user_id == identity.provider_user_id
    });
    let id = match existing {
        Some(i) => {
            // Re-connect (auth0-protocol.md §4.1a): the same account is
            // replaced in place, tokens and scopes alike (not merged).
            let a = &mut st.accounts[i];
            a.scopes = scopes;
            a.provider_state = ProviderState::Ok;
            a.expires_at = now + Duration::days(180);
            if let Some(t) = a.token.take()
                && let Some(pt) = st.provider_tokens.get_mut(&t.access_token)
            {
                pt.expires_at = now;
            }
            st.accounts[i].id.clone()
        }
        None => {
            let id = format!("cac_{}", rand_alnum(22));
            st.accounts.push(ConnectedAccount {
                id: id.clone(),
                user: sess.sub.clone(),
                connection: sess.connection.clone(),
                scopes,
                identity,
                created_at: now,
                expires_at: now + Duration::days(180),
                provider_state: ProviderState::Ok,
                token: None,
            });
            id
        }
    };
    st.provider_token_for(&id);
    let acc = st.accounts.iter().find(|a| a.id == id).map(account_json);
    json_response(201, acc.unwrap_or(Value::Null))
}
