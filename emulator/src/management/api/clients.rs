//! `GET`/`PATCH /api/v2/clients/{id}`: grant types, callbacks, refresh-token
//! rotation and MRRT policies of an application.

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::{S, authorize, body_object, bool_field, mgmt_error, only, strings};
use crate::state::*;
use crate::wire::*;

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

pub(super) async fn get_client(
    AxState(app): S,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = authorize(&app, &headers, "read:clients") {
        return r;
    }
    match app.lock().client(&id) {
        Some(c) => json_response(200, client_json(&c)),
        None => mgmt_error(404, "The client does not exist", "inexistent_client"),
    }
}

pub(super) async fn patch_client(
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
