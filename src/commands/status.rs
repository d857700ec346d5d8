//! `devcontext status`: where each file lives, the session and each service's state.

use serde::Serialize;

use crate::app::App;
use crate::auth::credentials::StoreKind;
use crate::auth::{LoginMethod, Session, User};
use crate::error::Result;
use crate::output;
use crate::perms::{PermissionStore, ServicePermissions};

#[derive(Serialize)]
struct Files {
    config: String,
    audit: String,
    permissions: String,
    credentials: String,
}

#[derive(Serialize)]
struct Login {
    tenant: String,
    user: Option<User>,
    method: LoginMethod,
    credential_store: StoreKind,
    logged_in_at: String,
}

#[derive(Serialize)]
struct Status {
    files: Files,
    /// The configured tenant (may differ from the logged-in one after a config change).
    tenant: Option<String>,
    login: Option<Login>,
    services: Vec<ServicePermissions>,
    /// Audit export to an OpenTelemetry collector (header values never shown).
    export: crate::export::Status,
}

pub fn run(app: &App, json: bool) -> Result<()> {
    let p = &app.paths;
    let store = PermissionStore::open(&p.permissions_db())?;
    let status = Status {
        files: Files {
            config: p.config_file.display().to_string(),
            audit: p.audit_db().display().to_string(),
            permissions: p.permissions_db().display().to_string(),
            credentials: p.credentials_dir.display().to_string(),
        },
        tenant: app.settings.auth0.domain.clone(),
        login: Session::load(app)?.map(|s| Login {
            tenant: s.tenant,
            user: s.user,
            method: s.method,
            credential_store: s.store,
            logged_in_at: s.logged_in_at,
        }),
        services: store.summary(app.clock.now_ms())?,
        export: crate::export::status(app)?,
    };
    if json {
        return output::print_json(&status);
    }
    let exists = |path: &str| {
        if std::path::Path::new(path).exists() {
            ""
        } else {
            " (not created yet)"
        }
    };
    let f = &status.files;
    output::line(format!("config       {}{}", f.config, exists(&f.config)))?;
    output::line(format!("audit        {}", f.audit))?;
    output::line(format!("permissions  {}", f.permissions))?;
    output::line(format!(
        "credentials  {}{}",
        f.credentials,
        exists(&f.credentials)
    ))?;
    output::line(format!(
        "tenant       {}",
        status.tenant.as_deref().unwrap_or("none configured")
    ))?;
    match &status.login {
        None => output::line("login        not logged in (run `devcontext login`)")?,
        Some(l) => {
            let who = l
                .user
                .as_ref()
                .map(|u| u.email.clone().or(u.name.clone()).unwrap_or(u.sub.clone()))
                .unwrap_or_else(|| "unknown user".into());
            let style = app.ui.style(app.clock.now());
            let since = if style.tty {
                style.times.short_text(&l.logged_in_at)
            } else {
                l.logged_in_at.clone()
            };
            output::line(format!(
                "login        {who} at {} ({} login, credentials in {}) since {since}",
                l.tenant,
                match l.method {
                    LoginMethod::Browser => "browser",
                    LoginMethod::Device => "device",
                },
                l.credential_store.as_str(),
            ))?;
        }
    }
    let style = app.ui.style(app.clock.now());
    // "allowed until T": T in the table's style on a terminal.
    let human = |text: &str| match text.rsplit_once(' ') {
        Some((_, t)) if style.tty && chrono::DateTime::parse_from_rfc3339(t).is_ok() => {
            text.replace(t, &style.times.short_text(t))
        }
        _ => text.to_string(),
    };
    for (i, line) in status.export.lines().iter().enumerate() {
        let label = if i == 0 { "export" } else { "" };
        output::line(format!("{label:<12} {line}"))?;
    }
    for s in &status.services {
        let scopes = s
            .connection
            .as_ref()
            .filter(|c| !c.scopes.is_empty())
            .map(|c| format!(" [{}]", c.scopes.join(" ")))
            .unwrap_or_default();
        output::line(format!(
            "{:<12} {} (read: {}, write: {}){scopes}",
            s.service.as_str(),
            s.state.as_str(),
            human(&s.read),
            human(&s.write)
        ))?;
    }
    Ok(())
}
