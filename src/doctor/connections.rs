//! The checks per connection (GitHub, Google, Slack): the connection offers
//! Connected Accounts to this application, an account is connected, its
//! scopes cover the read tools, and Token Vault exchanges for it (audited
//! with the command `doctor`), each exchange error mapped to its fix
//! (auth0-protocol.md §4.7).

use std::sync::Arc;
use std::time::Instant;

use super::{Checks, fixes, scopes};
use crate::app::App;
use crate::audit::{Action, AuditLog, Decision, NewEvent};
use crate::auth::Active;
use crate::auth::connect::{ConnectedAccount, MyAccount};
use crate::auth::credentials::Secret;
use crate::broker::TokenSource;
use crate::perms::Access;
use crate::service::Service;
use crate::vault::Vault;

/// Every connection's checks, with the My Account API token when there is
/// one; `rotation_on` is what the session check found.
pub(super) async fn check(
    app: &App,
    active: &Active,
    my_account: Option<Secret>,
    audit: Option<&Arc<AuditLog>>,
    rotation_on: bool,
    c: &mut Checks,
) {
    let client_id = active.session.client_id.clone();
    let api = my_account.map(|t| MyAccount::with_token(active, t));
    let (available, accounts) = match &api {
        Some(api) => {
            let available = api.available_connections().await;
            let accounts = api.list().await;
            (Some(available), Some(accounts))
        }
        None => (None, None),
    };
    let vault = Vault::new(app);
    for service in Service::ALL {
        let s = service.as_str();
        let connection = service.connection();
        let enabled = match &available {
            Some(Ok(list)) if list.iter().any(|n| n == connection) => {
                c.pass(
                    &format!("{s}.connection"),
                    format!("{connection} offers Connected Accounts to this application"),
                );
                true
            }
            Some(Ok(_)) => {
                c.fail(
                    &format!("{s}.connection"),
                    format!("{connection} is not enabled for this application, or its Connected Accounts purpose is off"),
                    fixes::connection(connection, &client_id),
                );
                false
            }
            Some(Err(e)) => {
                c.fail(
                    &format!("{s}.connection"),
                    e.message.clone(),
                    e.hint.clone().unwrap_or_default(),
                );
                false
            }
            None => {
                c.skip(&format!("{s}.connection"), "a My Account API token");
                true
            }
        };
        let account: Option<ConnectedAccount> = match &accounts {
            Some(Ok(list)) => match list.iter().find(|a| a.service() == Some(service)) {
                Some(acc) => {
                    c.pass(&format!("{s}.account"), format!("connected as {}", acc.id));
                    Some(acc.clone())
                }
                None => {
                    c.fail(
                        &format!("{s}.account"),
                        format!("{} is not connected", service.display_name()),
                        format!("run `devcontext connect {}`", service.connect_name()),
                    );
                    None
                }
            },
            Some(Err(e)) => {
                c.fail(
                    &format!("{s}.account"),
                    e.message.clone(),
                    e.hint.clone().unwrap_or_default(),
                );
                None
            }
            None => {
                c.skip(&format!("{s}.account"), "a My Account API token");
                None
            }
        };
        match &account {
            Some(acc) => scope_check(c, service, acc),
            None => c.skip(&format!("{s}.scopes"), "a connected account"),
        }
        // The exchange: run unless we know there is no account to exchange for.
        let known_missing = matches!(&accounts, Some(Ok(_))) && account.is_none();
        if known_missing {
            c.skip(&format!("{s}.exchange"), "a connected account");
            continue;
        }
        let vault = match &vault {
            Ok(v) => v,
            Err(e) => {
                c.fail(
                    &format!("{s}.exchange"),
                    e.message.clone(),
                    e.hint.clone().unwrap_or_default(),
                );
                continue;
            }
        };
        exchange_check(c, vault, audit, service, &client_id, enabled, rotation_on).await;
    }
}

