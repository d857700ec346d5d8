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
    ui.line(format_args!(
        "config       {}{}",
        f.config,
        exists(&f.config)
    ))?;
    ui.line(format_args!("audit        {}", f.audit))?;
    ui.line(format_args!("permissions  {}", f.permissions))?;
    ui.line(format_args!(
        "credentials  {}{}",
        f.credentials,
        exists(&f.credentials)
    ))?;
    let tenant = status.tenant.as_deref().unwrap_or("none configured");
    ui.line(format_args!("tenant       {tenant}"))?;
    match &status.login {
        None => ui.line("login        not logged in (run `devcontext login`)")?,
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
            ui.line(format_args!(
                "login        {who} at {} ({method} login, credentials in {}) since {since}",
                l.tenant,
                l.credential_store.as_str(),
            ))?;
        }
    }
    // "allowed until T": T in the table's style on a terminal.
    let style = ui.style(app.clock.now());
    for (i, line) in status.export.lines().iter().enumerate() {
        let label = if i == 0 { "export" } else { "" };
        ui.line(format_args!("{label:<12} {line}"))?;
    }
    for s in &status.services {
        let scopes = s
            .connection
            .as_ref()
            .filter(|c| !c.scopes.is_empty())
            .map(|c| format!(" [{}]", c.scopes.join(" ")))
            .unwrap_or_default();
        ui.line(format_args!(
            "{:<12} {} (read: {}, write: {}){scopes}",
            s.service.as_str(),
            s.state.as_str(),
            style.with_short_time(&s.read),
            style.with_short_time(&s.write)
        ))?;
    }
    Ok(())
}
