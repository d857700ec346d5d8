//! `devcontext config`: asks for the Auth0 tenant settings on a terminal,
//! writes the non-secret ones to config.toml and the client secret to the
//! credential store (never to the config file).

use crate::app::App;
use crate::auth::credentials::{CredentialStore, Secret};
use crate::auth::{CLIENT_SECRET, Session};
use crate::error::{Error, Result};
use crate::net;
use crate::output::Ui;

pub fn run(app: &App) -> Result<()> {
    let ui = &app.ui;
    if !ui.can_ask() {
        return Err(
            Error::usage("`devcontext config` asks questions and needs a terminal").with_hint(
                format!(
                    "set DEVCONTEXT_AUTH0_DOMAIN, _CLIENT_ID and _CLIENT_SECRET, or edit {}",
                    app.paths.config_file.display()
                ),
            ),
        );
    }
    let current = &app.settings.auth0;
    let domain = ask(
        ui,
        "Auth0 domain (you.us.auth0.com)",
        current.domain.as_deref(),
    )?;
    let base = net::auth0_base(&domain)?;
    let client_id = ask(
        ui,
        "Client ID of the Regular Web Application",
        current.client_id.as_deref(),
    )?;
    let secret = ui.password("Client secret (input hidden; empty keeps the stored one): ")?;

    crate::config::write_auth0(&app.paths.config_file, &domain, &client_id)?;
    if !secret.trim().is_empty() {
        let (store, warning) = CredentialStore::choose(
            &app.settings.credential_store,
            &app.paths.credentials_dir,
            &Session::account_prefix(base.as_str(), &client_id),
        )?;
        if let Some(w) = warning {
            ui.warn(w);
        }
        store.set(CLIENT_SECRET, &Secret::new(secret.trim()))?;
    }
    ui.line(format_args!(
        "Saved the tenant to {} (the client secret went to the credential store). Next: `devcontext login`.",
        app.paths.config_file.display()
    ))
}

/// One setting: the answer, else the current value, else an error.
fn ask(ui: &Ui, question: &str, default: Option<&str>) -> Result<String> {
    let line = ui.question(&match default {
        Some(d) => format!("{question} [{d}]: "),
        None => format!("{question}: "),
    })?;
    let answer = line.trim();
    match (answer.is_empty(), default) {
        (false, _) => Ok(answer.to_string()),
        (true, Some(d)) => Ok(d.to_string()),
        (true, None) => Err(Error::usage(format!("{question} is required"))),
    }
}
