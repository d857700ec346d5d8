//! `/api/v2/connections`: the applications a connection is enabled for and
//! whether it takes part in Connected Accounts.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::{S, authorize, body_object, bool_field, mgmt_error, only, strings};
use crate::management::*;
use crate::wire::*;

fn connection_json(c: &Connection) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "strategy": c.strategy,
        "enabled_clients": c.enabled_clients,
        "connected_accounts": {"active": c.connected_accounts_active},
        "options": {},
    })
}

pub(super) async fn list_connections(
    AxState(app): S,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Err(r) = authorize(&app, &headers, "read:connections") {
        return r;
    }
    let p = query_map(q.as_deref());
    let st = app.lock();
    let list: Vec<Value> = st
        .tenant
        .connections
        .iter()
        .filter(|c| p.get("name").is_none_or(|n| *n == c.name))
        .filter(|c| p.get("strategy").is_none_or(|s| *s == c.strategy))
        .map(connection_json)
        .collect();
    json_response(200, json!(list))
}

pub(super) async fn patch_connection(
    AxState(app): S,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&app, &headers, "update:connections") {
        return r;
    }
    let obj = match body_object(&body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    if let Err(r) = only(&obj, &["enabled_clients", "connected_accounts", "options"]) {
        return r;
    }
    let mut st = app.lock();
    let known: Vec<String> = st.clients.iter().map(|c| c.client_id.clone()).collect();
    let Some(c) = st.tenant.connections.iter_mut().find(|c| c.id == id) else {
        return mgmt_error(
            404,
            "The connection does not exist",
            "inexistent_connection",
        );
    };
    if let Some(v) = obj.get("enabled_clients") {
        match strings(v, "enabled_clients") {
            Ok(list) => {
                if let Some(bad) = list.iter().find(|id| !known.contains(id)) {
                    return mgmt_error(400, &format!("Client not found: {bad}"), "invalid_body");
                }
                c.enabled_clients = list;
            }
            Err(r) => return r,
        }
    }
    if let Some(v) = obj.get("connected_accounts") {
        match v
            .get("active")
            .map(|a| bool_field(a, "connected_accounts.active"))
        {
            Some(Ok(b)) => c.connected_accounts_active = b,
            Some(Err(r)) => return r,
            None => {
                return mgmt_error(
                    400,
                    "Payload validation error: 'Missing required property: active' on property connected_accounts.",
                    "invalid_body",
                );
            }
        }
    }
    json_response(200, connection_json(c))
}
