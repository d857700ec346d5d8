//! Builds the real [`Broker`] for a command: the audit store for this run, the
//! permission store, the Token Vault client for the logged-in session and the
//! provider base URLs (each checked: HTTPS, or http on loopback only). Also
//! the local checks `ask` makes before the model sees anything.

use std::sync::Arc;

use crate::app::App;
use crate::approval::Approver;
use crate::audit::AuditLog;
use crate::broker::{Broker, BrokerSettings, Endpoints, Limits};
use crate::error::{Error, ExitCode, Result};
use crate::hints::Hints;
use crate::net;
use crate::perms::{PermissionStore, ServiceState};
use crate::vault::Vault;

pub fn open_broker(app: &App, command: &str, approver: Arc<dyn Approver>) -> Result<Broker> {
    open_broker_with(app, app.audit(command)?, approver)
}

/// Like [`open_broker`], appending to an audit log the caller already holds
/// (a long-running front door such as `devcontext mcp` keeps one run).
pub fn open_broker_with(
    app: &App,
    audit: Arc<AuditLog>,
    approver: Arc<dyn Approver>,
) -> Result<Broker> {
    let s = &app.settings;
    let endpoints = Endpoints {
        github: net::secure_url(&s.github_api_url, "GitHub API URL")?,
        calendar: net::secure_url(&s.calendar_api_url, "Google Calendar API URL")?,
        slack: net::secure_url(&s.slack_api_url, "Slack API URL")?,
    };
    let http = net::client(crate::auth::timeout(app), true)?;
    Ok(Broker::new(BrokerSettings {
        audit,
        permissions: app.paths.permissions_db(),
        clock: app.clock,
        source: Arc::new(Vault::new(app)?),
        approver,
        http,
        endpoints,
        hooks: crate::providers::hooks,
        limits: Limits::default(),
        hints: Some(Hints::new(&app.paths.hints_dir())),
    }))
}

/// What `ask` checks on this machine before its question leaves it: a model
/// endpoint is configured (and acceptable), someone is logged in, and at least
/// one service is connected and not revoked. Each failure says what to run.
/// Nothing here touches the network.
pub fn ready_to_ask(app: &App) -> Result<()> {
    let base = app
        .settings
        .model_base_url
        .as_deref()
        .filter(|b| !b.trim().is_empty())
        .ok_or_else(|| {
            Error::usage("no model endpoint is configured").with_hint(
                "set OPENAI_BASE_URL to an OpenAI-compatible endpoint (e.g. http://127.0.0.1:8080/v1) \
                 or [model] base_url in the config, or run scripts/demo.sh",
            )
        })?;
    net::secure_url(base, "model base URL (OPENAI_BASE_URL)")?;
    crate::auth::Active::load(app)?;
    let services =
        PermissionStore::open(&app.paths.permissions_db())?.summary(app.clock.now_ms())?;
    if services.iter().any(|s| s.state == ServiceState::Connected) {
        return Ok(());
    }
    let revoked: Vec<&str> = services
        .iter()
        .filter(|s| s.state == ServiceState::Revoked && s.connection.is_some())
        .map(|s| s.service.as_str())
        .collect();
    if let Some(first) = revoked.first() {
        return Err(Error::blocked(format!(
            "every connected service is revoked for the assistant ({}), so it could read nothing",
            revoked.join(", ")
        ))
        .with_hint(format!(
            "run `devcontext perms reset {first}` to allow it again"
        )));
    }
    Err(Error::new(
        ExitCode::NotConnected,
        "no service is connected, so the assistant could read nothing",
    )
    .with_hint(
        "run `devcontext connect github` (or slack, google); connected on another machine? \
         `devcontext connections` updates what this one knows",
    ))
}
