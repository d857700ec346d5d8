//! The emulator's whole world in one place: the fixed tenant (clients, APIs,
//! the sample user), the mutable state (tokens, device codes, connect
//! sessions, connected accounts, provider tokens, logs, faults, model script),
//! the test knobs and the adjustable clock.
//!
//! Everything mutable lives in one `Mutex<State>`; handlers lock it, do their
//! work synchronously and drop the guard before any `.await`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const TV_GRANT: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub const FED_TOKEN_TYPE: &str =
    "http://auth0.com/oauth/token-type/federated-connection-access-token";
pub const URN_ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
pub const URN_REFRESH_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:refresh_token";
pub const API_AUDIENCE: &str = "https://devcontext.local/api";
pub const CA_SCOPES: [&str; 3] = [
    "create:me:connected_accounts",
    "read:me:connected_accounts",
    "delete:me:connected_accounts",
];
/// Lifetime of Auth0 access tokens minted by the emulator (seconds).
pub const AT_LIFETIME_S: i64 = 86_400;

/// The fixed sample user every login authenticates as.
pub const USER_SUB: &str = "auth0|devcontext-demo";
pub const USER_NAME: &str = "Dana Developer";
pub const USER_EMAIL: &str = "dana@example.com";
pub const USER_NICKNAME: &str = "dana";

pub const GITHUB: &str = "github";
pub const SLACK: &str = "sign-in-with-slack";
pub const GOOGLE: &str = "google-oauth2";

/// Connections enabled for Connected Accounts: (name, strategy, default scopes).
pub const CONNECTIONS: [(&str, &str, &[&str]); 3] = [
    (GITHUB, "github", &[]),
    (
        SLACK,
        "oauth2",
        &[
            "channels:read",
            "channels:history",
            "groups:read",
            "groups:history",
            "im:read",
            "im:history",
            "mpim:read",
            "mpim:history",
            "users:read",
            "search:read",
        ],
    ),
    (
        GOOGLE,
        "google-oauth2",
        &[
            "openid",
            "profile",
            "email",
            "https://www.googleapis.com/auth/calendar.readonly",
        ],
    ),
];

pub fn connection_info(
    name: &str,
) -> Option<(&'static str, &'static str, &'static [&'static str])> {
    CONNECTIONS.iter().copied().find(|(n, _, _)| *n == name)
}

pub fn rand_alnum(n: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), n)
}

pub fn rand_from(charset: &[u8], n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| charset[rng.random_range(0..charset.len())] as char)
        .collect()
}

pub fn rand_lower_alnum(n: usize) -> String {
    rand_from(b"abcdefghijklmnopqrstuvwxyz0123456789", n)
}

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

#[derive(Default)]
pub struct State {
    /// Real time at start/reset; sample data is placed relative to
    /// `anchor()` so it stays stable between requests.
    pub started: Option<DateTime<Utc>>,
    pub clock_offset_ms: i64,
    pub knobs: Knobs,
    pub auth_codes: HashMap<String, AuthCode>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    pub access_tokens: HashMap<String, AccessToken>,
    pub id_tokens: Vec<String>,
    pub device_codes: HashMap<String, DeviceCode>,
    pub connect_sessions: HashMap<String, ConnectSession>,
    pub accounts: Vec<ConnectedAccount>,
    pub provider_tokens: HashMap<String, ProviderToken>,
    pub mfa_tokens: Vec<String>,
    pub log: Vec<LogEntry>,
    pub next_seq: u64,
    pub faults: Vec<FaultRule>,
    pub latency: Vec<LatencyRule>,
    pub script: VecDeque<Value>,
    pub model_calls: u64,
    pub writes: Vec<Value>,
    pub slack_posts: Vec<SlackPost>,
    pub next_comment_id: u64,
    /// The clients' mutable settings (grant types, callbacks, rotation, MRRT
    /// policies), changed through the Management API; `App` keeps the originals.
    pub clients: Vec<Client>,
    /// APIs, client grants, connections and MFA policy (Management API).
    pub tenant: crate::management::Tenant,
}

impl State {
    pub fn fresh() -> State {
        State {
            started: Some(Utc::now()),
            next_comment_id: 1_900_000_001,
            ..State::default()
        }
    }

    /// Start time moved by the clock offset, truncated to the second: the
    /// reference point of all provider sample data ("N minutes ago").
    pub fn anchor(&self) -> DateTime<Utc> {
        let t =
            self.started.unwrap_or_else(Utc::now) + Duration::milliseconds(self.clock_offset_ms);
        DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
    }

