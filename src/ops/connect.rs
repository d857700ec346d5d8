//! Connecting, listing and disconnecting accounts (Connected Accounts): the
//! My Account API calls (`crate::auth::connect`), their audit events, and
//! remembering what Auth0 reports as linked for `perms list` and `status`.

use crate::app::App;
use crate::audit::{Action, Decision, NewEvent};
use crate::auth::Active;
use crate::auth::callback::Browser;
use crate::auth::connect::{ConnectPlan, ConnectedAccount, MyAccount, plan_connect};
use crate::error::{Error, Result};
use crate::hints::Hints;
use crate::perms::{LinkedAccount, PermissionStore};
use crate::service::Service;

/// What the person is told while a connect runs.
pub enum Notice<'a> {
    /// Before the browser opens: the existing account is re-authorised in
    /// place, keeping its scopes and gaining `added`.
    Reauthorizing {
        account: &'a ConnectedAccount,
        added: &'a [String],
    },
    /// The URL to finish in a browser, and whether one was opened on it.
    OpenUrl { url: &'a str, opened: bool },
}

/// How a connect ended.
pub enum Connected {
    /// A new account was linked.
    New(ConnectedAccount),
    /// The linked account was re-authorised with more scopes.
    Reauthorized(ConnectedAccount),
    /// Already linked with every scope asked for: nothing changed.
    Unchanged(ConnectedAccount),
}

/// Links `service` with `scopes` (`--scopes`; None: the service's defaults),
/// or adds scopes to the account already linked. What is linked is checked
/// first, before any browser step.
pub fn connect(
    app: &App,
    service: Service,
    scopes: Option<Vec<String>>,
    no_browser: bool,
    notice: &dyn Fn(Notice),
) -> Result<Connected> {
    let requested: Option<Vec<String>> = scopes.map(|s| {
        s.into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    });
    let audit = app.audit("connect")?;
    let active = Active::load(app)?;
    let port = super::login::callback_port(app)?;
    let browser = (!no_browser).then(|| Browser::from_env(&app.env));
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
                notice(Notice::Reauthorizing { account, added });
                scopes.clone()
            }
        };
        let show_url = |url: &str, opened: bool| notice(Notice::OpenUrl { url, opened });
        let account = api
            .connect(
                service,
                &scopes,
                port,
                browser.as_ref(),
                super::login::BROWSER_WAIT,
                &show_url,
            )
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
        return Ok(Connected::Unchanged(account));
    };
    let reauthorized = matches!(plan, ConnectPlan::Reauthorize { .. });
    let verb = if reauthorized {
        "re-authorised"
    } else {
        "connected"
    };
    audit.append(event.reason(format!(
        "{verb} {} as {} with scopes [{}]",
        account.connection,
        account.id,
        account.scopes.join(" ")
    )))?;
    Ok(if reauthorized {
        Connected::Reauthorized(account)
    } else {
        Connected::New(account)
    })
}

/// Every linked account, as Auth0 reports it (and remembered).
pub fn connections(app: &App) -> Result<Vec<ConnectedAccount>> {
    let active = Active::load(app)?;
    let accounts = super::block_on(async { MyAccount::open(&active).await?.list().await })??;
    remember(app, &accounts)?;
    Ok(accounts)
}

/// Unlinks every account of `service`; returns the ids removed (none: it
/// was not connected).
pub fn disconnect(app: &App, service: Service) -> Result<Vec<String>> {
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
    let reason = if removed.is_empty() {
        "nothing was connected".to_string()
    } else {
        format!("removed {}", removed.join(", "))
    };
    audit.append(
        NewEvent::new(Action::Disconnect, Decision::Granted)
            .service(service.as_str())
            .reason(reason),
    )?;
    Ok(removed)
}

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
