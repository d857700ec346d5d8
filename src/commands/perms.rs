//! `devcontext perms list|revoke|grant|reset|check`.

use crate::app::App;
use crate::cli::PermsCommand;
use crate::error::Result;
use crate::ops::perms as ops;
use crate::output::{Cell, Color, Column, Table};
use crate::perms::{ChangeOutcome, PermissionStore, ServiceState};

pub fn run(app: &App, cmd: PermsCommand) -> Result<()> {
    match cmd {
        PermsCommand::List(args) => list(app, args.json),
        PermsCommand::Revoke { subject, json } => {
            changed(app, ops::revoke(app, &subject)?, json.json)
        }
        PermsCommand::Grant {
            subject,
            duration,
            write,
            json,
        } => changed(
            app,
            ops::grant(app, &subject, duration.as_deref(), write)?,
            json.json,
        ),
        PermsCommand::Reset { subject, json } => {
            let outcome = ops::reset(app, &subject)?;
            if json.json {
                return app.ui.json(&outcome);
            }
            app.ui.line(&outcome.message)
        }
        PermsCommand::Check {
            subject,
            write,
            json,
        } => {
            let checked = ops::check(app, &subject, write)?;
            if json.json {
                app.ui.json(&checked)?;
            } else if checked.verdict.is_allowed() {
                app.ui
                    .line(format_args!("allowed: {}", checked.verdict.reason()))?;
            }
            checked.result()
        }
    }
}

fn list(app: &App, json: bool) -> Result<()> {
    let store = PermissionStore::open(&app.paths.permissions_db())?;
    let summary = store.summary(app.clock.now_ms())?;
    if json {
        return app.ui.json(&summary);
    }
    let now = app.clock.now();
    let style = app.ui.style(now);
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
                style.with_short_time(&format!("{} {}: {}{until}", r.subject, r.access, r.effect))
            })
            .collect();
        table.row([
            Cell::from(svc),
            state,
            Cell::from(style.with_short_time(&s.read)),
            Cell::from(style.with_short_time(&s.write)),
            Cell::from(if tool_rules.is_empty() {
                "-".into()
            } else {
                tool_rules.join("; ")
            }),
        ]);
    }
    app.ui.table(&table, now)
}

fn changed(app: &App, outcome: ChangeOutcome, json: bool) -> Result<()> {
    if json {
        return app.ui.json(&outcome);
    }
    let style = app.ui.style(app.clock.now());
    match &outcome.expires_at {
        Some(t) if style.tty => app
            .ui
            .line(outcome.message.replace(t, &style.times.short_text(t))),
        _ => app.ui.line(&outcome.message),
    }
}
