//! Reading the audit store: filtered queries streamed row by row (constant
//! memory, so a million-event export needs no more than a page of them), and
//! chain verification. A query never loads a whole oversized reason (one
//! written before reasons were capped, or by hand): it reads the first
//! [`MAX_SHOWN_REASON`] bytes through SQLite's incremental blob I/O and
//! marks the cut, so showing rows costs time in what is shown.

use std::io::Read;

use rusqlite::{Connection, ToSql};
use serde::Serialize;

use super::chain;
use super::event::{Event, Row};
use super::store::anchor;
use crate::error::Result;

/// What `devcontext audit` selects. `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub service: Option<String>,
    pub tool: Option<String>,
    pub action: Option<String>,
    pub decision: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub run_id: Option<String>,
    pub limit: Option<u64>,
}

pub(super) const COLUMNS: &str = "id, ts_ms, run_id, command, service, tool, action, endpoint, decision, \
                       reason, http_status, duration_ms, prev_hash, hash";

/// The longest reason a query returns (bytes), the marker aside.
pub const MAX_SHOWN_REASON: usize = 4096;

/// The columns of a listing: an oversized reason comes back NULL with its
/// size; its start is then read on its own.
fn listing_columns() -> String {
    COLUMNS.replace(
        "reason,",
        &format!(
            "CASE WHEN octet_length(reason) > {MAX_SHOWN_REASON} THEN NULL ELSE reason END, \
             octet_length(reason),"
        ),
    )
}

/// The first [`MAX_SHOWN_REASON`] bytes of event `id`'s reason, cut on a
/// character boundary, with a marker saying how much is not shown.
fn reason_start(conn: &Connection, id: i64, total: i64) -> rusqlite::Result<String> {
    let mut blob = conn.blob_open(rusqlite::MAIN_DB, "events", "reason", id, true)?;
    let mut buf = vec![0u8; MAX_SHOWN_REASON];
    let mut got = 0;
    while got < buf.len() {
        match blob.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => {
                return Err(rusqlite::Error::ToSqlConversionFailure(Box::new(e)));
            }
        }
    }
    buf.truncate(got);
    let text = match std::str::from_utf8(&buf) {
        Ok(t) => t.to_string(),
        Err(e) => String::from_utf8_lossy(&buf[..e.valid_up_to()]).into_owned(),
    };
    Ok(format!(
        "{text}… (+{} bytes not shown)",
        total.saturating_sub(text.len() as i64)
    ))
}

pub(super) fn read_row(r: &rusqlite::Row) -> rusqlite::Result<(Row, String, String)> {
    read_row_shifted(r, 0)
}

/// A row of [`listing_columns`]: the reason's size sits at 10, so the later
/// columns are one further on.
fn read_listing_row(r: &rusqlite::Row) -> rusqlite::Result<(Row, String, String)> {
    read_row_shifted(r, 1)
}

/// An event row whose columns after `reason` (9) start `shift` places later.
fn read_row_shifted(r: &rusqlite::Row, shift: usize) -> rusqlite::Result<(Row, String, String)> {
    Ok((
        Row {
            id: r.get(0)?,
            ts_ms: r.get(1)?,
            run_id: r.get(2)?,
            command: r.get(3)?,
            service: r.get(4)?,
            tool: r.get(5)?,
            action: r.get(6)?,
            endpoint: r.get(7)?,
            decision: r.get(8)?,
            reason: r.get(9)?,
            http_status: r.get(10 + shift)?,
            duration_ms: r.get(11 + shift)?,
        },
        r.get(12 + shift)?,
        r.get(13 + shift)?,
    ))
}

/// The WHERE clause (with its leading space, or empty) and its values.
/// For a `listing` (newest first, limited) the time bounds are written
/// `+ts_ms`, which keeps SQLite from choosing a time index for them: walking
/// `events_service_id` (or the table) backwards stops after `limit` rows,
/// while a time index would read every match and sort them. A count wants
/// the time index (`events_service_ts` covers `--service` with `--since`).
fn conditions(filter: &Filter, listing: bool) -> (String, Vec<&dyn ToSql>) {
    let mut clauses: Vec<&str> = Vec::new();
    let mut values: Vec<&dyn ToSql> = Vec::new();
    let text_filters = [
        ("service = ?", &filter.service),
        ("tool = ?", &filter.tool),
        ("action = ?", &filter.action),
        ("decision = ?", &filter.decision),
        ("run_id = ?", &filter.run_id),
    ];
    for (clause, value) in text_filters.into_iter() {
        if let Some(v) = value {
            clauses.push(clause);
            values.push(v);
        }
    }
    let ts = if listing { "+ts_ms" } else { "ts_ms" };
    let since = format!("{ts} >= ?");
    let until = format!("{ts} < ?");
    if let Some(v) = &filter.since_ms {
        clauses.push(&since);
        values.push(v);
    }
    if let Some(v) = &filter.until_ms {
        clauses.push(&until);
        values.push(v);
    }
    if clauses.is_empty() {
        (String::new(), values)
    } else {
        (format!(" WHERE {}", clauses.join(" AND ")), values)
    }
}