fn scope_check(c: &mut Checks, service: Service, acc: &ConnectedAccount) {
    let id = format!("{}.scopes", service.as_str());
    if service == Service::Github {
        c.pass(
            &id,
            "GitHub Apps have no OAuth scopes; permissions are set on the GitHub App",
        );
        return;
    }
    let off = scopes::disabled(service, &acc.scopes);
    let (reads, writes): (Vec<_>, Vec<_>) = off.iter().partition(|d| d.access == Access::Read);
    let write_note = if writes.is_empty() {
        String::new()
    } else {
        let missing: Vec<&str> = writes
            .iter()
            .flat_map(|d| d.missing.iter().copied())
            .collect();
        format!(
            " ({} needs {}: `devcontext connect {} --scopes {}` adds it)",
            writes
                .iter()
                .map(|d| d.tool.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            missing.join(" "),
            service.connect_name(),
            missing.join(",")
        )
    };
    if reads.is_empty() {
        c.pass(&id, format!("the scopes cover every read tool{write_note}"));
        return;
    }
    let mut missing: Vec<&str> = reads
        .iter()
        .flat_map(|d| d.missing.iter().copied())
        .collect();
    missing.sort();
    missing.dedup();
    c.fail(
        &id,
        format!(
            "missing {}, which disables {}",
            missing.join(" "),
            reads
                .iter()
                .map(|d| d.tool.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "run `devcontext connect {} --scopes {}` (keeps the current scopes)",
            service.connect_name(),
            missing.join(",")
        ),
    );
}

async fn exchange_check(
    c: &mut Checks,
    vault: &Vault,
    audit: Option<&Arc<AuditLog>>,
    service: Service,
    client_id: &str,
    connection_enabled: bool,
    rotation_on: bool,
) {
    let id = format!("{}.exchange", service.as_str());
    let started = Instant::now();
    let result = vault.exchange(service).await;
    let mut event = NewEvent::new(Action::TokenExchange, Decision::Granted)
        .service(service.as_str())
        .endpoint(vault.endpoint())
        .duration(started.elapsed());
    match result {
        Ok(_token) => {
            if let Some(a) = audit {
                let _ = a.append(
                    event
                        .http_status(200)
                        .reason(format!("connection {}", service.connection())),
                );
            }
            c.pass(&id, "Token Vault returned a provider token");
        }
        Err(f) => {
            event.decision = if f.error.kind == crate::error::ExitCode::NotConnected {
                Decision::Denied
            } else {
                Decision::Error
            };
            if let Some(s) = f.http_status {
                event = event.http_status(s);
            }
            let code = f.code.clone().unwrap_or_default();
            if let Some(a) = audit {
                let reason = if code.is_empty() {
                    f.error.message.clone()
                } else {
                    format!("{code}: {}", f.error.message)
                };
                let _ = a.append(event.reason(reason));
            }
            let message = f.error.message.clone();
            let connect = service.connect_name();
            let fix = match code.as_str() {
                // Token Vault refuses rotating refresh tokens with the same
                // code as a missing grant; the session check saw rotation.
                "unauthorized_client" if rotation_on => fixes::rotation(client_id),
                "unauthorized_client" => fixes::token_vault_grant(client_id),
                "mfa_required" => fixes::MFA.to_string(),
                "federated_connection_refresh_token_flow_failed" => format!(
                    "run `devcontext connect {connect}` (re-authorises the same account; access was revoked or expired at the provider)"
                ),
                "federated_connection_refresh_token_not_found" if !connection_enabled => {
                    fixes::connection(service.connection(), client_id)
                }
                "federated_connection_refresh_token_not_found" => fixes::provider_refresh_token(connect),
                _ => f.error.hint.clone().unwrap_or_else(|| "check the tenant's logs in the Auth0 dashboard (failed exchanges are `feta` events)".into()),
            };
            c.fail(&id, message, fix);
        }
    }
}
