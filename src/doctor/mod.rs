//! `devcontext doctor`: checks the configured tenant and the local state
//! without changing anything (a rotated refresh token is saved, as any
//! refresh would), one [`Check`] per thing that can be wrong, each failure
//! with the exact setting to change. Auth0's own errors are mapped to the
//! setting behind them (auth0-protocol.md §3.6, §4.1, §4.7). The Token Vault
//! exchanges it makes are audited with the command `doctor`.

pub mod scopes;

use std::time::Instant;

use serde::Serialize;

use crate::app::App;
use crate::audit::{Action, AuditLog, Decision, NewEvent};
use crate::auth::connect::{
    ConnectedAccount, MyAccount, missing_my_account_scopes, my_account_audience,
};
use crate::auth::oauth::{Auth0, OAuthError, TokenFailure};
use crate::auth::{Active, LoginMethod, MY_ACCOUNT_SCOPES, Session};
use crate::broker::TokenSource;
use crate::error::Result;
use crate::perms::Access;
use crate::service::Service;
use crate::vault::Vault;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// Not run because an earlier check failed (named in `detail`).
    Skip,
}

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id (`session.rotation`, `slack.exchange`).
    pub id: String,
    pub status: Status,
    /// What was found (untrusted parts come from Auth0: sanitise before printing).
    pub detail: String,
    /// The exact fix, for a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// True when every check passed.
    pub ok: bool,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

#[derive(Default)]
struct Checks(Vec<Check>);

impl Checks {
    fn pass(&mut self, id: &str, detail: impl Into<String>) {
        self.push(id, Status::Pass, detail.into(), None);
    }
    fn fail(&mut self, id: &str, detail: impl Into<String>, fix: impl Into<String>) {
        self.push(id, Status::Fail, detail.into(), Some(fix.into()));
    }
    fn skip(&mut self, id: &str, because: &str) {
        self.push(id, Status::Skip, format!("needs {because}"), None);
    }
    fn push(&mut self, id: &str, status: Status, detail: String, fix: Option<String>) {
        self.0.push(Check {
            id: id.to_string(),
            status,
            detail,
            fix,
        });
    }
}

/// The settings to change, worded as the Auth0 dashboard names them.
pub mod fixes {
    pub fn app(client_id: &str) -> String {
        format!("Applications > Applications > the application with client id {client_id}")
    }
    pub fn rotation(client_id: &str) -> String {
        format!(
            "{} > Settings > Refresh Token Rotation: turn off \"Allow Refresh Token Rotation\" and Save (or run `devcontext setup`)",
            app(client_id)
        )
    }
    pub fn token_vault_grant(client_id: &str) -> String {
        format!(
            "{} > Settings > Advanced Settings > Grant Types: tick \"Token Vault\" and Save (or run `devcontext setup`)",
            app(client_id)
        )
    }
    pub const MFA: &str = "Security > Multi-factor Auth > Require Multi-factor Auth: choose \"Never\" and Save (run MFA from an Action instead; Token Vault cannot answer MFA challenges)";
    pub const MY_ACCOUNT_ACTIVATE: &str =
        "Applications > APIs > Auth0 My Account API: Activate (or run `devcontext setup`)";
    pub const CONSENT: &str = "Applications > APIs > Auth0 My Account API > Settings > Access Settings: turn on \"Allow Skipping User Consent\" and Save (or run `devcontext setup`)";
    pub fn user_grant(client_id: &str) -> String {
        format!(
            "Applications > APIs > Auth0 My Account API > Application Access: edit the application with client id {client_id}, set User Access to Authorized with create:me:connected_accounts, read:me:connected_accounts and delete:me:connected_accounts (or run `devcontext setup`)"
        )
    }
    pub fn mrrt(client_id: &str, audience: &str) -> String {
        format!(
            "give the application with client id {client_id} a Multi-Resource Refresh Token policy for audience {audience} with create:me:connected_accounts, read:me:connected_accounts and delete:me:connected_accounts: run `devcontext setup` (Management API: PATCH /api/v2/clients/{client_id} with refresh_token.policies)"
        )
    }
    pub fn connection(connection: &str, client_id: &str) -> String {
        format!(
            "Authentication > Social > {connection} > Applications: turn on the application with client id {client_id}; and Settings > Purpose: turn on \"Connected Accounts for Token Vault\" (or run `devcontext setup`)"
        )
    }
    pub fn provider_refresh_token(connect_name: &str) -> String {
        let provider = match connect_name {
            "github" => {
                "the GitHub App must have \"Expire user authorization tokens\" on (GitHub > Settings > Developer settings > GitHub Apps > your app > General)"
            }
            "slack" => {
                "the Slack app must rotate tokens (api.slack.com/apps > your app > OAuth & Permissions > Advanced token security via token rotation: Opt In)"
            }
            _ => {
                "the google-oauth2 connection must use your own Google OAuth client (not Auth0's development keys) with Offline Access on"
            }
        };
        format!("{provider}; then run `devcontext connect {connect_name}`")
    }
}

