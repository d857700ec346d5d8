//! `devcontext doctor`: checks the configured tenant and the local state
//! without changing anything (a rotated refresh token is saved, as any
//! refresh would), one [`Check`] per thing that can be wrong, each failure
//! with the exact setting to change. Auth0's own errors are mapped to the
//! setting behind them (auth0-protocol.md §3.6, §4.1, §4.7). The Token Vault
//! exchanges it makes are audited with the command `doctor`.

mod connections;
pub mod fixes;
mod local;
pub mod scopes;
mod tenant;

use serde::Serialize;

use crate::app::App;
use crate::auth::Session;
use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// Not run because an earlier check failed (named in `detail`).
    Skip,
}

/// One check's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id (`session.rotation`, `slack.exchange`).
    pub id: String,
    pub status: Status,
    /// What was found (untrusted parts come from Auth0: sanitise before printing).
    pub detail: String,
    /// The exact fix, for a failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// True when every check passed.
    pub ok: bool,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn count(&self, status: Status) -> usize {
        self.checks.iter().filter(|c| c.status == status).count()
    }
}

#[derive(Default)]
struct Checks(Vec<Check>);

impl Checks {
    fn pass(&mut self, id: &str, detail: impl Into<String>) {
        self.push(id, Status::Pass, detail.into(), None);
    }
    fn fail(&mut self, id: &str, detail: impl Into<String>, fix: impl Into<String>) {
        self.push(id, Status::Fail, detail.into(), Some(fix.into()));
    }
    fn skip(&mut self, id: &str, because: &str) {
        self.push(id, Status::Skip, format!("needs {because}"), None);
    }
    fn push(&mut self, id: &str, status: Status, detail: String, fix: Option<String>) {
        self.0.push(Check {
            id: id.to_string(),
            status,
            detail,
            fix,
        });
    }
}

/// Runs every check. Never fails as a whole: a check that cannot run says why.
/// `callback_port` is `DEVCONTEXT_CALLBACK_PORT` as the commands read it.
pub async fn run(app: &App, callback_port: Result<Option<u16>>) -> Report {
    let mut c = Checks::default();
    let audit = app.audit("doctor");
    let session = Session::load(app);
    let (base, active) = local::config(app, &session, callback_port, &mut c).await;
    tenant::discovery(app, base.as_ref(), &mut c).await;
    let Ok(active) = active else {
        tenant::no_session(&session, &mut c);
        local::stores(app, &mut c);
        return finish(c);
    };
    let rotation_on = tenant::session(&active, &mut c).await;
    let my_account = tenant::my_account(&active, &mut c).await;
    connections::check(
        app,
        &active,
        my_account,
        audit.as_ref().ok(),
        rotation_on,
        &mut c,
    )
    .await;
    local::stores(app, &mut c);
    finish(c)
}

fn finish(c: Checks) -> Report {
    let ok = c.0.iter().all(|x| x.status == Status::Pass);
    Report { ok, checks: c.0 }
}

/// Result for callers that want an error when something failed.
pub fn exit(report: &Report) -> Result<()> {
    if report.ok {
        return Ok(());
    }
    Err(crate::error::Error::general(format!(
        "doctor found {} problem{} ({} check{} skipped)",
        report.count(Status::Fail),
        if report.count(Status::Fail) == 1 {
            ""
        } else {
            "s"
        },
        report.count(Status::Skip),
        if report.count(Status::Skip) == 1 {
            ""
        } else {
            "s"
        },
    ))
    .with_hint("apply the fix on each ✗ line, then run `devcontext doctor` again"))
}
