//! `devcontext audit [filters] [--json|--ndjson]`, `audit verify`, `audit prune`,
//! `audit export`.

use crate::app::App;
use crate::audit::Event;
use crate::cli::{AuditArgs, AuditCommand};
use crate::clock::Clock;
use crate::error::Result;
use crate::export;
use crate::ops::audit::{self as ops, Listing, Query};
use crate::output::{Cell, Color, Column, Table};

pub fn run(app: &App, args: AuditArgs) -> Result<()> {
    match args.action {
        Some(AuditCommand::Verify(json)) => verify(app, json.json),
        Some(AuditCommand::Prune { ref before, json }) => prune(app, before, json.json),
        Some(AuditCommand::Export { status, json }) => export(app, status, json.json),
        None => list(app, args),
    }
}

fn list(app: &App, args: AuditArgs) -> Result<()> {
    let query = Query {
        service: args.service,
        tool: args.tool,
        action: args.action_filter,
        decision: args.decision,
        since: args.since,
        until: args.until,
        run: args.run,
        limit: args.limit,
        ndjson: args.ndjson,
    };
    let listing = Listing::open(app, &query)?;
    let shown = if args.json || args.ndjson {
        let mut out = app.ui.json_list(args.ndjson)?;
        let shown = listing.each(|e| out.item(&e))?;
        out.finish()?;
        shown
    } else {
        let mut events: Vec<Event> = Vec::new();
        listing.each(|e| {
            events.push(e);
            Ok(())
        })?;
        if events.is_empty() {
            app.ui.status("no audit events match");
            return Ok(());
        }
        // Audit times are real times: "5 min ago" counts from the real clock.
        app.ui.table(&table(&events), Clock::System.now())?;
        events.len() as u64
    };
    if let Some(total) = listing.total_if_cut(shown)? {
        app.ui
            .truncation_note(shown, total, "events", "--limit 0 for all");
    }
    Ok(())
}

fn table(events: &[Event]) -> Table {
    let mut table = Table::new(&[
        Column::text("id", 2),
        Column::time("time", 0),
        Column::text("command", 3),
        Column::text("tool", 1),
        Column::text("action", 0),
        Column::text("decision", 0),
        Column::text("endpoint", 5),
        Column::text("ms", 4),
        Column::text("reason", 6),
    ]);
    for e in events {
        let decision = Cell::from(e.decision.clone()).color(match e.decision.as_str() {
            "granted" => Color::Green,
            "denied" => Color::Red,
            _ => Color::Yellow,
        });
        let status = e
            .http_status
            .map(|s| format!(" -> {s}"))
            .unwrap_or_default();
        let endpoint = e.endpoint.as_ref().map(|p| format!("{p}{status}"));
        table.row([
            Cell::from(e.id.to_string()),
            Cell::from(e.time.clone()),
            Cell::from(e.command.clone()),
            Cell::from(
                e.tool
                    .clone()
                    .or_else(|| e.service.clone())
                    .unwrap_or_default(),
            ),
            Cell::from(e.action.clone()),
            decision,
            Cell::from(endpoint.unwrap_or_default()),
            Cell::from(e.duration_ms.map(|d| d.to_string()).unwrap_or_default()),
            Cell::from(e.reason.clone().unwrap_or_default()),
        ]);
    }
    table
}

fn verify(app: &App, json: bool) -> Result<()> {
    let Some(v) = ops::verify(app)? else {
        if json {
            return app
                .ui
                .json(&serde_json::json!({"checked": 0, "first_bad": null}));
        }
        return app.ui.line("audit store is empty: nothing to verify");
    };
    if json {
        app.ui.json(&v.to_json()?)?;
    }
    if let Some(e) = v.problem() {
        return Err(e);
    }
    if !json {
        let checked = v.report.checked;
        app.ui.line(format_args!(
            "audit chain intact: {checked} events verified"
        ))?;
    }
    Ok(())
}

fn prune(app: &App, before: &str, json: bool) -> Result<()> {
    let report = ops::prune(app, before)?;
    if json {
        return app.ui.json(&report);
    }
    app.ui.line(format_args!(
        "removed {} events older than {}; the chain still verifies",
        report.removed, report.before
    ))
}

fn export(app: &App, status_only: bool, json: bool) -> Result<()> {
    if status_only {
        let status = export::status(app)?;
        if json {
            return app.ui.json(&status);
        }
        for (i, line) in status.lines().iter().enumerate() {
            let label = if i == 0 { "export" } else { "" };
            app.ui.line(format_args!("{label:<8} {line}"))?;
        }
        return Ok(());
    }
    let job = export::export_all(app)?;
    let counter =
        (app.ui.stderr_tty && !json).then(|| app.ui.counter("exporting {pos}/{len} events"));
    let outcome = job.run(counter.as_ref().map(|c| c.updater()))?;
    if let Some(counter) = counter {
        counter.finish();
    }
    if json {
        app.ui.json(&serde_json::json!({
            "delivered": outcome.delivered,
            "batches": outcome.batches,
            "pending": outcome.pending,
            "error": outcome.failure.as_ref().map(|e| e.message.clone()),
        }))?;
    } else if outcome.failure.is_none() {
        let plural = |n: u64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        app.ui.line(format_args!(
            "delivered {} in {}; nothing pending",
            plural(outcome.delivered, "event"),
            plural(outcome.batches, "batch").replace("batchs", "batches")
        ))?;
    }
    match outcome.failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