/// Runs the query and hands each event, newest first, to `sink`. Returns the count.
pub(super) fn run(
    conn: &Connection,
    filter: &Filter,
    mut sink: impl FnMut(Event) -> Result<()>,
) -> Result<u64> {
    let (clause, mut values) = conditions(filter, true);
    let limit = filter
        .limit
        .map(|l| l.min(i64::MAX as u64) as i64)
        .unwrap_or(-1);
    values.push(&limit);
    let sql = format!(
        "SELECT {} FROM events{clause} ORDER BY id DESC LIMIT ?",
        listing_columns()
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(values.as_slice())?;
    let mut count = 0;
    while let Some(r) = rows.next()? {
        let (mut row, prev, hash) = read_listing_row(r)?;
        if row.reason.is_none()
            && let Some(total) = r.get::<_, Option<i64>>(10)?
        {
            row.reason = Some(reason_start(conn, row.id, total)?);
        }
        sink(row.into_event(prev, hash))?;
        count += 1;
    }
    Ok(count)
}

/// How many events match `filter`, ignoring its limit, counting no further
/// than `at_most`: a count costs a step per match, and a listing's note
/// needs no more than "more than 1000".
pub(super) fn count(conn: &Connection, filter: &Filter, at_most: u64) -> Result<u64> {
    let (clause, mut values) = conditions(filter, false);
    let at_most = at_most.min(i64::MAX as u64) as i64;
    values.push(&at_most);
    let n: i64 = conn.query_row(&count_sql(&clause), values.as_slice(), |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

fn count_sql(clause: &str) -> String {
    format!("SELECT COUNT(*) FROM (SELECT 1 FROM events{clause} LIMIT ?)")
}

/// The result of recomputing the chain.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Events checked before the first bad one (or all of them).
    pub checked: u64,
    /// The first event whose link or hash is wrong, and why.
    pub first_bad: Option<BadEvent>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BadEvent {
    pub id: i64,
    pub problem: String,
}

/// Walks the chain from its anchor (genesis, or where `prune` left it).
pub(super) fn verify(conn: &Connection) -> Result<VerifyReport> {
    let (mut last_id, mut last_hash) = anchor(conn)?;
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM events ORDER BY id"))?;
    let mut rows = stmt.query([])?;
    let mut checked = 0;
    while let Some(r) = rows.next()? {
        let (row, prev, hash) = read_row(r)?;
        let id = row.id;
        let problem = if id != last_id + 1 {
            Some(format!(
                "expected event {} next, found {id}: events are missing",
                last_id + 1
            ))
        } else if prev != last_hash {
            Some("its prev_hash does not match the event before it".to_string())
        } else if chain::hash(&prev, &row) != hash {
            Some("its contents do not match its hash: the row was changed".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            return Ok(VerifyReport {
                checked,
                first_bad: Some(BadEvent { id, problem }),
            });
        }
        checked += 1;
        last_id = id;
        last_hash = hash;
    }
    Ok(VerifyReport {
        checked,
        first_bad: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditLog, RunContext};

    /// SQLite's plan for `sql` with `filter`'s values, as one line.
    fn plan(log: &AuditLog, sql: &str, values: Vec<&dyn ToSql>) -> String {
        let conn = log.conn.lock().unwrap();
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt
            .query_map(values.as_slice(), |r| r.get::<_, String>(3))
            .unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("; ")
    }

    /// What the 1M-event benchmark (benches/audit_query.py) relies on: a cut
    /// `--service S --since T` listing walks `events_service_id` newest first
    /// (no sort), and its "of N" count reads only the covering index.
    #[test]
    fn a_service_and_time_listing_walks_newest_first_and_counts_from_an_index() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(&dir.path().join("audit.db"), RunContext::new("test")).unwrap();
        let filter = Filter {
            service: Some("slack".into()),
            since_ms: Some(1),
            limit: Some(50),
            ..Filter::default()
        };
        let (clause, values) = conditions(&filter, true);
        let listing = plan(
            &log,
            &format!("SELECT id FROM events{clause} ORDER BY id DESC LIMIT 50"),
            values,
        );
        assert!(listing.contains("events_service_id"), "{listing}");
        assert!(!listing.contains("TEMP B-TREE"), "{listing}");
        let (clause, mut values) = conditions(&filter, false);
        values.push(&1000);
        let count = plan(&log, &count_sql(&clause), values);
        assert!(
            count.contains("COVERING INDEX events_service_ts"),
            "{count}"
        );
    }
}
