//! What `devcontext status` reports: where each file lives, the session, the
//! export and each service's state (`--json` prints it with these names).

use serde::Serialize;

use crate::app::App;
use crate::auth::credentials::StoreKind;
use crate::auth::{LoginMethod, Session, User};
use crate::error::Result;
use crate::perms::{PermissionStore, ServicePermissions};

#[derive(Serialize)]
pub struct Files {
    pub config: String,
    pub audit: String,
    pub permissions: String,
    pub credentials: String,
}

#[derive(Serialize)]
pub struct Login {
    pub tenant: String,
    pub user: Option<User>,
    pub method: LoginMethod,
    pub credential_store: StoreKind,
    pub logged_in_at: String,
}

#[derive(Serialize)]
pub struct Status {
    pub files: Files,
    /// The configured tenant (may differ from the logged-in one after a config change).
    pub tenant: Option<String>,
    pub login: Option<Login>,
    pub services: Vec<ServicePermissions>,
    /// Audit export to an OpenTelemetry collector (header values never shown).
    pub export: crate::export::Status,
}

pub fn status(app: &App) -> Result<Status> {
    let p = &app.paths;
    let store = PermissionStore::open(&p.permissions_db())?;
    Ok(Status {
        files: Files {
            config: p.config_file.display().to_string(),
            audit: p.audit_db().display().to_string(),
            permissions: p.permissions_db().display().to_string(),
            credentials: p.credentials_dir.display().to_string(),
        },
        tenant: app.settings.auth0.domain.clone(),
        login: Session::load(app)?.map(|s| Login {
            tenant: s.tenant,
            user: s.user,
            method: s.method,
            credential_store: s.store,
            logged_in_at: s.logged_in_at,
        }),
        services: store.summary(app.clock.now_ms())?,
        export: crate::export::status(app)?,
    })
}