    /// The emulator clock: real time plus the offset moved by `/__emulator/clock/advance`.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.clock_offset_ms)
    }

    /// Checks that an Auth0 access token was minted here, is unexpired and not force-expired.
    pub fn valid_access_token(&self, token: &str) -> Option<AccessToken> {
        let at = self.access_tokens.get(token)?;
        if at.force_expired || self.now() >= at.expires_at {
            return None;
        }
        Some(at.clone())
    }

    /// A client's current settings.
    pub fn client(&self, id: &str) -> Option<Client> {
        self.clients.iter().find(|c| c.client_id == id).cloned()
    }

    /// Refresh-token rotation for a client: the knob (every client) or its own setting.
    pub fn rotating(&self, client_id: &str) -> bool {
        self.knobs.rotation
            || self
                .clients
                .iter()
                .any(|c| c.client_id == client_id && c.rotating)
    }

    /// MFA policy "Always": the knob or the tenant's Guardian policy.
    pub fn mfa_always(&self) -> bool {
        self.knobs.mfa_always
            || self
                .tenant
                .mfa_policies
                .iter()
                .any(|p| p == "all-applications")
    }

    pub fn account_mut(&mut self, id: &str) -> Option<&mut ConnectedAccount> {
        self.accounts.iter_mut().find(|a| a.id == id)
    }

    /// Returns the cached provider token of an account, minting a new one
    /// when there is none or it has expired. Returns (token, remaining seconds).
    pub fn provider_token_for(&mut self, account_id: &str) -> Option<(String, i64)> {
        let now = self.now();
        let lifetime = self.knobs.provider_token_lifetime_s.max(1);
        let acc = self.accounts.iter_mut().find(|a| a.id == account_id)?;
        let fresh = match &acc.token {
            Some(t) if t.expires_at > now => None,
            _ => Some(CachedToken {
                access_token: mint_provider_token(&acc.connection),
                expires_at: now + Duration::seconds(lifetime),
            }),
        };
        if let Some(t) = fresh {
            self.provider_tokens.insert(
                t.access_token.clone(),
                ProviderToken {
                    account_id: acc.id.clone(),
                    connection: acc.connection.clone(),
                    expires_at: t.expires_at,
                },
            );
            acc.token = Some(t);
        }
        let t = acc.token.as_ref()?;
        let remaining = ((t.expires_at - now).num_milliseconds().max(0) + 999) / 1000;
        Some((t.access_token.clone(), remaining))
    }
}

pub fn mint_provider_token(connection: &str) -> String {
    match connection {
        GITHUB => format!("ghu_emu{}", rand_alnum(32)),
        SLACK => format!(
            "xoxp-emu-{}-{}-{}",
            rand_from(b"0123456789", 12),
            rand_from(b"0123456789", 12),
            rand_lower_alnum(32)
        ),
        GOOGLE => format!("ya29.emu{}", rand_alnum(40)),
        _ => format!("emu_pt_{}", rand_alnum(32)),
    }
}

/// The provider identity the sample user has on each connection.
pub fn default_identity(connection: &str) -> Identity {
    match connection {
        GITHUB => Identity {
            provider_user_id: "583231".into(),
            login: "dana-dev".into(),
            email: USER_EMAIL.into(),
            login_hint_aliases: vec!["dana-dev".into(), USER_EMAIL.into(), "github|583231".into()],
        },
        SLACK => Identity {
            provider_user_id: "U0DANA01".into(),
            login: "dana".into(),
            email: USER_EMAIL.into(),
            login_hint_aliases: vec![
                "dana".into(),
                USER_EMAIL.into(),
                "oauth2|sign-in-with-slack|U0DANA01".into(),
            ],
        },
        _ => Identity {
            provider_user_id: "108324567890123456789".into(),
            login: USER_EMAIL.into(),
            email: USER_EMAIL.into(),
            login_hint_aliases: vec![
                USER_EMAIL.into(),
                "google-oauth2|108324567890123456789".into(),
            ],
        },
    }
}

/// The identity selected by a `login_hint` given when connecting: the
/// default identity when the hint names it, otherwise a second account.
pub fn identity_for_hint(connection: &str, hint: Option<&str>) -> Identity {
    let def = default_identity(connection);
    let Some(hint) = hint.map(str::trim).filter(|h| !h.is_empty()) else {
        return def;
    };
    if def.provider_user_id == hint || def.login_hint_aliases.iter().any(|a| a == hint) {
        return def;
    }
    let local = hint.split('@').next().unwrap_or(hint).to_string();
    let email = if hint.contains('@') {
        hint.to_string()
    } else {
        format!("{local}@example.com")
    };
    let digest = crate::wire::sha256_hex(hint.as_bytes());
    let (id, login) = match connection {
        GITHUB => (
            u64::from_str_radix(&digest[..7], 16)
                .unwrap_or(7)
                .to_string(),
            local.clone(),
        ),
        SLACK => (format!("U0{}", digest[..7].to_uppercase()), local.clone()),
        _ => (format!("1{}", &digest[..20]), email.clone()),
    };
    let mut aliases = vec![login.clone(), email.clone(), hint.to_string()];
    aliases.dedup();
    Identity {
        provider_user_id: id,
        login,
        email,
        login_hint_aliases: aliases,
    }
}

