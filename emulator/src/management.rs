//! The tenant's configuration and the part of Auth0's Management API
//! (`/api/v2/...`) that `devcontext setup` uses: clients (grant types,
//! callbacks, refresh-token rotation and MRRT `refresh_token.policies`),
//! resource servers (the My Account API, consent skipping), client grants
//! (the user-access grant), connections (`enabled_clients`,
//! `connected_accounts.active`) and the Guardian MFA policy (read only).
//!
//! The same state drives the Authentication API's behaviour, so every
//! misconfiguration a real tenant can have is a knob here
//! (`POST /__emulator/tenant/misconfigure`), and `setup` can repair it.
//! Error bodies follow the Management API: `{statusCode, error, message, errorCode}`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::state::*;
use crate::wire::*;

type S = AxState<Arc<App>>;

/// The six loopback callback URLs devcontext may use (ports 18484-18489).
pub fn loopback_callbacks() -> Vec<String> {
    (18484..=18489)
        .map(|p| format!("http://127.0.0.1:{p}/callback"))
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct ResourceServer {
    pub id: String,
    pub name: String,
    pub identifier: String,
    pub allow_offline_access: bool,
    pub skip_consent_for_verifiable_first_party_clients: bool,
    pub is_system: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ClientGrant {
    pub id: String,
    pub client_id: String,
    pub audience: String,
    pub scope: Vec<String>,
    /// `user` (user-access grant) or `client` (client credentials).
    pub subject_type: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Connection {
    pub id: String,
    pub name: String,
    pub strategy: String,
    pub enabled_clients: Vec<String>,
    /// The connection's purpose "Connected Accounts for Token Vault".
    pub connected_accounts_active: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Tenant {
    pub resource_servers: Vec<ResourceServer>,
    pub client_grants: Vec<ClientGrant>,
    pub connections: Vec<Connection>,
    /// Guardian MFA policies: `["all-applications"]` is "Always", `[]` "Never".
    pub mfa_policies: Vec<String>,
}

/// The Management API scopes the M2M client is granted.
pub const MGMT_SCOPES: [&str; 11] = [
    "read:clients",
    "update:clients",
    "read:resource_servers",
    "create:resource_servers",
    "update:resource_servers",
    "read:client_grants",
    "create:client_grants",
    "update:client_grants",
    "read:connections",
    "update:connections",
    "read:mfa_policies",
];

impl Tenant {
    /// A tenant set up as docs/tenant-setup.md says: what the tests start from.
    pub fn healthy(app: &App) -> Tenant {
        let ca: Vec<String> = CA_SCOPES.iter().map(|s| s.to_string()).collect();
        let user_grant = |client_id: &str| ClientGrant {
            id: format!("cgr_{}", rand_alnum(16)),
            client_id: client_id.into(),
            audience: app.me_audience(),
            scope: ca.clone(),
            subject_type: "user".into(),
        };
        Tenant {
            resource_servers: vec![
                ResourceServer {
                    id: rand_hex24(),
                    name: "Auth0 My Account API".into(),
                    identifier: app.me_audience(),
                    allow_offline_access: false,
                    skip_consent_for_verifiable_first_party_clients: true,
                    is_system: true,
                },
                ResourceServer {
                    id: rand_hex24(),
                    name: "devcontext API".into(),
                    identifier: API_AUDIENCE.into(),
                    allow_offline_access: true,
                    skip_consent_for_verifiable_first_party_clients: true,
                    is_system: false,
                },
            ],
            client_grants: vec![
                user_grant(&app.web.client_id),
                user_grant(&app.device.client_id),
                ClientGrant {
                    id: format!("cgr_{}", rand_alnum(16)),
                    client_id: app.mgmt.client_id.clone(),
                    audience: app.mgmt_audience(),
                    scope: MGMT_SCOPES.iter().map(|s| s.to_string()).collect(),
                    subject_type: "client".into(),
                },
            ],
            connections: CONNECTIONS
                .iter()
                .map(|(name, strategy, _)| Connection {
                    id: format!("con_{}", rand_alnum(16)),
                    name: name.to_string(),
                    strategy: strategy.to_string(),
                    enabled_clients: vec![app.web.client_id.clone(), app.device.client_id.clone()],
                    connected_accounts_active: true,
                })
                .collect(),
            mfa_policies: vec![],
        }
    }

    pub fn resource_server(&self, identifier: &str) -> Option<&ResourceServer> {
        self.resource_servers
            .iter()
            .find(|r| r.identifier == identifier)
    }

    pub fn user_grant(&self, client_id: &str, audience: &str) -> Option<&ClientGrant> {
        self.client_grants.iter().find(|g| {
            g.client_id == client_id && g.audience == audience && g.subject_type == "user"
        })
    }

    pub fn client_grant(&self, client_id: &str, audience: &str) -> Option<&ClientGrant> {
        self.client_grants.iter().find(|g| {
            g.client_id == client_id && g.audience == audience && g.subject_type == "client"
        })
    }

    /// Connected Accounts may be used on `connection` by `client_id`.
    pub fn connection_usable(&self, connection: &str, client_id: &str) -> bool {
        self.connections.iter().any(|c| {
            c.name == connection
                && c.connected_accounts_active
                && c.enabled_clients.iter().any(|e| e == client_id)
        })
    }
}

fn rand_hex24() -> String {
    rand_from(b"0123456789abcdef", 24)
}

/// One misconfiguration of a real tenant, applied to the emulator's state
/// (`POST /__emulator/tenant/misconfigure {"what": ..., "connection"?}`).
pub fn misconfigure(app: &App, st: &mut State, what: &str, connection: &str) -> Result<(), String> {
    let web = app.web.client_id.clone();
    let me = app.me_audience();
    let web_client = |st: &mut State| -> Result<usize, String> {
        st.clients
            .iter()
            .position(|c| c.client_id == web)
            .ok_or_else(|| "the web client is gone".to_string())
    };
    match what {
        "rotation" => {
            let i = web_client(st)?;
            st.clients[i].rotating = true;
        }
        "mfa_always" => st.tenant.mfa_policies = vec!["all-applications".into()],
        "connection_not_enabled" => {
            let c = st
                .tenant
                .connections
                .iter_mut()
                .find(|c| c.name == connection)
                .ok_or_else(|| format!("unknown connection {connection}"))?;
            c.enabled_clients.retain(|e| *e != web);
        }
        "connected_accounts_off" => {
            let c = st
                .tenant
                .connections
                .iter_mut()
                .find(|c| c.name == connection)
                .ok_or_else(|| format!("unknown connection {connection}"))?;
            c.connected_accounts_active = false;
        }
        "no_my_account_grant" => st
            .tenant
            .client_grants
            .retain(|g| !(g.client_id == web && g.audience == me && g.subject_type == "user")),
        "no_mrrt_policy" => {
            let i = web_client(st)?;
            st.clients[i].mrrt_policies.retain(|p| p.audience != me);
        }
        "consent_skipping_off" => {
            let rs = st
                .tenant
                .resource_servers
                .iter_mut()
                .find(|r| r.identifier == me)
                .ok_or_else(|| "the My Account API is not active".to_string())?;
            rs.skip_consent_for_verifiable_first_party_clients = false;
        }
        "no_token_vault_grant" => {
            let i = web_client(st)?;
            st.clients[i].grant_types.retain(|g| g != TV_GRANT);
        }
        "provider_token_revoked" => {
            let mut n = 0;
            for a in st
                .accounts
                .iter_mut()
                .filter(|a| a.connection == connection)
            {
                a.provider_state = ProviderState::Revoked;
                n += 1;
            }
            if n == 0 {
                return Err(format!("no connected account for {connection}"));
            }
        }
        "scope_missing" => {
            // Drops the last default scope of the connection from its accounts.
            let Some((_, _, defaults)) = connection_info(connection) else {
                return Err(format!("unknown connection {connection}"));
            };
            let Some(drop) = defaults.last() else {
                return Err(format!("{connection} has no scopes to drop"));
            };
            let mut n = 0;
            for a in st
                .accounts
                .iter_mut()
                .filter(|a| a.connection == connection)
            {
                a.scopes.retain(|s| s != drop);
                n += 1;
            }
            if n == 0 {
                return Err(format!("no connected account for {connection}"));
            }
        }
        other => {
            return Err(format!(
                "unknown misconfiguration '{other}': use rotation, mfa_always, connection_not_enabled, connected_accounts_off, no_my_account_grant, no_mrrt_policy, consent_skipping_off, no_token_vault_grant, provider_token_revoked or scope_missing"
            ));
        }
    }
    Ok(())
}

/// A tenant before `devcontext setup`: the applications exist with Auth0's
/// defaults (no Token Vault grant, rotation on, no callbacks, no MRRT
/// policy), the My Account API is not activated, no connection has
/// Connected Accounts on or the applications enabled.
pub fn blank(app: &App, st: &mut State) {
    for c in st.clients.iter_mut() {
        if c.client_id == app.web.client_id {
            c.grant_types = vec![
                "authorization_code".into(),
                "implicit".into(),
                "refresh_token".into(),
                "client_credentials".into(),
            ];
            c.callbacks.clear();
            c.rotating = true;
            c.mrrt_policies.clear();
        }
        if c.client_id == app.device.client_id {
            c.grant_types = vec![DEVICE_GRANT.into()];
            c.mrrt_policies.clear();
        }
    }
    let me = app.me_audience();
    st.tenant.resource_servers.retain(|r| r.identifier != me);
    if let Some(rs) = st
        .tenant
        .resource_servers
        .iter_mut()
        .find(|r| r.identifier == API_AUDIENCE)
    {
        rs.allow_offline_access = false;
    }
    st.tenant
        .client_grants
        .retain(|g| g.subject_type == "client");
    for c in st.tenant.connections.iter_mut() {
        c.enabled_clients.clear();
        c.connected_accounts_active = false;
    }
}

// ---------------------------------------------------------------------------
// Management API
// ---------------------------------------------------------------------------

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

fn client_json(c: &Client) -> Value {
    json!({
        "client_id": c.client_id,
        "name": c.name,
        "app_type": match c.app_type {
            AppType::Native => "native",
            AppType::RegularWeb => "regular_web",
            AppType::ResourceServer => "resource_server",
            AppType::NonInteractive => "non_interactive",
        },
        "is_first_party": c.is_first_party,
        "oidc_conformant": true,
        "token_endpoint_auth_method": c.token_endpoint_auth_method,
        "grant_types": c.grant_types,
        "callbacks": c.callbacks,
        "refresh_token": {
            "rotation_type": if c.rotating { "rotating" } else { "non-rotating" },
            "expiration_type": "non-expiring",
            "leeway": 0,
            "policies": c.mrrt_policies.iter().map(|p| json!({"audience": p.audience, "scope": p.scopes})).collect::<Vec<_>>(),
        },
    })
}

async fn get_client(AxState(app): S, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = authorize(&app, &headers, "read:clients") {
        return r;
    }
    match app.lock().client(&id) {
        Some(c) => json_response(200, client_json(&c)),
        None => mgmt_error(404, "The client does not exist", "inexistent_client"),
    }
}

async fn patch_client(
    AxState(app): S,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&app, &headers, "update:clients") {
        return r;
    }
    let obj = match body_object(&body) {
        Ok(o) => o,
        Err(r) => return r,
    };
    if let Err(r) = only(
        &obj,
        &[
            "grant_types",
            "callbacks",
            "refresh_token",
            "is_first_party",
            "oidc_conformant",
        ],
    ) {
        return r;
    }
    let mut st = app.lock();
    let Some(i) = st.clients.iter().position(|c| c.client_id == id) else {
        return mgmt_error(404, "The client does not exist", "inexistent_client");
    };
    let mut c = st.clients[i].clone();
    for (k, v) in &obj {
        match k.as_str() {
            "grant_types" => match strings(v, k) {
                Ok(g) => c.grant_types = g,
                Err(r) => return r,
            },
            "callbacks" => match strings(v, k) {
                Ok(g) => c.callbacks = g,
                Err(r) => return r,
            },
            "is_first_party" => match bool_field(v, k) {
                Ok(b) => c.is_first_party = b,
                Err(r) => return r,
            },
            "oidc_conformant" => {}
            "refresh_token" => {
                let Some(rt) = v.as_object() else {
                    return mgmt_error(
                        400,
                        "Payload validation error: 'Expected type object' on property refresh_token.",
                        "invalid_body",
                    );
                };
                for (rk, rv) in rt {
                    match rk.as_str() {
                        "rotation_type" => match rv.as_str() {
                            Some("rotating") => c.rotating = true,
                            Some("non-rotating") => c.rotating = false,
                            _ => {
                                return mgmt_error(
                                    400,
                                    "Payload validation error: 'No enum match for' on property refresh_token.rotation_type.",
                                    "invalid_body",
                                );
                            }
                        },
                        "policies" => {
                            let Some(list) = rv.as_array() else {
                                return mgmt_error(
                                    400,
                                    "Payload validation error: 'Expected type array' on property refresh_token.policies.",
                                    "invalid_body",
                                );
                            };
                            let mut policies = Vec::new();
                            for p in list {
                                let audience = p.get("audience").and_then(Value::as_str);
                                let scope = p
                                    .get("scope")
                                    .map(|s| strings(s, "refresh_token.policies.scope"));
                                match (audience, scope) {
                                    (Some(a), Some(Ok(s))) => policies.push(MrrtPolicy {
                                        audience: a.into(),
                                        scopes: s,
                                    }),
                                    _ => {
                                        return mgmt_error(
                                            400,
                                            "Payload validation error: 'Missing required property: audience or scope' on property refresh_token.policies.",
                                            "invalid_body",
                                        );
                                    }
                                }
                            }
                            c.mrrt_policies = policies;
                        }
                        "expiration_type"
                        | "leeway"
                        | "token_lifetime"
                        | "infinite_token_lifetime"
                        | "idle_token_lifetime"
                        | "infinite_idle_token_lifetime" => {}
                        other => {
                            return mgmt_error(
                                400,
                                &format!(
                                    "Payload validation error: 'Additional properties not allowed: {other}' on property refresh_token."
                                ),
                                "invalid_body",
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
    st.clients[i] = c.clone();
    json_response(200, client_json(&c))
}

fn rs_json(r: &ResourceServer) -> Value {
    let mut v = json!(r);
    v["subject_type_authorization"] =
        json!({"user": {"policy": "require_client_grant"}, "client": {"policy": "deny_all"}});
    v
}

async fn list_resource_servers(
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

async fn get_resource_server(
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

async fn create_resource_server(AxState(app): S, headers: HeaderMap, body: Bytes) -> Response {
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

async fn patch_resource_server(
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

async fn list_client_grants(
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

async fn create_client_grant(AxState(app): S, headers: HeaderMap, body: Bytes) -> Response {
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

async fn patch_client_grant(
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

async fn list_connections(AxState(app): S, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
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

async fn patch_connection(
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
