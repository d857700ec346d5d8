//! `devcontext status`: where each file lives, the session and each service's state.

use serde::Serialize;

use crate::app::App;
use crate::error::Result;
use crate::output;
use crate::perms::{PermissionStore, ServicePermissions};

#[derive(Serialize)]
struct Files {
    config: String,
    audit: String,
    permissions: String,
    credentials: String,
}

#[derive(Serialize)]
struct Status {
    files: Files,
    tenant: Option<String>,
    services: Vec<ServicePermissions>,
}

pub fn run(app: &App, json: bool) -> Result<()> {
    let p = &app.paths;
    let store = PermissionStore::open(&p.permissions_db())?;
    let status = Status {
        files: Files {
            config: p.config_file.display().to_string(),
            audit: p.audit_db().display().to_string(),
            permissions: p.permissions_db().display().to_string(),
            credentials: p.credentials_dir.display().to_string(),
        },
        tenant: app.settings.auth0.domain.clone(),
        services: store.summary(app.clock.now_ms())?,
    };
    if json {
        return output::print_json(&status);
    }
    let exists = |path: &str| {
        if std::path::Path::new(path).exists() {
            ""
        } else {
            " (not created yet)"
        }
    };
    let f = &status.files;
    output::line(format!("config       {}{}", f.config, exists(&f.config)))?;
    output::line(format!("audit        {}", f.audit))?;
    output::line(format!("permissions  {}", f.permissions))?;
    output::line(format!(
        "credentials  {}{}",
        f.credentials,
        exists(&f.credentials)
    ))?;
    output::line(format!(
        "tenant       {}",
        status.tenant.as_deref().unwrap_or("none configured")
    ))?;
    for s in &status.services {
        output::line(format!("{:<12} {}", s.service.as_str(), s.state.as_str()))?;
    }
    Ok(())
}
