//! `devcontext connect`, `connections` and `disconnect` (Connected Accounts).

use crate::app::App;
use crate::audit::{Action, Decision, NewEvent};
use crate::auth::Active;
use crate::auth::callback::Browser;
use crate::auth::connect::{ConnectPlan, ConnectedAccount, MyAccount, plan_connect};
use crate::cli::ConnectArgs;
use crate::error::{Error, Result};
use crate::hints::Hints;
use crate::output::{self, Column, Table};
use crate::perms::{LinkedAccount, PermissionStore};
use crate::sanitize;
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
        .record_connections(&linked, crate::clock::Clock::System.now_ms())
}

pub fn connect(app: &App, args: ConnectArgs) -> Result<()> {
    let service: Service = args.service.parse()?;
    let requested: Option<Vec<String>> = args.scopes.map(|s| {
        s.into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    });
    let audit = app.audit("connect")?;
    let active = Active::load(app)?;
    let port = super::login::callback_port(app)?;
    let browser = (!args.no_browser).then(|| Browser::from_env(&app.env));
    let result = super::block_on(async {
        let api = MyAccount::open(&active).await?;
        // Local checks before any browser step: what is linked already.
        let before = api.list().await?;
        let existing = before.iter().find(|a| a.service() == Some(service));
        let plan = plan_connect(existing, requested.as_deref(), service.default_scopes());
        let scopes = match &plan {
            ConnectPlan::NothingToAdd { .. } => return Ok::<_, Error>((plan, None, before)),
            ConnectPlan::New { scopes } => scopes.clone(),
            ConnectPlan::Reauthorize {
                account,
                scopes,
                added,
            } => {
                eprintln!(
                    "{}",
                    sanitize::line(&reauthorize_notice(service, account, added))
                );
                scopes.clone()
            }
        };
        let account = api
            .connect(service, &scopes, port, browser.as_ref(), super::login::BROWSER_WAIT, &|url, opened| {
                let url = sanitize::line(url);
                if opened {
                    eprintln!("Opened your browser to connect {}. If it did not open, visit:\n  {url}", service.display_name());
                } else {
                    eprintln!("Open this URL in a browser to connect {}:\n  {url}", service.display_name());
                }
            })
            .await?;
        let all = api.list().await?;
        Ok((plan, Some(account), all))
    })?;
    let event = NewEvent::new(Action::Connect, Decision::Granted).service(service.as_str());
    let (plan, account, all) = match result {
        Ok(r) => r,
        Err(e) => {
            audit.append(event.failed(e.message.clone()))?;
            return Err(e);
        }
    };
    remember(app, &all)?;
    let Some(account) = account else {
        let ConnectPlan::NothingToAdd { account } = plan else {
            return Err(Error::general("connect ended without an account"));
        };
        audit.append(event.reason(format!(
            "already connected as {} with every requested scope; nothing changed",
            account.id
        )))?;
        if args.json.json {
            return output::print_json(&account);
        }
        return output::line(sanitize::line(&format!(
            "{} is already connected ({}) with every scope asked for; nothing changed.",
            service.display_name(),
            account.id
        )));
    };
    let verb = match plan {
        ConnectPlan::Reauthorize { .. } => "re-authorised",
        _ => "connected",
    };
    audit.append(event.reason(format!(
        "{verb} {} as {} with scopes [{}]",
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

/// Says, before the browser opens, that an existing account is re-authorised
/// in place and which scopes it keeps and gains.
fn reauthorize_notice(service: Service, account: &ConnectedAccount, added: &[String]) -> String {
    let kept = if account.scopes.is_empty() {
        String::new()
    } else {
        format!("; it keeps {}", account.scopes.join(" "))
    };
    if added.is_empty() {
        format!(
            "{} is already connected ({}): re-authorising the same account in place{kept}.",
            service.display_name(),
            account.id
        )
    } else {
        format!(
            "{} is already connected ({}): re-authorising the same account in place to add {}{kept}.",
            service.display_name(),
            account.id,
            added.join(" ")
        )
    }
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
    output::print_table(&table, &app.ui.style(app.clock.now()))
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