/// Runs every check. Never fails as a whole: a check that cannot run says why.
/// `callback_port` is `DEVCONTEXT_CALLBACK_PORT` as the commands read it.
pub async fn run(app: &App, callback_port: Result<Option<u16>>) -> Report {
    let mut c = Checks::default();
    let audit = app.audit("doctor");

    // --- configuration -----------------------------------------------------
    let a = &app.settings.auth0;
    let session = Session::load(app);
    let base = match a.domain.as_deref().map(crate::net::auth0_base) {
        Some(Ok(base)) => {
            c.pass("config.domain", format!("Auth0 domain {base}"));
            Some(base)
        }
        Some(Err(e)) => {
            c.fail("config.domain", e.message, e.hint.unwrap_or_default());
            None
        }
        None => {
            c.fail(
                "config.domain",
                "no Auth0 domain is configured",
                "set DEVCONTEXT_AUTH0_DOMAIN (or `domain` under [auth0] in config.toml) to your tenant, e.g. you.us.auth0.com",
            );
            None
        }
    };
    let method = match &session {
        Ok(Some(s)) => s.method,
        _ if a.client_id.is_none() && a.device_client_id.is_some() => LoginMethod::Device,
        _ => LoginMethod::Browser,
    };
    match method {
        LoginMethod::Browser => match &a.client_id {
            Some(id) => c.pass("config.client_ids", format!("Design A: web application {id}")),
            None => c.fail(
                "config.client_ids",
                "no Auth0 application is configured",
                "set DEVCONTEXT_AUTH0_CLIENT_ID (Regular Web Application) and DEVCONTEXT_AUTH0_CLIENT_SECRET, or DEVCONTEXT_AUTH0_DEVICE_CLIENT_ID for device logins (docs/tenant-setup.md)",
            ),
        },
        LoginMethod::Device => {
            let missing: Vec<&str> = [
                ("DEVCONTEXT_AUTH0_DEVICE_CLIENT_ID", a.device_client_id.is_some()),
                ("DEVCONTEXT_AUTH0_API_CLIENT_ID", a.api_client_id.is_some()),
                ("DEVCONTEXT_AUTH0_API_CLIENT_SECRET", a.api_client_secret.is_some()),
                ("DEVCONTEXT_AUTH0_AUDIENCE", a.audience.is_some()),
            ]
            .into_iter()
            .filter(|(_, set)| !set)
            .map(|(k, _)| k)
            .collect();
            if missing.is_empty() {
                c.pass(
                    "config.client_ids",
                    format!(
                        "Design B: native application {}, Custom API Client {}",
                        a.device_client_id.as_deref().unwrap_or_default(),
                        a.api_client_id.as_deref().unwrap_or_default()
                    ),
                );
            } else {
                c.fail(
                    "config.client_ids",
                    format!("device logins need {}", missing.join(", ")),
                    format!("set {} (docs/tenant-setup.md, Design B)", missing.join(" and ")),
                );
            }
        }
    }
    let active = match &session {
        Ok(Some(_)) => Active::load(app),
        Ok(None) => Err(crate::error::Error::login_required("you are not logged in")),
        Err(e) => Err(e.clone()),
    };
    match (&session, &active) {
        (Ok(Some(s)), Ok(act)) => match act.store.get(crate::auth::REFRESH_TOKEN) {
            Ok(Some(_)) => c.pass(
                "config.credentials",
                format!("the {:?} credential store holds the session", s.store).to_lowercase(),
            ),
            Ok(None) => c.fail(
                "config.credentials",
                "the credential store holds no refresh token for this session",
                "run `devcontext login`",
            ),
            Err(e) => c.fail(
                "config.credentials",
                format!("the credential store cannot be read: {}", e.message),
                e.hint
                    .clone()
                    .unwrap_or_else(|| "run `devcontext login`".into()),
            ),
        },
        (Ok(Some(_)), Err(e)) => c.fail(
            "config.credentials",
            format!("the credential store cannot be read: {}", e.message),
            e.hint
                .clone()
                .unwrap_or_else(|| "run `devcontext login`".into()),
        ),
        (Err(e), _) => c.fail(
            "config.credentials",
            e.message.clone(),
            "run `devcontext login`",
        ),
        (Ok(None), _) => c.skip("config.credentials", "a login (`devcontext login`)"),
    }
    match callback_port {
        Ok(port) => match crate::auth::callback::Callback::bind(port).await {
            Ok(cb) => c.pass(
                "config.callback_port",
                format!("{} is free", cb.redirect_uri),
            ),
            Err(e) => c.fail(
                "config.callback_port",
                e.message,
                e.hint.unwrap_or_default(),
            ),
        },
        Err(e) => c.fail(
            "config.callback_port",
            e.message,
            e.hint.unwrap_or_default(),
        ),
    }

    // --- discovery -----------------------------------------------------------
    if let Some(base) = &base {
        match Auth0::discover(base, crate::auth::timeout(app)).await {
            Ok(e) if e.issuer == base.as_str() => {
                c.pass("discovery", format!("reachable; issuer {}", e.issuer))
            }
            Ok(e) => c.fail(
                "discovery",
                format!("the issuer is {}, not {base}", e.issuer),
                format!(
                    "set DEVCONTEXT_AUTH0_DOMAIN to the domain the issuer names ({}); tokens are only valid for it",
                    e.issuer
                ),
            ),
            Err(e) => c.fail(
                "discovery",
                e.message,
                e.hint
                    .unwrap_or_else(|| "check DEVCONTEXT_AUTH0_DOMAIN and the network".into()),
            ),
        }
    } else {
        c.skip("discovery", "an Auth0 domain");
    }

    // --- session -------------------------------------------------------------
    let Ok(active) = active else {
        if matches!(session, Ok(None)) {
            c.fail("session", "you are not logged in", "run `devcontext login`");
        } else {
            c.skip("session", "a readable session");
        }
        for id in ["my_account"]
            .into_iter()
            .map(String::from)
            .chain(Service::ALL.iter().flat_map(|s| {
                ["connection", "account", "scopes", "exchange"].map(|k| format!("{s}.{k}"))
            }))
        {
            c.skip(&id, "a login (`devcontext login`)");
        }
        stores(app, &mut c);
        return finish(c);
    };
    let client_id = active.session.client_id.clone();
    let before = active.refresh_token().ok();
    let mut rotation_on = false;
    match active.refresh_raw(None, None).await {
        Ok(Ok(tokens)) => {
            let rotated =
                matches!((&tokens.refresh_token, &before), (Some(new), Some(old)) if new != old);
            match (rotated, active.session.method) {
                (false, _) => c.pass("session", "the refresh token works; rotation is off"),
                (true, LoginMethod::Device) => c.pass(
                    "session",
                    "the refresh token works; the native application rotates refresh tokens (fine for device logins; give it a Reuse Interval)",
                ),
                (true, LoginMethod::Browser) => {
                    rotation_on = true;
                    c.fail(
                    "session",
                    "refresh-token rotation is on: Auth0 sent a new refresh token, and Token Vault refuses rotating refresh tokens",
                    fixes::rotation(&client_id),
                    )
                }
            }
        }
        Ok(Err(TokenFailure::OAuth(e))) => {
            let err = crate::auth::session_error(&e);
            c.fail(
                "session",
                err.message,
                err.hint.unwrap_or_else(|| "run `devcontext login`".into()),
            );
        }
        Ok(Err(TokenFailure::Other(e))) | Err(e) => {
            c.fail("session", e.message, e.hint.unwrap_or_default())
        }
    }

    // --- My Account API ------------------------------------------------------
    let audience = my_account_audience(&active);
    let my_account = match active
        .refresh_raw(Some(&audience), Some(MY_ACCOUNT_SCOPES))
        .await
    {
        Ok(Ok(tokens)) => {
            let missing = missing_my_account_scopes(tokens.scope.as_deref());
            if missing.len() == 3 {
                c.fail(
                    "my_account",
                    format!("Auth0 answered with a token for the login audience, not {audience}: the application has no refresh-token policy (MRRT) for the My Account API"),
                    fixes::mrrt(&client_id, &audience),
                );
                None
            } else if !missing.is_empty() {
                c.fail(
                    "my_account",
                    format!("the My Account API token lacks {}", missing.join(" ")),
                    format!(
                        "{} and {}",
                        fixes::user_grant(&client_id),
                        fixes::mrrt(&client_id, &audience)
                    ),
                );
                None
            } else {
                c.pass(
                    "my_account",
                    format!("MRRT token for {audience} with the Connected Accounts scopes"),
                );
                Some(tokens.access_token)
            }
        }
        Ok(Err(TokenFailure::OAuth(e))) => {
            let (detail, fix) = my_account_error(&e, &client_id, &audience);
            c.fail("my_account", detail, fix);
            None
        }
        Ok(Err(TokenFailure::Other(e))) | Err(e) => {
            c.fail("my_account", e.message, e.hint.unwrap_or_default());
            None
        }
    };

    // --- per connection ------------------------------------------------------
    let api = my_account.map(|t| MyAccount::with_token(&active, t));
    let (available, accounts) = match &api {
        Some(api) => {
            let available = api.available_connections().await;
            let accounts = api.list().await;
            (Some(available), Some(accounts))
        }
        None => (None, None),
    };
    let vault = Vault::new(app);
    for service in Service::ALL {
        let s = service.as_str();
        let connection = service.connection();
        let enabled = match &available {
            Some(Ok(list)) if list.iter().any(|n| n == connection) => {
                c.pass(
                    &format!("{s}.connection"),
                    format!("{connection} offers Connected Accounts to this application"),
                );
                true
            }
            Some(Ok(_)) => {
                c.fail(
                    &format!("{s}.connection"),
                    format!("{connection} is not enabled for this application, or its Connected Accounts purpose is off"),
                    fixes::connection(connection, &client_id),
                );
                false
            }
            Some(Err(e)) => {
                c.fail(
                    &format!("{s}.connection"),
                    e.message.clone(),
                    e.hint.clone().unwrap_or_default(),
                );
                false
            }
            None => {
                c.skip(&format!("{s}.connection"), "a My Account API token");
                true
            }
        };
        let account: Option<ConnectedAccount> = match &accounts {
            Some(Ok(list)) => match list.iter().find(|a| a.service() == Some(service)) {
                Some(acc) => {
                    c.pass(&format!("{s}.account"), format!("connected as {}", acc.id));
                    Some(acc.clone())
                }
                None => {
                    c.fail(
                        &format!("{s}.account"),
                        format!("{} is not connected", service.display_name()),
                        format!("run `devcontext connect {}`", service.connect_name()),
                    );
                    None
                }
            },
            Some(Err(e)) => {
                c.fail(
                    &format!("{s}.account"),
                    e.message.clone(),
                    e.hint.clone().unwrap_or_default(),
                );
                None
            }
            None => {
                c.skip(&format!("{s}.account"), "a My Account API token");
                None
            }
        };
        match &account {
            Some(acc) => scope_check(&mut c, service, acc),
            None => c.skip(&format!("{s}.scopes"), "a connected account"),
        }
        // The exchange: run unless we know there is no account to exchange for.
        let known_missing = matches!(&accounts, Some(Ok(_))) && account.is_none();
        if known_missing {
            c.skip(&format!("{s}.exchange"), "a connected account");
            continue;
        }
        let vault = match &vault {
            Ok(v) => v,
            Err(e) => {
                c.fail(
                    &format!("{s}.exchange"),
                    e.message.clone(),
                    e.hint.clone().unwrap_or_default(),
                );
                continue;
            }
        };
        exchange_check(
            &mut c,
            vault,
            audit.as_ref().ok(),
            service,
            &client_id,
            enabled,
            rotation_on,
        )
        .await;
    }
    stores(app, &mut c);
    finish(c)
}

