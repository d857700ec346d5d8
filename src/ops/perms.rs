//! Changing and asking the permission rules: each change (grant, revoke,
//! reset) and each check is applied under the audit store's write lock and
//! recorded, so no decision can be recorded between a new rule and its
//! `permission_change` event (see the broker's gate).

use serde::Serialize;

use crate::app::App;
use crate::audit::{Action, Decision, NewEvent};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::perms::{
    self, Access, Change, ChangeOutcome, Effect, PermissionStore, ResetOutcome, Verdict,
};
use crate::timespec;

/// `perms revoke SUBJECT`: denies reads and writes (or the tool's access).
pub fn revoke(app: &App, subject: &str) -> Result<ChangeOutcome> {
    let (subject, tool_access) = crate::providers::registry().parse_subject(subject)?;
    let accesses = match tool_access {
        Some(a) => vec![a],
        None => vec![Access::Read, Access::Write],
    };
    change(
        app,
        Change {
            subject,
            accesses,
            effect: Effect::Deny,
            expires_at_ms: None,
        },
    )
}

/// `perms grant SUBJECT [--for DURATION] [--write]`.
pub fn grant(
    app: &App,
    subject: &str,
    duration: Option<&str>,
    write: bool,
) -> Result<ChangeOutcome> {
    let (subject, tool_access) = crate::providers::registry().parse_subject(subject)?;
    let accesses = match (tool_access, write) {
        (Some(_), true) => {
            return Err(Error::usage("--write applies to a whole service")
                .with_hint("a tool's grant already covers what that tool does"));
        }
        (Some(a), false) => vec![a],
        (None, true) => vec![Access::Read, Access::Write],
        (None, false) => vec![Access::Read],
    };
    let expires_at_ms = match duration {
        Some(d) => {
            // A grant starts now, really: DEVCONTEXT_NOW only asks
            // what would be allowed at another time.
            Some(Clock::System.now_ms() + timespec::parse_duration(d)?.num_milliseconds())
        }
        None => None,
    };
    change(
        app,
        Change {
            subject,
            accesses,
            effect: Effect::Allow,
            expires_at_ms,
        },
    )
}

fn change(app: &App, change: Change) -> Result<ChangeOutcome> {
    let audit = app.audit("perms")?;
    let mut store = PermissionStore::open(&app.paths.permissions_db())?;
    // Applied under the audit store's write lock: no decision can be recorded
    // between the new rule and its permission_change event (broker::gate).
    let (_, outcome) =
        audit.append_with(|| match store.apply(&change, Clock::System.now_ms()) {
            Ok(outcome) => {
                let mut event = NewEvent::new(Action::PermissionChange, Decision::Granted)
                    .service(change.subject.service.as_str())
                    .reason(outcome.message.clone());
                if change.subject.tool.is_some() {
                    event = event.tool(change.subject.key());
                }
                (event, Ok(outcome))
            }
            Err(e) => (
                NewEvent::new(Action::PermissionChange, Decision::Error)
                    .service(change.subject.service.as_str())
                    .reason(format!("{}: {}", change.subject, e.message)),
                Err(e),
            ),
        })?;
    outcome
}

/// `perms reset SUBJECT`: removes its rules (a service's include its tools').
pub fn reset(app: &App, subject: &str) -> Result<ResetOutcome> {
    let (subject, _) = crate::providers::registry().parse_subject(subject)?;
    let audit = app.audit("perms")?;
    let mut store = PermissionStore::open(&app.paths.permissions_db())?;
    // Under the audit store's write lock, like every other change (see `change`).
    let (_, outcome) = audit.append_with(|| match store.reset(&subject) {
        Ok(outcome) => {
            let mut event = NewEvent::new(Action::PermissionChange, Decision::Granted)
                .service(subject.service.as_str())
                .reason(format!("reset: {}", outcome.message));
            if subject.tool.is_some() {
                event = event.tool(subject.key());
            }
            (event, Ok(outcome))
        }
        Err(e) => (
            NewEvent::new(Action::PermissionChange, Decision::Error)
                .service(subject.service.as_str())
                .reason(format!("reset {subject}: {}", e.message)),
            Err(e),
        ),
    })?;
    outcome
}

/// What `perms check` found (`--json` prints it as it is).
#[derive(Serialize)]
pub struct Checked {
    pub subject: String,
    pub access: Access,
    #[serde(flatten)]
    pub verdict: Verdict,
}

impl Checked {
    /// Allowed is success; denied and "needs approval" are exit 7.
    pub fn result(&self) -> Result<()> {
        match &self.verdict {
            Verdict::Allow { .. } => Ok(()),
            Verdict::Deny { .. } => Err(Error::from(&self.verdict)),
            Verdict::Ask { reason } => Err(Error::blocked(format!("needs approval: {reason}"))
                .with_hint(format!(
                    "approve it when asked, or run `devcontext perms grant {}`",
                    perms::grant_args(&self.subject, self.access.as_str())
                ))),
        }
    }
}

/// `perms check SUBJECT [--write]`: what the broker would decide now (audited).
pub fn check(app: &App, subject: &str, write: bool) -> Result<Checked> {
    let (subject, tool_access) = crate::providers::registry().parse_subject(subject)?;
    let access = match (tool_access, write) {
        (Some(a), _) => a,
        (None, true) => Access::Write,
        (None, false) => Access::Read,
    };
    let tool = subject.tool.clone().unwrap_or_else(|| "*".into());
    let audit = app.audit("perms check")?;
    // Read under the audit store's write lock, like the broker's gate.
    let (_, verdict) = audit.append_with(|| {
        let verdict = perms::check(
            &app.paths.permissions_db(),
            subject.service,
            &tool,
            access,
            app.clock.now_ms(),
        );
        let mut event = NewEvent::new(
            Action::PermissionCheck,
            if verdict.is_allowed() {
                Decision::Granted
            } else {
                Decision::Denied
            },
        )
        .service(subject.service.as_str())
        .reason(format!("{access} {subject}: {}", verdict.reason()));
        if subject.tool.is_some() {
            event = event.tool(subject.key());
        }
        (event, verdict)
    })?;
    Ok(Checked {
        subject: subject.key(),
        access,
        verdict,
    })
}
