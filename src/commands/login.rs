//! `devcontext login` and `devcontext logout`.

use crate::app::App;
use crate::auth::credentials::StoreKind;
use crate::auth::login::Progress;
use crate::cli::LoginArgs;
use crate::error::Result;
use crate::ops::login::{self, LoggedOut};
use crate::output::Color;

pub fn login(app: &App, args: LoginArgs) -> Result<()> {
    let ui = app.ui;
    // The URLs, the code and warnings come from Auth0 over the network: the
    // Ui shows them sanitised, our colour added after.
    let progress = move |p: Progress| match p {
        Progress::OpenUrl { url, opened } => {
            if opened {
                ui.status("Opened your browser to sign in. If it did not open, visit:");
            } else {
                ui.status("Open this URL in a browser to sign in:");
            }
            ui.status(format_args!("  {url}"));
            ui.status("Waiting for the browser...");
        }
        Progress::DeviceCode {
            user_code,
            url,
            opened,
        } => {
            ui.status(format_args!(
                "{} {url}",
                if opened { "Opened" } else { "Visit" }
            ));
            ui.status_highlight("and confirm this code: ", user_code, Color::Yellow);
            ui.status("Waiting for approval...");
        }
        Progress::Warning(w) => ui.warn(w),
    };
    let done = login::login(app, args.device, args.no_browser, &progress)?;
    ui.line(format_args!(
        "Logged in as {} to {} (credentials in the {})",
        done.who,
        done.tenant,
        match done.store {
            StoreKind::Keyring => "OS keyring",
            StoreKind::File => "credential file",
        }
    ))
}

pub fn logout(app: &App) -> Result<()> {
    match login::logout(app)? {
        LoggedOut::DamagedFileRemoved(file) => app.ui.line(format_args!(
            "Logged out: the damaged credential file {} was removed. The session could not be \
             revoked at Auth0 (revoke it in the dashboard under Users > Sessions if the machine \
             is not yours). Run `devcontext login` to sign in again.",
            file.display()
        )),
        LoggedOut::NotLoggedIn => app.ui.line("Not logged in; nothing to do."),
        LoggedOut::Revoked => app
            .ui
            .line("Logged out: the session was revoked at Auth0 and local credentials deleted."),
    }
}
