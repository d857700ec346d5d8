//! `devcontext connect`, `connections` and `disconnect` (Connected Accounts).

use crate::app::App;
use crate::audit::{Action, Decision, NewEvent};
use crate::auth::Active;
use crate::auth::connect::{ConnectedAccount, MyAccount};
use crate::cli::ConnectArgs;
use crate::error::{Error, Result};
use crate::hints::Hints;
use crate::output;
use crate::perms::{LinkedAccount, PermissionStore};
use crate::service::Service;

/// Remembers what Auth0 reports as linked, for `perms list` and `status`.
fn remember(app: &App, accounts: &[ConnectedAccount]) -> Result<()> {
    let linked: Vec<(Service, LinkedAccount)> = accounts
        .iter()
        .filter_map(|a| {
            a.service().map(|s| {
                (
                    s,
                    LinkedAccount {
                        account_id: a.id.clone(),
                        scopes: a.scopes.clone(),
                        connected_at: a.created_at.clone(),
                    },
                )
            })
        })
        .collect();
    PermissionStore::open(&app.paths.permissions_db())?
        .record_connections(&linked, app.clock.now_ms())
}

pub fn connect(app: &App, args: ConnectArgs) -> Result<()> {
    let service: Service = args.service.parse()?;
    let scopes: Vec<String> = match args.scopes {
        Some(s) => s
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        None => service
            .default_scopes()
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let audit = app.audit("connect")?;
    let active = Active::load(app)?;
    let port = super::login::callback_port(app)?;
    let result = super::block_on(async {
        let api = MyAccount::open(&active).await?;
        let account = api
            .connect(service, &scopes, port, args.no_browser, super::login::BROWSER_WAIT, &|url, opened| {
                if opened {
                    eprintln!("Opened your browser to connect {}. If it did not open, visit:\n  {url}", service.display_name());
                } else {
                    eprintln!("Open this URL in a browser to connect {}:\n  {url}", service.display_name());
                }
            })
            .await?;
        let all = api.list().await?;
        Ok::<_, Error>((account, all))
    })?;
    let event = NewEvent::new(Action::Connect, Decision::Granted).service(service.as_str());
    let (account, all) = match result {
        Ok(r) => r,
        Err(e) => {
            let mut ev = event.reason(e.message.clone());
            ev.decision = Decision::Error;
            audit.append(ev)?;
            return Err(e);
        }
    };
    remember(app, &all)?;
    audit.append(event.reason(format!(
        "connected {} as {} with scopes [{}]",
        account.connection,
        account.id,
        account.scopes.join(" ")
    )))?;
    if args.json.json {
        return output::print_json(&account);
    }
    output::line(format!(
        "Connected {} ({}){}",
        service.display_name(),
        account.id,
        if account.scopes.is_empty() {
            String::new()
        } else {
            format!(" with scopes: {}", account.scopes.join(" "))
        }
    ))
}

pub fn connections(app: &App, json: bool) -> Result<()> {
    let active = Active::load(app)?;
    let accounts = super::block_on(async { MyAccount::open(&active).await?.list().await })??;
    remember(app, &accounts)?;
    if json {
        return output::print_json(&accounts);
    }
    if accounts.is_empty() {
        eprintln!("No accounts connected. Run `devcontext connect github|slack|google`.");
        return Ok(());
    }
    let mut table = output::table(&["SERVICE", "CONNECTION", "ACCOUNT", "SCOPES", "CONNECTED"]);
    for a in &accounts {
        table.add_row(vec![
            a.service().map(|s| s.as_str()).unwrap_or("-").to_string(),
            a.connection.clone(),
            a.id.clone(),
            a.scopes.join(" "),
            a.created_at.clone().unwrap_or_default(),
        ]);
    }
    output::line(table)
}

pub fn disconnect(app: &App, service: &str) -> Result<()> {
    let service: Service = service.parse()?;
    let audit = app.audit("disconnect")?;
    let active = Active::load(app)?;
    let result = super::block_on(async {
        let api = MyAccount::open(&active).await?;
        let accounts = api.list().await?;
        let mine: Vec<_> = accounts
            .iter()
            .filter(|a| a.service() == Some(service))
            .collect();
        for a in &mine {
            api.delete(&a.id).await?;
        }
        let removed: Vec<String> = mine.iter().map(|a| a.id.clone()).collect();
        let left: Vec<ConnectedAccount> = accounts
            .into_iter()
            .filter(|a| a.service() != Some(service))
            .collect();
        Ok::<_, Error>((removed, left))
    })?;
    let (removed, left) = match result {
        Ok(r) => r,
        Err(e) => {
            audit.append(
                NewEvent::new(Action::Disconnect, Decision::Error)
                    .service(service.as_str())
                    .reason(e.message.clone()),
            )?;
            return Err(e);
        }
    };
    remember(app, &left)?;
    Hints::new(&app.paths.hints_dir()).forget(Some(service))?;
    if removed.is_empty() {
        audit.append(
            NewEvent::new(Action::Disconnect, Decision::Granted)
                .service(service.as_str())
                .reason("nothing was connected"),
        )?;
        return output::line(format!(
            "{} was not connected; nothing changed.",
            service.display_name()
        ));
    }
    audit.append(
        NewEvent::new(Action::Disconnect, Decision::Granted)
            .service(service.as_str())
            .reason(format!("removed {}", removed.join(", "))),
    )?;
    output::line(format!(
        "Disconnected {} (removed {}). Token Vault no longer holds its tokens; to revoke the app at {} itself, use its settings page.",
        service.display_name(),
        removed.join(", "),
        service.display_name()
    ))
}
