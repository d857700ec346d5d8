//! Auth0's Management API (`/api/v2/...`) over the tenant: what every
//! endpoint shares (the token check, body validation, error bodies
//! `{statusCode, error, message, errorCode}`), the routes, and the Guardian
//! MFA policy; one module per resource for the rest.

mod client_grants;
mod clients;
mod connections;
mod resource_servers;

use std::sync::Arc;

use axum::Router;
use axum::extract::State as AxState;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value, json};

use client_grants::{create_client_grant, list_client_grants, patch_client_grant};
use clients::{get_client, patch_client};
use connections::{list_connections, patch_connection};
use resource_servers::{
    create_resource_server, get_resource_server, list_resource_servers, patch_resource_server,
};

use crate::state::*;
use crate::wire::*;

type S = AxState<Arc<App>>;

fn mgmt_error(status: u16, message: &str, code: &str) -> Response {
    let error = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        _ => "Error",
    };
    json_response(
        status,
        json!({"statusCode": status, "error": error, "message": message, "errorCode": code}),
    )
}

/// Checks the Management API token: minted here for `BASE/api/v2/`, unexpired, with `scope`.
fn authorize(app: &App, headers: &HeaderMap, scope: &str) -> Result<(), Response> {
    let Some(token) = bearer(headers) else {
        return Err(mgmt_error(
            401,
            "Missing authentication",
            "missing_authentication",
        ));
    };
    let st = app.lock();
    let Some(at) = st.valid_access_token(&token) else {
        return Err(mgmt_error(401, "Invalid token", "invalid_token"));
    };
    if !at.aud.iter().any(|a| *a == app.mgmt_audience()) {
        return Err(mgmt_error(401, "Bad audience", "invalid_token"));
    }
    if !at.scopes.iter().any(|s| s == scope) {
        return Err(mgmt_error(
            403,
            &format!("Insufficient scope, expected any of: {scope}"),
            "insufficient_scope",
        ));
    }
    Ok(())
}

fn body_object(body: &[u8]) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(mgmt_error(
            400,
            "Payload validation error: 'Expected type object but found type null'.",
            "invalid_body",
        )),
    }
}

fn only(obj: &Map<String, Value>, allowed: &[&str]) -> Result<(), Response> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(mgmt_error(
            400,
            &format!("Payload validation error: 'Additional properties not allowed: {k}'."),
            "invalid_body",
        )),
        None => Ok(()),
    }
}

fn strings(v: &Value, field: &str) -> Result<Vec<String>, Response> {
    v.as_array()
        .and_then(|a| {
            a.iter()
                .map(|s| s.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| {
            mgmt_error(
                400,
                &format!("Payload validation error: 'Expected type array of strings' on property {field}."),
                "invalid_body",
            )
        })
}

fn bool_field(v: &Value, field: &str) -> Result<bool, Response> {
    v.as_bool().ok_or_else(|| {
        mgmt_error(
            400,
            &format!("Payload validation error: 'Expected type boolean' on property {field}."),
            "invalid_body",
        )
    })
}

async fn guardian_policies(AxState(app): S, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&app, &headers, "read:mfa_policies") {
        return r;
    }
    json_response(200, json!(app.lock().tenant.mfa_policies))
}

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v2/clients/{id}", get(get_client).patch(patch_client))
        .route(
            "/api/v2/resource-servers",
            get(list_resource_servers).post(create_resource_server),
        )
        .route(
            "/api/v2/resource-servers/{id}",
            get(get_resource_server).patch(patch_resource_server),
        )
        .route(
            "/api/v2/client-grants",
            get(list_client_grants).post(create_client_grant),
        )
        .route(
            "/api/v2/client-grants/{id}",
            axum::routing::patch(patch_client_grant),
        )
        .route("/api/v2/connections", get(list_connections))
        .route(
            "/api/v2/connections/{id}",
            axum::routing::patch(patch_connection),
        )
        .route("/api/v2/guardian/policies", get(guardian_policies))
}
