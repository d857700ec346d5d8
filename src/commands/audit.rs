//! `devcontext audit [filters] [--json|--ndjson]`, `audit verify`, `audit prune`.

use std::io::Write;

use serde::Serialize;

use crate::app::App;
use crate::audit::{self, AuditLog, Event, Filter};
use crate::cli::{AuditArgs, AuditCommand};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::export;
use crate::output::{self, Cell, Color, Column, Table, write_error};
use crate::service::Service;
use crate::timespec;

pub fn run(app: &App, args: AuditArgs) -> Result<()> {
    match args.action {
        Some(AuditCommand::Verify(json)) => verify(app, json.json),
        Some(AuditCommand::Prune { ref before, json }) => prune(app, before, json.json),
        Some(AuditCommand::Export { status, json }) => export(app, status, json.json),
        None => list(app, &args),
    }
}

fn filter(args: &AuditArgs) -> Result<Filter> {
    // Audit times are real times, so "24h" counts back from the real clock.
    let now = Clock::System.now();
    let time = |t: &Option<String>| -> Result<Option<i64>> {
        t.as_deref()
            .map(|t| timespec::parse_time(t, now).map(|t| t.timestamp_millis()))
            .transpose()
    };
    let service = args
        .service
        .as_deref()
        .map(|s| s.parse::<Service>().map(|s| s.as_str().to_string()))
        .transpose()?;
    let action = args
        .action_filter
        .as_deref()
        .map(|a| audit::Action::parse(a).map(|a| a.as_str().to_string()))
        .transpose()?;
    let decision = args
        .decision
        .as_deref()
        .map(|d| audit::Decision::parse(d).map(|d| d.as_str().to_string()))
        .transpose()?;
    let default_limit = if args.ndjson { None } else { Some(50) };
    Ok(Filter {
        service,
        tool: args.tool.clone(),
        action,
        decision,
        since_ms: time(&args.since)?,
        until_ms: time(&args.until)?,
        run_id: args.run.clone(),
        // --limit 0 means no limit.
        limit: match args.limit {
            Some(0) => None,
            Some(n) => Some(n),
            None => default_limit,
        },
    })
}

fn open(app: &App) -> Result<Option<AuditLog>> {
    AuditLog::open_read_only(&app.paths.audit_db())
}

fn list(app: &App, args: &AuditArgs) -> Result<()> {
    let filter = filter(args)?;
    let store = open(app)?;
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    if args.ndjson {
        if let Some(store) = &store {
            let shown = store.query(&filter, |e| {
                serde_json::to_writer(&mut out, &e).map_err(json_error)?;
                out.write_all(b"\n").map_err(write_error)
            })?;
            out.flush().map_err(write_error)?;
            note_truncation(store, &filter, shown)?;
        }
        return out.flush().map_err(write_error);
    }
    if args.json {
        out.write_all(b"[").map_err(write_error)?;
        let mut first = true;
        let mut shown = 0;
        if let Some(store) = &store {
            shown = store.query(&filter, |e| {
                out.write_all(if first { b"\n  " } else { b",\n  " })
                    .map_err(write_error)?;
                first = false;
                serde_json::to_writer(&mut out, &e).map_err(json_error)
            })?;
        }
        out.write_all(if first { b"]\n" } else { b"\n]\n" })
            .map_err(write_error)?;
        out.flush().map_err(write_error)?;
        if let Some(store) = &store {
            note_truncation(store, &filter, shown)?;
        }
        return Ok(());
    }
    let mut events: Vec<Event> = Vec::new();
    if let Some(store) = &store {
        store.query(&filter, |e| {
            events.push(e);
            Ok(())
        })?;
    }
    if events.is_empty() {
        eprintln!("no audit events match");
        return Ok(());
    }
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
    for e in &events {
        let decision = Cell::from(e.decision.clone()).color(match e.decision.as_str() {
            "granted" => Color::Green,
            "denied" => Color::Red,
            _ => Color::Yellow,
        });
        let status = e
            .http_status
            .map(|s| format!(" -> {s}"))
            .unwrap_or_default();
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
            Cell::from(
                e.endpoint
                    .as_ref()
                    .map(|p| format!("{p}{status}"))
                    .unwrap_or_default(),
            ),
            Cell::from(e.duration_ms.map(|d| d.to_string()).unwrap_or_default()),
            Cell::from(e.reason.clone().unwrap_or_default()),
        ]);
    }
    // Audit times are real times: "5 min ago" counts from the real clock.
    let text = table.render(&app.ui.style(Clock::System.now()));
    writeln!(out, "{text}").map_err(write_error)?;
    out.flush().map_err(write_error)?;
    if let Some(store) = &store {
        note_truncation(store, &filter, events.len() as u64)?;
    }
    Ok(())
}

