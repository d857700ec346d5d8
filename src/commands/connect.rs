//! `devcontext connect`, `connections` and `disconnect` (Connected Accounts).

use crate::app::App;
use crate::auth::connect::ConnectedAccount;
use crate::cli::ConnectArgs;
use crate::error::Result;
use crate::ops::connect::{self, Connected, Notice};
use crate::output::{Column, Table};
use crate::service::Service;

pub fn connect(app: &App, args: ConnectArgs) -> Result<()> {
    let service: Service = args.service.parse()?;
    let ui = app.ui;
    let name = service.display_name();
    let notice = |n: Notice| match n {
        Notice::Reauthorizing { account, added } => {
            ui.status(reauthorize_notice(service, account, added))
        }
        Notice::OpenUrl { url, opened: true } => {
            ui.status(format_args!(
                "Opened your browser to connect {name}. If it did not open, visit:"
            ));
            ui.status(format_args!("  {url}"));
        }
        Notice::OpenUrl { url, opened: false } => {
            ui.status(format_args!(
                "Open this URL in a browser to connect {name}:"
            ));
            ui.status(format_args!("  {url}"));
        }
    };
    let connected = connect::connect(app, service, args.scopes, args.no_browser, &notice)?;
    let account = match &connected {
        Connected::New(a) | Connected::Reauthorized(a) | Connected::Unchanged(a) => a,
    };
    if args.json.json {
        return ui.json(account);
    }
    if let Connected::Unchanged(a) = &connected {
        return ui.line(format_args!(
            "{name} is already connected ({}) with every scope asked for; nothing changed.",
            a.id
        ));
    }
    let scopes = if account.scopes.is_empty() {
        String::new()
    } else {
        format!(" with scopes: {}", account.scopes.join(" "))
    };
    ui.line(format_args!("Connected {name} ({}){scopes}", account.id))
}

/// Says, before the browser opens, that an existing account is re-authorised
/// in place and which scopes it keeps and gains.
fn reauthorize_notice(service: Service, account: &ConnectedAccount, added: &[String]) -> String {
    let kept = if account.scopes.is_empty() {
        String::new()
    } else {
        format!("; it keeps {}", account.scopes.join(" "))
    };
    let add = if added.is_empty() {
        String::new()
    } else {
        format!(" to add {}", added.join(" "))
    };
    format!(
        "{} is already connected ({}): re-authorising the same account in place{add}{kept}.",
        service.display_name(),
        account.id
    )
}

pub fn connections(app: &App, json: bool) -> Result<()> {
    let accounts = connect::connections(app)?;
    if json {
        return app.ui.json(&accounts);
    }
    if accounts.is_empty() {
        app.ui
            .status("No accounts connected. Run `devcontext connect github|slack|google`.");
        return Ok(());
    }
    let mut table = Table::new(&[
        Column::text("service", 0),
        Column::text("connection", 3),
        Column::text("account", 2),
        Column::time("connected", 1),
        Column::text("scopes", 4),
    ]);
    for a in &accounts {
        table.row([
            a.service().map(|s| s.as_str()).unwrap_or("-").to_string(),
            a.connection.clone(),
            a.id.clone(),
            a.created_at.clone().unwrap_or_default(),
            a.scopes.join(" "),
        ]);
    }
    app.ui.table(&table, app.clock.now())
}

pub fn disconnect(app: &App, service: &str) -> Result<()> {
    let service: Service = service.parse()?;
    let removed = connect::disconnect(app, service)?;
    let name = service.display_name();
    if removed.is_empty() {
        return app
            .ui
            .line(format_args!("{name} was not connected; nothing changed."));
    }
    app.ui.line(format_args!(
        "Disconnected {name} (removed {}). Token Vault no longer holds its tokens; to revoke the app at {name} itself, use its settings page.",
        removed.join(", "),
    ))
}