fn finish(c: Checks) -> Report {
    let ok = c.0.iter().all(|x| x.status == Status::Pass);
    Report { ok, checks: c.0 }
}

/// The setting behind Auth0's answer to the My Account API (MRRT) refresh.
fn my_account_error(e: &OAuthError, client_id: &str, audience: &str) -> (String, String) {
    let d = e.description.to_ascii_lowercase();
    let summary = e.summary();
    match e.error.as_str() {
        "consent_required" => (
            format!("Auth0 requires user consent for the My Account API ({summary})"),
            fixes::CONSENT.to_string(),
        ),
        "access_denied" if d.contains("service not found") => (
            format!("the My Account API is not activated ({summary})"),
            fixes::MY_ACCOUNT_ACTIVATE.to_string(),
        ),
        "access_denied" if d.contains("grant") => (
            format!("the application has no user-access grant to the My Account API ({summary})"),
            fixes::user_grant(client_id),
        ),
        "access_denied" if d.contains("polic") => (
            format!("the application's refresh-token policy does not cover {audience} ({summary})"),
            fixes::mrrt(client_id, audience),
        ),
        _ => {
            let err = crate::auth::session_error(e);
            (
                err.message,
                err.hint
                    .unwrap_or_else(|| "check the tenant's logs in the Auth0 dashboard".into()),
            )
        }
    }
}

