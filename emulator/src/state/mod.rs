//! The emulator's whole world in one place: the fixed tenant (clients, APIs,
//! the sample user), the mutable state (tokens, device codes, connect
//! sessions, connected accounts, provider tokens, logs, faults, model script),
//! the test knobs and the adjustable clock.
//!
//! Everything mutable lives in one `Mutex<State>`; handlers lock it, do their
//! work synchronously and drop the guard before any `.await`.
//!
//! This module holds the constants, `State` and `App`; the records `State`
//! keeps (clients, knobs, tokens, sessions, accounts, log entries, fault
//! rules) are in `records`, the sample user's provider identities in
//! `identity`. Both are re-exported here, so `crate::state::*` names them all.

mod identity;
mod records;

pub use identity::*;
pub use records::*;

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand::distr::{Alphanumeric, SampleString};
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
