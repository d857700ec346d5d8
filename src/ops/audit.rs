//! Reading and keeping the audit trail: listings under a filter, chain
//! verification (including what the collector was already given), and
//! pruning. Audit times are real times: every "now" here is the real clock,
//! never `DEVCONTEXT_NOW`.

use serde::Serialize;

use crate::app::App;
use crate::audit::{self, AuditLog, Event, Filter, MissingDelivered, VerifyReport};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::output::Total;
use crate::service::Service;
use crate::timespec;

/// The filters of `devcontext audit`, as typed.
#[derive(Debug, Default)]
pub struct Query {
    pub service: Option<String>,
    pub tool: Option<String>,
    pub action: Option<String>,
    pub decision: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub run: Option<String>,
    /// `--limit`: 0 means all; None means 50, or all for NDJSON.
    pub limit: Option<u64>,
    pub ndjson: bool,
}

/// The store's filter for `query`; names and times checked and normalised.
pub fn filter(q: &Query) -> Result<Filter> {
    // Audit times are real times, so "24h" counts back from the real clock.
    let now = Clock::System.now();
    let time = |t: &Option<String>| -> Result<Option<i64>> {
        t.as_deref()
            .map(|t| timespec::parse_time(t, now).map(|t| t.timestamp_millis()))
            .transpose()
    };
    let service = q
        .service
        .as_deref()
        .map(|s| s.parse::<Service>().map(|s| s.as_str().to_string()))
        .transpose()?;
    let action = q
        .action
        .as_deref()
        .map(|a| audit::Action::parse(a).map(|a| a.as_str().to_string()))
        .transpose()?;
    let decision = q
        .decision
        .as_deref()
        .map(|d| audit::Decision::parse(d).map(|d| d.as_str().to_string()))
        .transpose()?;
    let default_limit = if q.ndjson { None } else { Some(50) };
    Ok(Filter {
        service,
        tool: q.tool.clone(),
        action,
        decision,
        since_ms: time(&q.since)?,
        until_ms: time(&q.until)?,
        run_id: q.run.clone(),
        // --limit 0 means no limit.
        limit: match q.limit {
            Some(0) => None,
            Some(n) => Some(n),
            None => default_limit,
        },
    })
}

/// A listing: the events under a filter, read one at a time (the store may
/// hold millions), then whether the limit cut it.
pub struct Listing {
    store: Option<AuditLog>,
    filter: Filter,
}

impl Listing {
    pub fn open(app: &App, query: &Query) -> Result<Listing> {
        let filter = filter(query)?;
        let store = AuditLog::open_read_only(&app.paths.audit_db())?;
        Ok(Listing { store, filter })
    }

    /// Hands each matching event to `sink`, newest first; how many it got
    /// (none when there is no store yet).
    pub fn each(&self, sink: impl FnMut(Event) -> Result<()>) -> Result<u64> {
        match &self.store {
            Some(store) => store.query(&self.filter, sink),
            None => Ok(0),
        }
    }

    /// How many events match in all, when the limit stopped the listing at
    /// `shown` (`showing 50 of 218 events`). Counted up to 1000 (or `shown`,
    /// when more are shown): a count reads every match, so past that the
    /// note says "more than 1000".
    pub fn total_if_cut(&self, shown: u64) -> Result<Option<Total>> {
        let cap = COUNTED_AT_MOST.max(shown);
        match &self.store {
            Some(store) if self.filter.limit.is_some_and(|l| shown >= l) => {
                let n = store.count(&self.filter, cap + 1)?;
                Ok(Some(if n > cap {
                    Total::MoreThan(cap)
                } else {
                    Total::Exactly(n)
                }))
            }
            _ => Ok(None),
        }
    }
}

/// The most matches a cut listing counts for its note.
const COUNTED_AT_MOST: u64 = 1000;

/// The chain's state: intact, broken, or missing what was delivered.
pub struct Verification {
    pub report: VerifyReport,
    /// Events the collector was given that are no longer here.
    pub missing: Option<MissingDelivered>,
}

impl Verification {
    /// The report for `--json` (`checked`, `first_bad`, `missing_delivered`).
    pub fn to_json(&self) -> Result<serde_json::Value> {
        let mut value = serde_json::to_value(&self.report).map_err(json_error)?;
        value["missing_delivered"] = serde_json::to_value(&self.missing).map_err(json_error)?;
        Ok(value)
    }

    /// What is wrong, as the command's error (exit 1), if anything.
    pub fn problem(&self) -> Option<Error> {
        if let Some(m) = &self.missing {
            return Some(Error::general(format!(
                "audit chain is missing delivered events from event {}: {}",
                m.id, m.problem
            ))
            .with_hint(
                "the store was cut or rewritten after export; the collector keeps the delivered copy",
            ));
        }
        self.report.first_bad.as_ref().map(|bad| {
            Error::general(format!(
                "audit chain broken at event {}: {} ({} events before it verified)",
                bad.id, bad.problem, self.report.checked
            ))
            .with_hint("the store was modified outside devcontext; keep a copy for investigation")
        })
    }
}

/// Recomputes the chain; None when there is no store yet.
pub fn verify(app: &App) -> Result<Option<Verification>> {
    let Some(store) = AuditLog::open_read_only(&app.paths.audit_db())? else {
        return Ok(None);
    };
    let report = store.verify()?;
    // The collector holds a copy: what it was given must still be here.
    let missing = match &report.first_bad {
        None => store.delivered_anchor()?,
        Some(_) => None,
    };
    Ok(Some(Verification { report, missing }))
}

/// What `audit prune` removed.
#[derive(Serialize)]
pub struct PruneReport {
    pub removed: u64,
    pub before: String,
}

/// Removes events older than `before` (90d, a date, RFC 3339).
pub fn prune(app: &App, before: &str) -> Result<PruneReport> {
    // A prune cut-off is about real records: never DEVCONTEXT_NOW.
    let cutoff = timespec::parse_time(before, Clock::System.now())?;
    let store = app.audit("audit prune")?;
    // With export on, events the collector has not acknowledged stay.
    let keep_after = match &app.settings.export {
        Some(_) => Some(store.export_state()?.delivered_id),
        None => None,
    };
    let removed = store.prune(cutoff.timestamp_millis(), keep_after)?;
    Ok(PruneReport {
        removed,
        before: cutoff.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

fn json_error(e: serde_json::Error) -> Error {
    Error::general(format!("cannot write JSON: {e}"))
}
