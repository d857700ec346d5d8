//! Signing in and out: the Auth0 flows (`crate::auth::login`) with their
//! audit events, the loopback port setting, and removing local credentials.

use std::path::PathBuf;
use std::time::Duration;

use crate::app::App;
use crate::audit::{Action, Decision, NewEvent};
use crate::auth::credentials::StoreKind;
use crate::auth::login::{self, LoginOptions, Progress};
use crate::auth::{Active, REFRESH_TOKEN, Session};
use crate::error::{Error, Result};
use crate::hints::Hints;

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

/// How long a browser step (login, connect) may take.
pub const BROWSER_WAIT: Duration = Duration::from_secs(300);

/// Who is signed in now, and where the credentials went.
pub struct LoggedIn {
    pub who: String,
    pub tenant: String,
    pub store: StoreKind,
}

/// Signs in through the browser or the device flow; `progress` shows the
/// URL, the device code and warnings as the flow reaches them.
pub fn login(
    app: &App,
    device: bool,
    no_browser: bool,
    progress: &dyn Fn(Progress),
) -> Result<LoggedIn> {
    let audit = app.audit("login")?;
    let options = LoginOptions {
        no_browser,
        callback_port: callback_port(app)?,
        wait: if device {
            Duration::from_secs(900)
        } else {
            BROWSER_WAIT
        },
    };
    let method = if device { "device" } else { "browser" };
    let result = super::block_on(async {
        if device {
            login::device(app, &options, progress).await
        } else {
            login::browser(app, &options, progress).await
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
    Ok(LoggedIn {
        who,
        tenant: session.tenant,
        store: session.store,
    })
}

/// How a logout ended (a failed revocation is an error, after the local
/// credentials were deleted).
pub enum LoggedOut {
    /// The credential file could not be read: removed, nothing revoked.
    DamagedFileRemoved(PathBuf),
    NotLoggedIn,
    /// Revoked at Auth0 and deleted here.
    Revoked,
}

pub fn logout(app: &App) -> Result<LoggedOut> {
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
        return Ok(LoggedOut::DamagedFileRemoved(file));
    }
    let active = match Active::load(app) {
        Ok(a) => a,
        Err(e) if e.kind == crate::error::ExitCode::LoginRequired => {
            Session::remove(app)?;
            return Ok(LoggedOut::NotLoggedIn);
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
            Ok(LoggedOut::Revoked)
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
