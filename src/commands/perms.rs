//! `devcontext perms list|revoke|grant|reset|check`.

use serde::Serialize;

use crate::app::App;
use crate::audit::{Action, Decision, NewEvent};
use crate::cli::PermsCommand;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::output::{self, Cell, Color, Column, Table};
use crate::perms::{self, Access, Change, Effect, PermissionStore, ServiceState, Verdict};
use crate::timespec;

pub fn run(app: &App, cmd: PermsCommand) -> Result<()> {
    match cmd {
        PermsCommand::List(args) => list(app, args.json),
        PermsCommand::Revoke { subject, json } => {
            let (subject, tool_access) = crate::providers::registry().parse_subject(&subject)?;
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
                json.json,
            )
        }
        PermsCommand::Grant {
            subject,
            duration,
            write,
            json,
        } => {
            let (subject, tool_access) = crate::providers::registry().parse_subject(&subject)?;
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
                    Some(Clock::System.now_ms() + timespec::parse_duration(&d)?.num_milliseconds())
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
                json.json,
            )
        }
        PermsCommand::Reset { subject, json } => reset(app, &subject, json.json),
        PermsCommand::Check {
            subject,
            write,
            json,
        } => check(app, &subject, write, json.json),
    }
}

fn list(app: &App, json: bool) -> Result<()> {
    let store = PermissionStore::open(&app.paths.permissions_db())?;
    let summary = store.summary(app.clock.now_ms())?;
    if json {
        return output::print_json(&summary);
    }
    let style = app.ui.style(app.clock.now());
    // Times inside a rule's text ("allowed until …") follow the table's style.
    let human = |text: &str| match &summary_time(text) {
        Some(t) if style.tty => text.replace(t, &style.times.short_text(t)),
        _ => text.to_string(),
    };
    let mut table = Table::new(&[
        Column::text("service", 0),
        Column::text("state", 0),
        Column::text("read", 1),
        Column::text("write", 1),
        Column::text("tool rules", 2),
    ]);
    for s in &summary {
        let state = Cell::from(s.state.as_str()).color(match s.state {
            ServiceState::Connected => Color::Green,
            ServiceState::Revoked => Color::Red,
            ServiceState::NotConnected => Color::Dim,
        });
        let svc = s.service.as_str();
        let tool_rules: Vec<String> = s
            .rules
            .iter()
            .filter(|r| r.subject != svc)
            .map(|r| {
                let until = r
                    .expires_at
                    .as_ref()
                    .map(|t| format!(" until {t}"))
                    .unwrap_or_default();
                human(&format!("{} {}: {}{until}", r.subject, r.access, r.effect))
            })
            .collect();
        table.row([
            Cell::from(svc),
            state,
            Cell::from(human(&s.read)),
            Cell::from(human(&s.write)),
            Cell::from(if tool_rules.is_empty() {
                "-".into()
            } else {
                tool_rules.join("; ")
            }),
        ]);
    }
    output::print_table(&table, &style)
}

/// The RFC 3339 time at the end of a rule's text (`allowed until T`), if any.
fn summary_time(text: &str) -> Option<&str> {
    let (_, t) = text.rsplit_once(' ')?;
    chrono::DateTime::parse_from_rfc3339(t).ok().map(|_| t)
}

fn reset(app: &App, subject: &str, json: bool) -> Result<()> {
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
    let outcome = outcome?;
    if json {
        output::print_json(&outcome)
    } else {
        output::line(&outcome.message)
    }
}

fn change(app: &App, change: Change, json: bool) -> Result<()> {
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
    let outcome = outcome?;
    if json {
        return output::print_json(&outcome);
    }
    let style = app.ui.style(app.clock.now());
    match &outcome.expires_at {
        Some(t) if style.tty => {
            output::line(outcome.message.replace(t, &style.times.short_text(t)))
        }
        _ => output::line(&outcome.message),
    }
}

#[derive(Serialize)]
struct CheckReport<'a> {
    subject: String,
    access: Access,
    #[serde(flatten)]
    verdict: &'a Verdict,
}

fn check(app: &App, subject: &str, write: bool, json: bool) -> Result<()> {
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
    if json {
        output::print_json(&CheckReport {
            subject: subject.key(),
            access,
            verdict: &verdict,
        })?;
    } else if verdict.is_allowed() {
        output::line(format!("allowed: {}", verdict.reason()))?;
    }
    match &verdict {
        Verdict::Allow { .. } => Ok(()),
        Verdict::Deny { .. } => Err(Error::from(&verdict)),
        Verdict::Ask { reason } => Err(Error::blocked(format!("needs approval: {reason}"))
            .with_hint(format!(
                "approve it when asked, or run `devcontext perms grant {}`",
                perms::grant_args(&subject.key(), access.as_str())
            ))),
    }
}
