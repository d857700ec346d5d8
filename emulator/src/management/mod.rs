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
//!
//! This module holds the tenant itself (healthy, blank, misconfigured); the
//! Management API endpoints that read and change it are in `api`.

mod api;

pub use api::routes;

use serde::Serialize;

use crate::state::*;

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
