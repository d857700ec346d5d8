//! `devcontext status`: where each file lives, the session and each service's state.

use crate::app::App;
use crate::auth::LoginMethod;
use crate::error::Result;
use crate::ops::status::status;

pub fn run(app: &App, json: bool) -> Result<()> {
    let status = status(app)?;
    let ui = &app.ui;
    if json {
        return ui.json(&status);
    }
    let exists = |path: &str| {
        if std::path::Path::new(path).exists() {
            ""
        } else {
            " (not created yet)"
        }
    };
    let f = &status.files;
    ui.field("config", format_args!("{}{}", f.config, exists(&f.config)))?;
    ui.field("audit", &f.audit)?;
    ui.field("permissions", &f.permissions)?;
    ui.field(
        "credentials",
        format_args!("{}{}", f.credentials, exists(&f.credentials)),
    )?;
    let tenant = status.tenant.as_deref().unwrap_or("none configured");
    ui.field("tenant", tenant)?;
    match &status.login {
        None => ui.field("login", "not logged in (run `devcontext login`)")?,
        Some(l) => {
            let who = l
                .user
                .as_ref()
                .map(|u| u.email.clone().or(u.name.clone()).unwrap_or(u.sub.clone()))
                .unwrap_or_else(|| "unknown user".into());
            let style = ui.style(app.clock.now());
            let since = if style.tty {
                style.times.short_text(&l.logged_in_at)
            } else {
                l.logged_in_at.clone()
            };
            let method = match l.method {
                LoginMethod::Browser => "browser",
                LoginMethod::Device => "device",
            };
            ui.field(
                "login",
                format_args!(
                    "{who} at {} ({method} login, credentials in {}) since {since}",
                    l.tenant,
                    l.credential_store.as_str(),
                ),
            )?;
        }
    }
    // "allowed until T": T in the table's style on a terminal.
    let style = ui.style(app.clock.now());
    for (i, line) in status.export.lines().iter().enumerate() {
        let label = if i == 0 { "export" } else { "" };
        ui.field(label, line)?;
    }
    for s in &status.services {
        let scopes = s
            .connection
            .as_ref()
            .filter(|c| !c.scopes.is_empty())
            .map(|c| format!(" [{}]", c.scopes.join(" ")))
            .unwrap_or_default();
        ui.field(
            s.service.as_str(),
            format_args!(
                "{} (read: {}, write: {}){scopes}",
                s.state.as_str(),
                style.with_short_time(&s.read),
                style.with_short_time(&s.write)
            ),
        )?;
    }
    Ok(())
}
