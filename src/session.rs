//! Builds the real [`Broker`] for a command: the audit store for this run, the
//! permission store, the Token Vault client for the logged-in session and the
//! provider base URLs (each checked: HTTPS, or http on loopback only).

use std::sync::Arc;

use crate::app::App;
use crate::approval::Approver;
use crate::broker::{Broker, Endpoints, Limits};
use crate::error::Result;
use crate::hints::Hints;
use crate::net;
use crate::vault::Vault;

pub fn open_broker(app: &App, command: &str, approver: Arc<dyn Approver>) -> Result<Broker> {
    let s = &app.settings;
    let endpoints = Endpoints {
        github: net::secure_url(&s.github_api_url, "GitHub API URL")?,
        calendar: net::secure_url(&s.calendar_api_url, "Google Calendar API URL")?,
        slack: net::secure_url(&s.slack_api_url, "Slack API URL")?,
    };
    let http = net::client(crate::auth::timeout(app), true)?;
    Ok(Broker::new(
        app.audit(command)?,
        app.paths.permissions_db(),
        app.clock,
        Arc::new(Vault::new(app)?),
        approver,
        http,
        endpoints,
        Limits::default(),
    )
    .with_hints(Hints::new(&app.paths.hints_dir())))
}
