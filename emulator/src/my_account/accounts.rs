//! The connected accounts themselves: list them (per connection, paged),
//! the connections available for Connected Accounts, read and delete one.

use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::state::*;
use crate::wire::*;

use super::{S, Validator, account_json, authorize_me};

pub async fn list_accounts(AxState(app): S, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let at = match authorize_me(&app, &headers, "read:me:connected_accounts") {
        Ok(a) => a,
        Err(r) => return r,
    };
    let pairs = query_pairs(q.as_deref());
    let mut v = Validator::default();
    let connections: Vec<&String> = pairs
        .iter()
        .filter(|(k, _)| k == "connection")
        .map(|(_, val)| val)
        .collect();
    if connections.len() > 20 {
        v.err(
            "/connection",
            "querystring/connection must NOT have more than 20 items".into(),
        );
    }
    let mut take = 10usize;
    let mut offset = 0usize;
    for (k, val) in &pairs {
        match k.as_str() {
            "take" => match val.parse::<usize>() {
                Ok(n) if (1..=20).contains(&n) => take = n,
                _ => v.err(
                    "/take",
                    "querystring/take must be an integer between 1 and 20".into(),
                ),
            },
            "from" | "next" => match cursor_decode(val) {
                Some(o) => offset = o,
                None => v.err(
                    &format!("/{k}"),
                    format!("querystring/{k} is not a valid cursor"),
                ),
            },
            _ => {}
        }
    }
    if let Err(r) = v.finish() {
        return r;
    }
    let st = app.lock();
    let all: Vec<&ConnectedAccount> = st
        .accounts
        .iter()
        .filter(|a| a.user == at.sub)
        .filter(|a| connections.is_empty() || connections.contains(&&a.connection))
        .collect();
    let page: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(take)
        .map(|a| account_json(a))
        .collect();
    let mut body = json!({"accounts": page});
    if offset + take < all.len() {
        body["next"] = json!(cursor_encode(offset + take));
    }
    json_response(200, body)
}

pub async fn list_connections(AxState(app): S, headers: HeaderMap) -> Response {
    let at = match authorize_me(&app, &headers, "read:me:connected_accounts") {
        Ok(a) => a,
        Err(r) => return r,
    };
    let st = app.lock();
    let conns: Vec<Value> = CONNECTIONS
        .iter()
        .filter(|(name, _, _)| st.tenant.connection_usable(name, &at.client_id))
        .map(|(name, strategy, scopes)| json!({"name": name, "strategy": strategy, "scopes": scopes}))
        .collect();
    json_response(200, json!({"connections": conns}))
}

fn valid_account_id(id: &str) -> bool {
    id.strip_prefix("cac_")
        .is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric()))
}

pub async fn delete_account(
    AxState(app): S,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let at = match authorize_me(&app, &headers, "delete:me:connected_accounts") {
        Ok(a) => a,
        Err(r) => return r,
    };
    if !valid_account_id(&id) {
        let mut v = Validator::default();
        v.err(
            "/id",
            "params/id must match pattern \"^cac_[A-Za-z0-9]+$\"".into(),
        );
        return v
            .finish()
            .err()
            .unwrap_or_else(|| StatusCode::BAD_REQUEST.into_response());
    }
    let mut st = app.lock();
    let before = st.accounts.len();
    st.accounts.retain(|a| !(a.id == id && a.user == at.sub));
    if st.accounts.len() == before {
        return problem(
            404,
            "A0E-404-0002",
            "Not Found",
            "Connected account not found",
            None,
        );
    }
    StatusCode::NO_CONTENT.into_response()
}

pub async fn get_account(AxState(app): S, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let at = match authorize_me(&app, &headers, "read:me:connected_accounts") {
        Ok(a) => a,
        Err(r) => return r,
    };
    let st = app.lock();
    match st.accounts.iter().find(|a| a.id == id && a.user == at.sub) {
        Some(a) => json_response(200, account_json(a)),
        None => problem(
            404,
            "A0E-404-0002",
            "Not Found",
            "Connected account not found",
            None,
        ),
    }
}