fn scope_check(c: &mut Checks, service: Service, acc: &ConnectedAccount) {
    let id = format!("{}.scopes", service.as_str());
    if service == Service::Github {
        c.pass(
            &id,
            "GitHub Apps have no OAuth scopes; permissions are set on the GitHub App",
        );
        return;
    }
    let off = scopes::disabled(service, &acc.scopes);
    let (reads, writes): (Vec<_>, Vec<_>) = off.iter().partition(|d| d.access == Access::Read);
    let write_note = if writes.is_empty() {
        String::new()
    } else {
        let missing: Vec<&str> = writes
            .iter()
            .flat_map(|d| d.missing.iter().copied())
            .collect();
        format!(
            " ({} needs {}: `devcontext connect {} --scopes {}` adds it)",
            writes
                .iter()
                .map(|d| d.tool.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            missing.join(" "),
            service.connect_name(),
            missing.join(",")
        )
    };
    if reads.is_empty() {
        c.pass(&id, format!("the scopes cover every read tool{write_note}"));
        return;
    }
    let mut missing: Vec<&str> = reads
        .iter()
        .flat_map(|d| d.missing.iter().copied())
        .collect();
    missing.sort();
    missing.dedup();
    c.fail(
        &id,
        format!(
            "missing {}, which disables {}",
            missing.join(" "),
            reads
                .iter()
                .map(|d| d.tool.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "run `devcontext connect {} --scopes {}` (keeps the current scopes)",
            service.connect_name(),
            missing.join(",")
        ),
    );
}

async fn exchange_check(
    c: &mut Checks,
    vault: &Vault,
    audit: Option<&std::sync::Arc<AuditLog>>,
    service: Service,
    client_id: &str,
    connection_enabled: bool,
    rotation_on: bool,
) {
    let id = format!("{}.exchange", service.as_str());
    let started = Instant::now();
    let result = vault.exchange(service).await;
    let mut event = NewEvent::new(Action::TokenExchange, Decision::Granted)
        .service(service.as_str())
        .endpoint(vault.endpoint())
        .duration(started.elapsed());
    match result {
        Ok(_token) => {
            if let Some(a) = audit {
                let _ = a.append(
                    event
                        .http_status(200)
                        .reason(format!("connection {}", service.connection())),
                );
            }
            c.pass(&id, "Token Vault returned a provider token");
        }
        Err(f) => {
            event.decision = if f.error.kind == crate::error::ExitCode::NotConnected {
                Decision::Denied
            } else {
                Decision::Error
            };
            if let Some(s) = f.http_status {
                event = event.http_status(s);
            }
            let code = f.code.clone().unwrap_or_default();
            if let Some(a) = audit {
                let reason = if code.is_empty() {
                    f.error.message.clone()
                } else {
                    format!("{code}: {}", f.error.message)
                };
                let _ = a.append(event.reason(reason));
            }
            let message = f.error.message.clone();
            let connect = service.connect_name();
            let fix = match code.as_str() {
                // Token Vault refuses rotating refresh tokens with the same
                // code as a missing grant; the session check saw rotation.
                "unauthorized_client" if rotation_on => fixes::rotation(client_id),
                "unauthorized_client" => fixes::token_vault_grant(client_id),
                "mfa_required" => fixes::MFA.to_string(),
                "federated_connection_refresh_token_flow_failed" => format!(
                    "run `devcontext connect {connect}` (re-authorises the same account; access was revoked or expired at the provider)"
                ),
                "federated_connection_refresh_token_not_found" if !connection_enabled => {
                    fixes::connection(service.connection(), client_id)
                }
                "federated_connection_refresh_token_not_found" => fixes::provider_refresh_token(connect),
                _ => f.error.hint.clone().unwrap_or_else(|| "check the tenant's logs in the Auth0 dashboard (failed exchanges are `feta` events)".into()),
            };
            c.fail(&id, message, fix);
        }
    }
}

/// The permission and audit stores: readable, schema current, chain intact.
fn stores(app: &App, c: &mut Checks) {
    let perms = app.paths.permissions_db();
    match crate::db::schema_status(&perms, crate::perms::SCHEMA_VERSION) {
        Ok(None) => c.pass(
            "permissions",
            "no store yet (the defaults apply: reads allowed, writes ask)",
        ),
        Ok(Some(v)) if v == crate::perms::SCHEMA_VERSION => c.pass(
            "permissions",
            format!("{} readable, schema {v}", perms.display()),
        ),
        Ok(Some(v)) => c.fail(
            "permissions",
            format!(
                "{} has schema {v}, devcontext uses {}",
                perms.display(),
                crate::perms::SCHEMA_VERSION
            ),
            "run `devcontext perms list`, which updates it",
        ),
        Err(e) => c.fail("permissions", e.message, e.hint.unwrap_or_default()),
    }
    let audit_db = app.paths.audit_db();
    match crate::db::schema_status(&audit_db, crate::audit::SCHEMA_VERSION) {
        Ok(None) => c.pass("audit", "no store yet"),
        Ok(Some(v)) if v != crate::audit::SCHEMA_VERSION => c.fail(
            "audit",
            format!("{} has schema {v}, devcontext uses {}", audit_db.display(), crate::audit::SCHEMA_VERSION),
            "run `devcontext audit`, which updates it",
        ),
        Ok(Some(v)) => match AuditLog::open_read_only(&audit_db).and_then(|log| match log {
            Some(log) => log.verify().map(Some),
            None => Ok(None),
        }) {
            Ok(Some(r)) => match r.first_bad {
                None => c.pass("audit", format!("schema {v}; `audit verify` passes ({} events)", r.checked)),
                Some(bad) => c.fail(
                    "audit",
                    format!("`audit verify` fails at event {}: {}", bad.id, bad.problem),
                    "the audit store was changed outside devcontext: keep a copy for investigation; `devcontext audit prune --before` past that event restarts a chain that verifies",
                ),
            },
            Ok(None) => c.pass("audit", "no store yet"),
            Err(e) => c.fail("audit", e.message, e.hint.unwrap_or_default()),
        },
        Err(e) => c.fail("audit", e.message, e.hint.unwrap_or_default()),
    }
}

/// Result for callers that want an error when something failed.
pub fn exit(report: &Report) -> Result<()> {
    if report.ok {
        return Ok(());
    }
    Err(crate::error::Error::general(format!(
        "doctor found {} problem{} ({} check{} skipped)",
        report.count(Status::Fail),
        if report.count(Status::Fail) == 1 {
            ""
        } else {
            "s"
        },
        report.count(Status::Skip),
        if report.count(Status::Skip) == 1 {
            ""
        } else {
            "s"
        },
    ))
    .with_hint("apply the fix on each ✗ line, then run `devcontext doctor` again"))
}
