//! The checks that need nothing but this machine: the configuration (Auth0
//! domain, the client ids the login method needs, the credential store, the
//! callback port) and the local stores (permissions and audit: readable,
//! schema current, chain intact).

use url::Url;

use super::Checks;
use crate::app::App;
use crate::audit::AuditLog;
use crate::auth::{Active, LoginMethod, Session};
use crate::error::Result;

/// The configuration checks. Returns the tenant's base URL and the active
/// session, when there are.
pub(super) async fn config(
    app: &App,
    session: &Result<Option<Session>>,
    callback_port: Result<Option<u16>>,
    c: &mut Checks,
) -> (Option<Url>, Result<Active>) {
    let a = &app.settings.auth0;
    let base = match a.domain.as_deref().map(crate::net::auth0_base) {
        Some(Ok(base)) => {
            c.pass("config.domain", format!("Auth0 domain {base}"));
            Some(base)
        }
        Some(Err(e)) => {
            c.fail("config.domain", e.message, e.hint.unwrap_or_default());
            None
        }
        None => {
            c.fail(
                "config.domain",
                "no Auth0 domain is configured",
                "set DEVCONTEXT_AUTH0_DOMAIN (or `domain` under [auth0] in config.toml) to your tenant, e.g. you.us.auth0.com",
            );
            None
        }
    };
    let method = match session {
        Ok(Some(s)) => s.method,
        _ if a.client_id.is_none() && a.device_client_id.is_some() => LoginMethod::Device,
        _ => LoginMethod::Browser,
    };
    match method {
        LoginMethod::Browser => match &a.client_id {
            Some(id) => c.pass("config.client_ids", format!("Design A: web application {id}")),
            None => c.fail(
                "config.client_ids",
                "no Auth0 application is configured",
                "set DEVCONTEXT_AUTH0_CLIENT_ID (Regular Web Application) and DEVCONTEXT_AUTH0_CLIENT_SECRET, or DEVCONTEXT_AUTH0_DEVICE_CLIENT_ID for device logins (docs/tenant-setup.md)",
            ),
        },
        LoginMethod::Device => {
            let missing: Vec<&str> = [
                ("DEVCONTEXT_AUTH0_DEVICE_CLIENT_ID", a.device_client_id.is_some()),
                ("DEVCONTEXT_AUTH0_API_CLIENT_ID", a.api_client_id.is_some()),
                ("DEVCONTEXT_AUTH0_API_CLIENT_SECRET", a.api_client_secret.is_some()),
                ("DEVCONTEXT_AUTH0_AUDIENCE", a.audience.is_some()),
            ]
            .into_iter()
            .filter(|(_, set)| !set)
            .map(|(k, _)| k)
            .collect();
            if missing.is_empty() {
                c.pass(
                    "config.client_ids",
                    format!(
                        "Design B: native application {}, Custom API Client {}",
                        a.device_client_id.as_deref().unwrap_or_default(),
                        a.api_client_id.as_deref().unwrap_or_default()
                    ),
                );
            } else {
                c.fail(
                    "config.client_ids",
                    format!("device logins need {}", missing.join(", ")),
                    format!("set {} (docs/tenant-setup.md, Design B)", missing.join(" and ")),
                );
            }
        }
    }
    let active = match session {
        Ok(Some(_)) => Active::load(app),
        Ok(None) => Err(crate::error::Error::login_required("you are not logged in")),
        Err(e) => Err(e.clone()),
    };
    match (session, &active) {
        (Ok(Some(s)), Ok(act)) => match act.store.get(crate::auth::REFRESH_TOKEN) {
            Ok(Some(_)) => c.pass(
                "config.credentials",
                format!("the {:?} credential store holds the session", s.store).to_lowercase(),
            ),
            Ok(None) => c.fail(
                "config.credentials",
                "the credential store holds no refresh token for this session",
                "run `devcontext login`",
            ),
            Err(e) => c.fail(
                "config.credentials",
                format!("the credential store cannot be read: {}", e.message),
                e.hint
                    .clone()
                    .unwrap_or_else(|| "run `devcontext login`".into()),
            ),
        },
        (Ok(Some(_)), Err(e)) => c.fail(
            "config.credentials",
            format!("the credential store cannot be read: {}", e.message),
            e.hint
                .clone()
                .unwrap_or_else(|| "run `devcontext login`".into()),
        ),
        (Err(e), _) => c.fail(
            "config.credentials",
            e.message.clone(),
            "run `devcontext login`",
        ),
        (Ok(None), _) => c.skip("config.credentials", "a login (`devcontext login`)"),
    }
    match callback_port {
        Ok(port) => match crate::auth::callback::Callback::bind(port).await {
            Ok(cb) => c.pass(
                "config.callback_port",
                format!("{} is free", cb.redirect_uri),
            ),
            Err(e) => c.fail(
                "config.callback_port",
                e.message,
                e.hint.unwrap_or_default(),
            ),
        },
        Err(e) => c.fail(
            "config.callback_port",
            e.message,
            e.hint.unwrap_or_default(),
        ),
    }
    (base, active)
}

/// The permission and audit stores: readable, schema current, chain intact.
pub(super) fn stores(app: &App, c: &mut Checks) {
    let perms = app.paths.permissions_db();
    match crate::db::schema_status(&perms, crate::perms::SCHEMA_VERSION) {
        Ok(None) => c.pass(
            "permissions",
            "no store yet (the defaults apply: reads allowed, writes ask)",
        ),
        Ok(Some(v)) if v == crate::perms::SCHEMA_VERSION => c.pass(
            "permissions",
            format!("{} readable, schema {v}", perms.display()),
        ),
        Ok(Some(v)) => c.fail(
            "permissions",
            format!(
                "{} has schema {v}, devcontext uses {}",
                perms.display(),
                crate::perms::SCHEMA_VERSION
            ),
            "run `devcontext perms list`, which updates it",
        ),
        Err(e) => c.fail("permissions", e.message, e.hint.unwrap_or_default()),
    }
    let audit_db = app.paths.audit_db();
    match crate::db::schema_status(&audit_db, crate::audit::SCHEMA_VERSION) {
        Ok(None) => c.pass("audit", "no store yet"),
        Ok(Some(v)) if v != crate::audit::SCHEMA_VERSION => c.fail(
            "audit",
            format!("{} has schema {v}, devcontext uses {}", audit_db.display(), crate::audit::SCHEMA_VERSION),
            "run `devcontext audit`, which updates it",
        ),
        Ok(Some(v)) => match AuditLog::open_read_only(&audit_db).and_then(|log| match log {
            Some(log) => log.verify().map(Some),
            None => Ok(None),
        }) {
            Ok(Some(r)) => match r.first_bad {
                None => c.pass("audit", format!("schema {v}; `audit verify` passes ({} events)", r.checked)),
                Some(bad) => c.fail(
                    "audit",
                    format!("`audit verify` fails at event {}: {}", bad.id, bad.problem),
                    "the audit store was changed outside devcontext: keep a copy for investigation; `devcontext audit prune --before` past that event restarts a chain that verifies",
                ),
            },
            Ok(None) => c.pass("audit", "no store yet"),
            Err(e) => c.fail("audit", e.message, e.hint.unwrap_or_default()),
        },
        Err(e) => c.fail("audit", e.message, e.hint.unwrap_or_default()),
    }
}