/// The fixed tenant plus the mutable state.
pub struct App {
    /// The URL devcontext is given (the issuer's base); with `--public-url`
    /// a proxy in front of the emulator (Prism in the Auth0 contract test).
    pub base: String,
    /// Where the emulator itself listens: browser pages (`/connect`,
    /// `/activate`) are sent here, since they are not devcontext's requests.
    pub listen: String,
    pub jwt_key: Vec<u8>,
    pub web: Client,
    pub device: Client,
    pub api: Client,
    /// Machine-to-machine client for the Management API (`devcontext setup`).
    pub mgmt: Client,
    pub state: Mutex<State>,
}

impl App {
    pub fn new(base: String, listen: String) -> App {
        let me = format!("{base}/me/");
        let ca: Vec<String> = CA_SCOPES.iter().map(|s| s.to_string()).collect();
        let web = Client {
            name: "devcontext CLI (regular web app, Design A)",
            client_id: format!("emuWeb{}", rand_alnum(26)),
            secret: Some(format!("emu_cs_{}", rand_alnum(40))),
            app_type: AppType::RegularWeb,
            token_endpoint_auth_method: "client_secret_post",
            grant_types: vec![
                "authorization_code".into(),
                "refresh_token".into(),
                TV_GRANT.into(),
            ],
            is_first_party: true,
            mrrt_policies: vec![MrrtPolicy {
                audience: me.clone(),
                scopes: ca.clone(),
            }],
            resource_server_identifier: None,
            callbacks: crate::management::loopback_callbacks(),
            rotating: false,
        };
        let device = Client {
            name: "devcontext CLI (native app, device flow, Design B)",
            client_id: format!("emuDev{}", rand_alnum(26)),
            secret: None,
            app_type: AppType::Native,
            token_endpoint_auth_method: "none",
            grant_types: vec![DEVICE_GRANT.into(), "refresh_token".into()],
            is_first_party: true,
            mrrt_policies: vec![MrrtPolicy {
                audience: me,
                scopes: ca,
            }],
            resource_server_identifier: None,
            callbacks: vec![],
            rotating: false,
        };
        let api = Client {
            name: "devcontext API (Custom API Client)",
            client_id: format!("emuApi{}", rand_alnum(26)),
            secret: Some(format!("emu_cs_{}", rand_alnum(40))),
            app_type: AppType::ResourceServer,
            token_endpoint_auth_method: "client_secret_post",
            grant_types: vec![TV_GRANT.into()],
            is_first_party: true,
            mrrt_policies: vec![],
            resource_server_identifier: Some(API_AUDIENCE.into()),
            callbacks: vec![],
            rotating: false,
        };
        let mgmt = Client {
            name: "devcontext setup (machine to machine, Management API)",
            client_id: format!("emuM2m{}", rand_alnum(26)),
            secret: Some(format!("emu_cs_{}", rand_alnum(40))),
            app_type: AppType::NonInteractive,
            token_endpoint_auth_method: "client_secret_post",
            grant_types: vec!["client_credentials".into()],
            is_first_party: true,
            mrrt_policies: vec![],
            resource_server_identifier: None,
            callbacks: vec![],
            rotating: false,
        };
        let mut key = vec![0u8; 32];
        rand::rng().fill(&mut key[..]);
        let app = App {
            base,
            listen,
            jwt_key: key,
            web,
            device,
            api,
            mgmt,
            state: Mutex::new(State::default()),
        };
        *app.lock() = app.fresh_state();
        app
    }

    /// A fresh state: a healthy tenant with the original client settings.
    pub fn fresh_state(&self) -> State {
        State {
            clients: self.clients().into_iter().cloned().collect(),
            tenant: crate::management::Tenant::healthy(self),
            ..State::fresh()
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn clients(&self) -> [&Client; 4] {
        [&self.web, &self.device, &self.api, &self.mgmt]
    }

    /// A client with its current settings (the Management API may have changed them).
    pub fn client(&self, id: &str) -> Option<Client> {
        self.lock().client(id)
    }

    pub fn issuer(&self) -> String {
        format!("{}/", self.base)
    }

    pub fn me_audience(&self) -> String {
        format!("{}/me/", self.base)
    }

    /// The Management API's audience.
    pub fn mgmt_audience(&self) -> String {
        format!("{}/api/v2/", self.base)
    }
}
