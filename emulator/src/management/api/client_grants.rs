//! `/api/v2/client-grants`: which application may call which API with which
//! scopes (the user-access grant to the My Account API among them).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::{S, authorize, body_object, mgmt_error, only, strings};
use crate::management::*;
use crate::state::*;
use crate::wire::*;

pub(super) async fn list_client_grants(
    AxState(app): S,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Err(r) = authorize(&app, &headers, "read:client_grants") {
        return r;
    }
    let p = query_map(q.as_deref());
    let st = app.lock();
    let list: Vec<Value> = st
        .tenant
        .client_grants
        .iter()
        .filter(|g| p.get("client_id").is_none_or(|c| *c == g.client_id))
        .filter(|g| p.get("audience").is_none_or(|a| *a == g.audience))
        .filter(|g| p.get("subject_type").is_none_or(|s| *s == g.subject_type))
        .map(|g| json!(g))
        .collect();
    json_response(200, json!(list))
}

pub(super) async fn create_client_grant(
    AxState(app): S,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&app, &headers, "create:client_grants") {
        return r;
    }
    let obj = match body_object(&body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    if let Err(r) = only(&obj, &["client_id", "audience", "scope", "subject_type"]) {
        return r;
    }
    let (Some(client_id), Some(audience), Some(scope)) = (
        obj.get("client_id").and_then(Value::as_str),
        obj.get("audience").and_then(Value::as_str),
        obj.get("scope"),
    ) else {
        return mgmt_error(
            400,
            "Payload validation error: 'Missing required property: client_id, audience or scope'.",
            "invalid_body",
        );
    };
    let scope = match strings(scope, "scope") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let subject_type = obj
        .get("subject_type")
        .and_then(Value::as_str)
        .unwrap_or("client")
        .to_string();
    let mut st = app.lock();
    if st.client(client_id).is_none() {
        return mgmt_error(404, "The client does not exist", "inexistent_client");
    }
    if st.tenant.resource_server(audience).is_none() {
        return mgmt_error(
            404,
            "The resource server does not exist",
            "inexistent_resource_server",
        );
    }
    if st.tenant.client_grants.iter().any(|g| {
        g.client_id == client_id && g.audience == audience && g.subject_type == subject_type
    }) {
        return mgmt_error(
            409,
            "A client grant for this client, audience and subject type already exists",
            "client_grant_conflict",
        );
    }
    let g = ClientGrant {
        id: format!("cgr_{}", rand_alnum(16)),
        client_id: client_id.into(),
        audience: audience.into(),
        scope,
        subject_type,
    };
    st.tenant.client_grants.push(g.clone());
    json_response(201, json!(g))
}

pub(super) async fn patch_client_grant(
    AxState(app): S,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&app, &headers, "update:client_grants") {
        return r;
    }
    let obj = match body_object(&body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    if let Err(r) = only(&obj, &["scope"]) {
        return r;
    }
    let scope = match obj.get("scope").map(|s| strings(s, "scope")) {
        Some(Ok(s)) => s,
        Some(Err(r)) => return r,
        None => {
            return mgmt_error(
                400,
                "Payload validation error: 'Missing required property: scope'.",
                "invalid_body",
            );
        }
    };
    let mut st = app.lock();
    let Some(g) = st.tenant.client_grants.iter_mut().find(|g| g.id == id) else {
        return mgmt_error(
            404,
            "The client grant does not exist",
            "inexistent_client_grant",
        );
    };
    g.scope = scope;
    json_response(200, json!(g))
}
