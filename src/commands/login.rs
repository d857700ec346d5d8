//! `devcontext login` and `devcontext logout`.

use std::time::Duration;

use crate::app::App;
use crate::audit::{Action, Decision, NewEvent};
use crate::auth::login::{self, LoginOptions, Progress};
use crate::auth::{Active, REFRESH_TOKEN, Session};
use crate::cli::LoginArgs;
use crate::error::{Error, Result};
use crate::hints::Hints;
use crate::output::{self, Color};
use crate::sanitize;

/// The loopback port for browser redirects: DEVCONTEXT_CALLBACK_PORT, else the registered range.
pub fn callback_port(app: &App) -> Result<Option<u16>> {
    app.env
        .get("DEVCONTEXT_CALLBACK_PORT")
        .map(|p| {
            p.parse::<u16>().map_err(|_| {
                Error::usage(format!(
                    "DEVCONTEXT_CALLBACK_PORT must be a port number, not '{p}'"
                ))
                .with_hint("use a port registered in the Auth0 application's callback URLs (18484-18489), 0 for any, or unset it")
            })
        })
        .transpose()
}

pub const BROWSER_WAIT: Duration = Duration::from_secs(300);

pub fn login(app: &App, args: LoginArgs) -> Result<()> {
    let audit = app.audit("login")?;
    let options = LoginOptions {
        no_browser: args.no_browser,
        callback_port: callback_port(app)?,
        wait: if args.device {
            Duration::from_secs(900)
        } else {
            BROWSER_WAIT
        },
    };
    let ui = app.ui;
    // The URLs, the code and warnings come from Auth0 over the network:
    // shown sanitised, our colour added after.
    let progress = move |p: Progress| match p {
        Progress::OpenUrl { url, opened } => {
            let url = sanitize::line(url);
            if opened {
                eprintln!("Opened your browser to sign in. If it did not open, visit:\n  {url}");
            } else {
                eprintln!("Open this URL in a browser to sign in:\n  {url}");
            }
            eprintln!("Waiting for the browser...");
        }
        Progress::DeviceCode {
            user_code,
            url,
            opened,
        } => {
            eprintln!(
                "{} {}",
                if opened { "Opened" } else { "Visit" },
                sanitize::line(url)
            );
            eprintln!(
                "and confirm this code: {}",
                ui.paint(&sanitize::line(user_code), Color::Yellow)
            );
            eprintln!("Waiting for approval...");
        }
        Progress::Warning(w) => eprintln!("warning: {}", sanitize::line(w)),
    };
    let method = if args.device { "device" } else { "browser" };
    let result = super::block_on(async {
        if args.device {
            login::device(app, &options, &progress).await
        } else {
            login::browser(app, &options, &progress).await
        }
    })?;
    let session = match result {
        Ok(s) => s,
        Err(e) => {
            audit.append(
                NewEvent::new(Action::Login, Decision::Error)
                    .reason(format!("{method} login failed: {}", e.message)),
            )?;
            return Err(e);
        }
    };
    let who = session
        .user
        .as_ref()
        .map(|u| u.email.clone().or(u.name.clone()).unwrap_or(u.sub.clone()))
        .unwrap_or_else(|| "unknown user".into());
    audit.append(
        NewEvent::new(Action::Login, Decision::Granted).reason(format!(
            "{method} login as {who} to {} (credentials in {})",
            session.tenant,
            session.store.as_str()
        )),
    )?;
    output::line(format!(
        "Logged in as {who} to {} (credentials in the {})",
        session.tenant,
        match session.store {
            crate::auth::credentials::StoreKind::Keyring => "OS keyring",
            crate::auth::credentials::StoreKind::File => "credential file",
        }
    ))
}

pub fn logout(app: &App) -> Result<()> {
    let audit = app.audit("logout")?;
    // A damaged credential file cannot be read, so the session cannot be
    // revoked at Auth0; logging out still means removing it here (its
    // hint sends people to `logout`, then `login`).
    let file = app.paths.credentials_dir.join("credentials.json");
    let damaged = std::fs::read(&file)
        .is_ok_and(|b| serde_json::from_slice::<serde_json::Value>(&b).is_err());
    if damaged {
        std::fs::remove_file(&file)?;
        Session::remove(app)?;
        Hints::new(&app.paths.hints_dir()).forget(None)?;
        audit.append(NewEvent::new(Action::Logout, Decision::Error).reason(
            "the credential file was damaged: removed; nothing could be revoked at Auth0",
        ))?;
        return output::line(format!(
            "Logged out: the damaged credential file {} was removed. The session could not be \
             revoked at Auth0 (revoke it in the dashboard under Users > Sessions if the machine \
             is not yours). Run `devcontext login` to sign in again.",
            file.display()
        ));
    }
    let active = match Active::load(app) {
        Ok(a) => a,
        Err(e) if e.kind == crate::error::ExitCode::LoginRequired => {
            Session::remove(app)?;
            return output::line("Not logged in; nothing to do.");
        }
        Err(e) => return Err(e),
    };
    let revoked = super::block_on(crate::auth::revoke(&active))??;
    // Local credentials go whatever Auth0 said: the user asked to be logged out here.
    active.store.delete(REFRESH_TOKEN)?;
    active.store.delete(crate::auth::CLIENT_SECRET)?;
    Session::remove(app)?;
    Hints::new(&app.paths.hints_dir()).forget(None)?;
    match revoked {
        Ok(()) => {
            audit.append(
                NewEvent::new(Action::Logout, Decision::Granted)
                    .reason("refresh token revoked at Auth0; local credentials deleted"),
            )?;
            output::line(
                "Logged out: the session was revoked at Auth0 and local credentials deleted.",
            )
        }
        Err(e) => {
            audit.append(
                NewEvent::new(Action::Logout, Decision::Error).reason(format!(
                    "local credentials deleted; revocation at Auth0 failed: {}",
                    e.message
                )),
            )?;
            Err(Error::new(e.kind, format!(
                "local credentials were deleted, but revoking the session at Auth0 failed: {}",
                e.message
            ))
            .with_hint("revoke the session in the Auth0 dashboard (Users > Sessions) if the machine is not yours"))
        }
    }
}
