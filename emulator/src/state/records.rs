//! The records the emulator's `State` keeps: applications and their
//! settings, the test knobs, authorization codes, tokens, device codes,
//! connect sessions, connected accounts and provider tokens, request log
//! entries, fault and latency rules, and Slack posts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppType {
    Native,
    RegularWeb,
    ResourceServer,
    NonInteractive,
}

#[derive(Clone, Debug, Serialize)]
pub struct MrrtPolicy {
    pub audience: String,
    pub scopes: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Client {
    pub name: &'static str,
    pub client_id: String,
    #[serde(skip)]
    pub secret: Option<String>,
    pub app_type: AppType,
    pub token_endpoint_auth_method: &'static str,
    pub grant_types: Vec<String>,
    pub is_first_party: bool,
    pub mrrt_policies: Vec<MrrtPolicy>,
    pub resource_server_identifier: Option<String>,
    /// Allowed Callback URLs (Management API `callbacks`).
    pub callbacks: Vec<String>,
    /// `refresh_token.rotation_type == "rotating"` for this client.
    pub rotating: bool,
}

impl Client {
    pub fn is_confidential(&self) -> bool {
        self.secret.is_some()
    }
    pub fn has_grant(&self, g: &str) -> bool {
        self.grant_types.iter().any(|x| x == g)
    }
}

/// Test knobs, changed through `POST /__emulator/knobs`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Knobs {
    /// Refresh-token rotation for every client.
    pub rotation: bool,
    /// Rotation overlap period: the immediately previous RT may be reused this long.
    pub rotation_leeway_s: i64,
    /// Tenant MFA policy "Always": Token Vault exchanges answer 403 mfa_required.
    pub mfa_always: bool,
    /// Token Vault `scope` comma-separated instead of space-separated.
    pub comma_scopes: bool,
    /// Token Vault `issued_token_type` = urn:ietf:params:oauth:token-type:access_token.
    pub issued_token_type_urn: bool,
    pub omit_expires_in: bool,
    pub omit_scope: bool,
    /// `GET /connect` redirects with error=access_denied.
    pub connect_deny: bool,
    /// `GET /authorize` redirects with error=access_denied.
    pub login_deny: bool,
    /// Device flow polling interval handed out by /oauth/device/code.
    pub device_interval: i64,
    /// Calendar timezone setting (and `timeZone` of event lists).
    pub timezone: String,
    /// Token Vault grant disabled for every client (403 unauthorized_client).
    pub tokenvault_disabled: bool,
    /// Lifetime of newly minted provider tokens.
    pub provider_token_lifetime_s: i64,
    /// Honour the `scope` parameter of Token Vault exchanges (down-scoping).
    pub downscope: bool,
    /// When set, scopes granted by the next connect flows (instead of requested ones).
    pub connect_scopes: Option<Vec<String>>,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            rotation: false,
            rotation_leeway_s: 0,
            mfa_always: false,
            comma_scopes: false,
            issued_token_type_urn: false,
            omit_expires_in: false,
            omit_scope: false,
            connect_deny: false,
            login_deny: false,
            device_interval: 5,
            timezone: "UTC".into(),
            tokenvault_disabled: false,
            provider_token_lifetime_s: 3600,
            downscope: false,
            connect_scopes: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scopes: Vec<String>,
    pub audience: Option<String>,
    pub nonce: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
}

#[derive(Clone, Debug)]
pub struct RefreshToken {
    pub client_id: String,
    pub sub: String,
    pub audience: Option<String>,
    pub scopes: Vec<String>,
    pub family: String,
    pub used_at: Option<DateTime<Utc>>,
    pub successor: Option<String>,
    pub revoked: bool,
    pub expired: bool,
}

#[derive(Clone, Debug)]
pub struct AccessToken {
    /// The client the token was issued to (`azp`).
    pub client_id: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub scopes: Vec<String>,
    pub expires_at: DateTime<Utc>,
    pub force_expired: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
}

#[derive(Clone, Debug)]
pub struct DeviceCode {
    pub client_id: String,
    pub user_code: String,
    pub scopes: Vec<String>,
    pub audience: Option<String>,
    pub status: DeviceStatus,
    pub interval_s: i64,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub expired_reported: bool,
    pub consumed: bool,
}

#[derive(Clone, Debug)]
pub struct ConnectSession {
    pub ticket: String,
    pub sub: String,
    pub connection: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub login_hint: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub connect_code: Option<String>,
    pub granted_scopes: Option<Vec<String>>,
    pub consumed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderState {
    Ok,
    Revoked,
    NoRefreshToken,
}

#[derive(Clone, Debug, Serialize)]
pub struct CachedToken {
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
}

/// A provider identity (who the user is at GitHub / Slack / Google).
#[derive(Clone, Debug, Serialize)]
pub struct Identity {
    pub provider_user_id: String,
    /// Handle at the provider (GitHub login, Slack user name, Google email).
    pub login: String,
    pub email: String,
    pub login_hint_aliases: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConnectedAccount {
    pub id: String,
    pub user: String,
    pub connection: String,
    pub scopes: Vec<String>,
    #[serde(flatten)]
    pub identity: Identity,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub provider_state: ProviderState,
    #[serde(skip)]
    pub token: Option<CachedToken>,
}

#[derive(Clone, Debug)]
pub struct ProviderToken {
    pub account_id: String,
    pub connection: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LogEntry {
    pub seq: u64,
    pub at: String,
    pub method: String,
    pub path: String,
    pub query: Value,
    pub status: u16,
    pub auth_kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_token_type: Option<String>,
    pub latency_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<Value>,
}

fn default_times() -> u64 {
    1
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    pub path_prefix: String,
    #[serde(default)]
    pub method: Option<String>,
    pub status: u16,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub body_repeat: Option<usize>,
    /// Repeat `body` forever, generated lazily (a body that never ends).
    #[serde(default)]
    pub endless: bool,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub headers: Option<HashMap<String, String>>,
    /// How many requests get this answer; 0 = forever.
    #[serde(default = "default_times")]
    pub times: u64,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    /// How many requests got this answer so far.
    #[serde(default, skip_deserializing)]
    pub hits: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyRule {
    pub ms: u64,
    #[serde(default)]
    pub path_prefix: Option<String>,
    /// Delay the answer after the request was handled (the server has acted,
    /// e.g. rotated a refresh token, and the client has not heard yet).
    #[serde(default)]
    pub after: bool,
}

/// A message posted through the fake Slack API.
#[derive(Clone, Debug)]
pub struct SlackPost {
    pub channel: String,
    pub ts: String,
    pub text: String,
    pub user: String,
}