/// When the limit cut the list, one line on stderr says so and how to get
/// everything (`showing 50 of 218 events (--limit 0 for all)`).
fn note_truncation(store: &AuditLog, filter: &Filter, shown: u64) -> Result<()> {
    if filter.limit.is_some_and(|l| shown >= l) {
        output::truncation_note(shown, store.count(filter)?, "events", "--limit 0 for all");
    }
    Ok(())
}

fn json_error(e: serde_json::Error) -> Error {
    if e.is_io() {
        write_error(e.into())
    } else {
        Error::general(format!("cannot write JSON: {e}"))
    }
}

fn verify(app: &App, json: bool) -> Result<()> {
    let Some(store) = open(app)? else {
        if json {
            output::print_json(&serde_json::json!({"checked": 0, "first_bad": null}))?;
        } else {
            output::line("audit store is empty: nothing to verify")?;
        }
        return Ok(());
    };
    let report = store.verify()?;
    // The collector holds a copy: what it was given must still be here.
    let missing = match &report.first_bad {
        None => store.delivered_anchor()?,
        Some(_) => None,
    };
    if json {
        let mut value = serde_json::to_value(&report).map_err(json_error)?;
        value["missing_delivered"] = serde_json::to_value(&missing).map_err(json_error)?;
        output::print_json(&value)?;
    }
    if let Some(m) = missing {
        return Err(Error::general(format!(
            "audit chain is missing delivered events from event {}: {}",
            m.id, m.problem
        ))
        .with_hint(
            "the store was cut or rewritten after export; the collector keeps the delivered copy",
        ));
    }
    match &report.first_bad {
        None => {
            if !json {
                output::line(format!(
                    "audit chain intact: {} events verified",
                    report.checked
                ))?;
            }
            Ok(())
        }
        Some(bad) => Err(Error::general(format!(
            "audit chain broken at event {}: {} ({} events before it verified)",
            bad.id, bad.problem, report.checked
        ))
        .with_hint("the store was modified outside devcontext; keep a copy for investigation")),
    }
}

#[derive(Serialize)]
struct PruneReport {
    removed: u64,
    before: String,
}

fn prune(app: &App, before: &str, json: bool) -> Result<()> {
    // A prune cut-off is about real records: never DEVCONTEXT_NOW.
    let cutoff = timespec::parse_time(before, Clock::System.now())?;
    let store = app.audit("audit prune")?;
    // With export on, events the collector has not acknowledged stay.
    let keep_after = match &app.settings.export {
        Some(_) => Some(store.export_state()?.delivered_id),
        None => None,
    };
    let removed = store.prune(cutoff.timestamp_millis(), keep_after)?;
    let report = PruneReport {
        removed,
        before: cutoff.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    if json {
        output::print_json(&report)
    } else {
        output::line(format!(
            "removed {removed} events older than {}; the chain still verifies",
            report.before
        ))
    }
}

fn export(app: &App, status_only: bool, json: bool) -> Result<()> {
    if status_only {
        let status = export::status(app)?;
        if json {
            return output::print_json(&status);
        }
        for (i, line) in status.lines().iter().enumerate() {
            let label = if i == 0 { "export" } else { "" };
            output::line(format!("{label:<8} {line}"))?;
        }
        return Ok(());
    }
    let outcome = export::export_all(app, app.ui.stderr_tty && !json)?;
    if json {
        output::print_json(&serde_json::json!({
            "delivered": outcome.delivered,
            "batches": outcome.batches,
            "pending": outcome.pending,
            "error": outcome.failure.as_ref().map(|e| e.message.clone()),
        }))?;
    } else if outcome.failure.is_none() {
        let plural = |n: u64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        output::line(format!(
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
