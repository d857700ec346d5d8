//! `/api/v2/resource-servers`: list, read, create (the My Account API's
//! activation) and change (consent skipping, scopes) APIs.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{S, authorize, body_object, bool_field, mgmt_error, only};
use crate::management::*;
use crate::state::*;
use crate::wire::*;

fn rs_json(r: &ResourceServer) -> Value {
    let mut v = json!(r);
    v["subject_type_authorization"] =
        json!({"user": {"policy": "require_client_grant"}, "client": {"policy": "deny_all"}});
    v
}

pub(super) async fn list_resource_servers(
    AxState(app): S,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Err(r) = authorize(&app, &headers, "read:resource_servers") {
        return r;
    }
    let p = query_map(q.as_deref());
    let st = app.lock();
    let list: Vec<Value> = st
        .tenant
        .resource_servers
        .iter()
        .filter(|r| p.get("identifier").is_none_or(|i| *i == r.identifier))
        .map(rs_json)
        .collect();
    json_response(200, json!(list))
}

fn find_rs<'a>(st: &'a mut State, id: &str) -> Option<&'a mut ResourceServer> {
    st.tenant
        .resource_servers
        .iter_mut()
        .find(|r| r.id == id || r.identifier == id)
}

pub(super) async fn get_resource_server(
    AxState(app): S,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = authorize(&app, &headers, "read:resource_servers") {
        return r;
    }
    let mut st = app.lock();
    match find_rs(&mut st, &id) {
        Some(r) => json_response(200, rs_json(r)),
        None => mgmt_error(
            404,
            "The resource server does not exist",
            "inexistent_resource_server",
        ),
    }
}

const RS_FIELDS: [&str; 6] = [
    "name",
    "identifier",
    "allow_offline_access",
    "skip_consent_for_verifiable_first_party_clients",
    "subject_type_authorization",
    "scopes",
];

fn apply_rs(r: &mut ResourceServer, obj: &Map<String, Value>) -> Result<(), Response> {
    for (k, v) in obj {
        match k.as_str() {
            "name" => r.name = v.as_str().unwrap_or(&r.name).to_string(),
            "allow_offline_access" => r.allow_offline_access = bool_field(v, k)?,
            "skip_consent_for_verifiable_first_party_clients" => {
                r.skip_consent_for_verifiable_first_party_clients = bool_field(v, k)?
            }
            _ => {}
        }
    }
    Ok(())
}

pub(super) async fn create_resource_server(
    AxState(app): S,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&app, &headers, "create:resource_servers") {
        return r;
    }
    let obj = match body_object(&body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    if let Err(r) = only(&obj, &RS_FIELDS) {
        return r;
    }
    let Some(identifier) = obj.get("identifier").and_then(Value::as_str) else {
        return mgmt_error(
            400,
            "Payload validation error: 'Missing required property: identifier'.",
            "invalid_body",
        );
    };
    let mut st = app.lock();
    if st.tenant.resource_server(identifier).is_some() {
        return mgmt_error(
            409,
            "A resource server with the same identifier already exists",
            "resource_server_conflict",
        );
    }
    let mut r = ResourceServer {
        id: rand_hex24(),
        name: identifier.to_string(),
        identifier: identifier.to_string(),
        allow_offline_access: false,
        skip_consent_for_verifiable_first_party_clients: false,
        is_system: identifier == app.me_audience(),
    };
    if let Err(resp) = apply_rs(&mut r, &obj) {
        return resp;
    }
    st.tenant.resource_servers.push(r.clone());
    json_response(201, rs_json(&r))
}

pub(super) async fn patch_resource_server(
    AxState(app): S,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&app, &headers, "update:resource_servers") {
        return r;
    }
    let obj = match body_object(&body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    if let Err(r) = only(&obj, &RS_FIELDS[..]) {
        return r;
    }
    if obj.contains_key("identifier") {
        return mgmt_error(
            400,
            "Payload validation error: 'identifier can not be changed'.",
            "invalid_body",
        );
    }
    let mut st = app.lock();
    let Some(r) = find_rs(&mut st, &id) else {
        return mgmt_error(
            404,
            "The resource server does not exist",
            "inexistent_resource_server",
        );
    };
    if let Err(resp) = apply_rs(r, &obj) {
        return resp;
    }
    json_response(200, rs_json(r))
}
