//! The store itself: the SQLite file and its migrations, and a handle on it
//! for one run ([`AuditLog`]) that appends chained events in `BEGIN
//! IMMEDIATE`, queries, verifies and prunes.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::chain::{self, GENESIS};
use super::cursor;
use super::event::{
    Action, Decision, Event, MAX_FIELD_BYTES, MAX_REASON_BYTES, NewEvent, Row, cap_text,
};
use super::query::{self, Filter, VerifyReport};
use crate::clock::{Clock, format_ms};
use crate::db::{self, Mode};
use crate::error::{Error, Result};
use crate::redact::redact;

/// The schema version this devcontext writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Append-only migrations: never edit one that has shipped, add a new one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    ts_ms       INTEGER NOT NULL,
    run_id      TEXT    NOT NULL,
    command     TEXT    NOT NULL,
    service     TEXT,
    tool        TEXT,
    action      TEXT    NOT NULL,
    endpoint    TEXT,
    decision    TEXT    NOT NULL,
    reason      TEXT,
    http_status INTEGER,
    duration_ms INTEGER,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
CREATE INDEX events_ts ON events (ts_ms);
CREATE INDEX events_service_id ON events (service, id);
CREATE INDEX events_run ON events (run_id);
-- Where the chain starts after `audit prune`: the last pruned event's id and hash.
CREATE TABLE chain_anchor (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    last_id INTEGER NOT NULL,
    hash    TEXT    NOT NULL
);
"#,
    cursor::MIGRATION,
    // A cut listing says how many events match ("showing 50 of N"): for the
    // common `--service S --since T` this index counts them without reading
    // a row (`query::count`); the listing itself keeps `events_service_id`.
    "CREATE INDEX events_service_ts ON events (service, ts_ms);",
];

/// Who is appending: one run id per process invocation, and its command.
#[derive(Debug, Clone)]
pub struct RunContext {
    pub run_id: String,
    pub command: String,
}

impl RunContext {
    pub fn new(command: impl Into<String>) -> RunContext {
        RunContext {
            run_id: new_run_id(),
            command: command.into(),
        }
    }
}

/// A fresh run id: 16 random hex digits.
pub fn new_run_id() -> String {
    let bytes: [u8; 8] = rand::random();
    hex::encode(bytes)
}

/// A handle on the audit store for one run.
///
/// Event times always come from the real clock: `DEVCONTEXT_NOW` changes
/// permission decisions, never what the record says happened when.
pub struct AuditLog {
    pub(super) conn: Mutex<Connection>,
    pub(super) path: PathBuf,
    run: RunContext,
}

const BUSY_TIMEOUT: Duration = Duration::from_secs(15);

impl AuditLog {
    /// Opens (creating if needed) the store for appending and reading.
    pub fn open(path: &Path, run: RunContext) -> Result<AuditLog> {
        let conn =
            db::open(path, Mode::ReadWrite, BUSY_TIMEOUT, MIGRATIONS).map_err(|e| {
                match e.hint {
                    Some(_) => e,
                    None => e.with_hint("check the audit store's folder, or set DEVCONTEXT_HOME"),
                }
            })?;
        // `-v` names the run, so its events can be found with `audit --run`.
        tracing::debug!("audit run {} ({})", run.run_id, run.command);
        Ok(AuditLog {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            run,
        })
    }

    /// Opens an existing store for reading only (queries and verification).
    pub fn open_read_only(path: &Path) -> Result<Option<AuditLog>> {
        if !path.exists() {
            return Ok(None);
        }
        let conn = db::open(path, Mode::ReadOnly, BUSY_TIMEOUT, MIGRATIONS)?;
        Ok(Some(AuditLog {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            run: RunContext::new("audit"),
        }))
    }

    /// For the export that runs as a command ends: a statement waits for
    /// another process's write lock at most `wait`, and closing this handle
    /// leaves the write-ahead log to the next checkpoint instead of
    /// checkpointing (and syncing) on the way out; committed data is unaffected.
    pub fn bound_for_export(&self, wait: Duration) {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let _ = conn.busy_timeout(wait.max(Duration::from_millis(1)));
        let _ = conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        );
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn run(&self) -> &RunContext {
        &self.run
    }

    /// Appends one event, chained to the last; returns its id.
    /// Free text is passed through [`redact`] so that no secret is stored.
    pub fn append(&self, event: NewEvent) -> Result<i64> {
        self.append_with(|| (event, ())).map(|(id, ())| id)
    }

    /// Appends the event `decide` returns, running `decide` while this store's
    /// write lock is held. Whatever `decide` reads or changes (a permission
    /// rule) is then ordered in the chain exactly like its event: no other
    /// process can append in between. Returns the event's id and `decide`'s value.
    pub fn append_with<T>(&self, decide: impl FnOnce() -> (NewEvent, T)) -> Result<(i64, T)> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let run = &self.run;
        db::immediate(&mut conn, |tx| {
            // A write that changes nothing fails on a read-only store before
            // `decide` acts (a permission change must not happen unaudited).
            tx.execute("UPDATE events SET id = id WHERE 0", [])?;
            let (event, value) = decide();
            let mut row = Row {
                id: 0,
                ts_ms: Clock::System.now_ms(),
                run_id: run.run_id.clone(),
                command: run.command.clone(),
                service: event.service.map(|s| cap_text(&s, MAX_FIELD_BYTES)),
                tool: event.tool.map(|t| cap_text(&t, MAX_FIELD_BYTES)),
                action: event.action.as_str().to_string(),
                endpoint: event
                    .endpoint
                    .map(|e| redact(&cap_text(&e, MAX_FIELD_BYTES))),
                decision: event.decision.as_str().to_string(),
                reason: event
                    .reason
                    .map(|r| redact(&cap_text(&r, MAX_REASON_BYTES))),
                http_status: event.http_status.map(i64::from),
                duration_ms: event.duration_ms.map(|d| d as i64),
            };
            let (last_id, prev_hash) = last_link(tx)?;
            row.id = last_id + 1;
            let hash = chain::hash(&prev_hash, &row);
            tx.execute(
                "INSERT INTO events (id, ts_ms, run_id, command, service, tool, action, endpoint, \
                 decision, reason, http_status, duration_ms, prev_hash, hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    row.id,
                    row.ts_ms,
                    row.run_id,
                    row.command,
                    row.service,
                    row.tool,
                    row.action,
                    row.endpoint,
                    row.decision,
                    row.reason,
                    row.http_status,
                    row.duration_ms,
                    prev_hash,
                    hash
                ],
            )?;
            Ok((row.id, value))
        })
        .map_err(|e| {
            let e = db::explain(&self.path, "cannot append to the audit store", &e);
            let what = e
                .hint
                .clone()
                .unwrap_or_else(|| "check the disk and retry".into());
            Error::general(e.message)
                .with_hint(format!("{what}; nothing was done without its audit record"))
        })
    }

    /// Streams events matching `filter`, newest first, into `sink`.
    pub fn query(&self, filter: &Filter, sink: impl FnMut(Event) -> Result<()>) -> Result<u64> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        query::run(&conn, filter, sink).map_err(|e| db::read_error(&self.path, e))
    }

    /// How many events match `filter`, ignoring its limit, counting no
    /// further than `at_most`.
    pub fn count(&self, filter: &Filter, at_most: u64) -> Result<u64> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        query::count(&conn, filter, at_most).map_err(|e| db::read_error(&self.path, e))
    }

    /// Recomputes the whole chain.
    pub fn verify(&self) -> Result<VerifyReport> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        query::verify(&conn).map_err(|e| db::read_error(&self.path, e))
    }

    /// Deletes the oldest events, up to the first one at or after `before_ms`
    /// (and never one after `keep_after`: events not yet exported stay),
    /// and records where the remaining chain starts. Returns how many went.
    pub fn prune(&self, before_ms: i64, keep_after: Option<i64>) -> Result<u64> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let removed = db::immediate(&mut conn, |tx| {
            let first_kept: Option<i64> = tx.query_row(
                "SELECT MIN(id) FROM events WHERE ts_ms >= ?1",
                [before_ms],
                |r| r.get(0),
            )?;
            let last_gone = match first_kept {
                Some(id) => id - 1,
                None => {
                    tx.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get(0))?
                }
            };
            let last_gone = keep_after.map_or(last_gone, |k| last_gone.min(k));
            let hash: Option<String> = tx
                .query_row("SELECT hash FROM events WHERE id = ?1", [last_gone], |r| {
                    r.get(0)
                })
                .optional()?;
            let Some(hash) = hash else { return Ok(0) };
            let n = tx.execute("DELETE FROM events WHERE id <= ?1", [last_gone])?;
            tx.execute(
                "INSERT INTO chain_anchor (one, last_id, hash) VALUES (1, ?1, ?2) \
                 ON CONFLICT (one) DO UPDATE SET last_id = excluded.last_id, hash = excluded.hash",
                params![last_gone, hash],
            )?;
            Ok(n as u64)
        })?;
        drop(conn);
        self.append(
            NewEvent::new(Action::Prune, Decision::Granted).reason(format!(
                "removed {removed} events older than {}",
                format_ms(before_ms)
            )),
        )?;
        Ok(removed)
    }
}

/// The last event's id and hash, or the anchor left by a prune, or the genesis.
fn last_link(conn: &Connection) -> rusqlite::Result<(i64, String)> {
    let last = conn
        .query_row(
            "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match last {
        Some(link) => Ok(link),
        None => anchor(conn),
    }
}

/// Where the chain starts: the anchor left by a prune, or the genesis.
pub(super) fn anchor(conn: &Connection) -> rusqlite::Result<(i64, String)> {
    Ok(conn
        .query_row(
            "SELECT last_id, hash FROM chain_anchor WHERE one = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, GENESIS.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::MAX_SHOWN_REASON;

    fn store(dir: &Path) -> AuditLog {
        AuditLog::open(&dir.join("audit.db"), RunContext::new("test")).unwrap()
    }

    #[test]
    fn a_count_stops_where_it_is_told() {
        let dir = tempfile::tempdir().unwrap();
        let log = store(dir.path());
        for _ in 0..12 {
            log.append(NewEvent::new(Action::PermissionCheck, Decision::Granted).service("slack"))
                .unwrap();
        }
        let slack = Filter {
            service: Some("slack".into()),
            limit: Some(2),
            ..Filter::default()
        };
        assert_eq!(log.count(&slack, 100).unwrap(), 12);
        assert_eq!(log.count(&slack, 5).unwrap(), 5);
        let github = Filter {
            service: Some("github".into()),
            ..Filter::default()
        };
        assert_eq!(log.count(&github, 100).unwrap(), 0);
    }

    #[test]
    fn append_chain_verify_and_prune() {
        let dir = tempfile::tempdir().unwrap();
        let log = store(dir.path());
        for i in 0..10 {
            log.append(
                NewEvent::new(Action::PermissionCheck, Decision::Granted)
                    .service("slack")
                    .reason(format!("event {i}")),
            )
            .unwrap();
        }
        let report = log.verify().unwrap();
        assert_eq!(report.checked, 10);
        assert!(report.first_bad.is_none());
        // prune everything before "now + 1 s": all ten go, the prune event stays and verifies
        let removed = log.prune(Clock::System.now_ms() + 1000, None).unwrap();
        assert_eq!(removed, 10);
        log.append(NewEvent::new(Action::ApiCall, Decision::Granted))
            .unwrap();
        let report = log.verify().unwrap();
        assert_eq!(report.checked, 2);
        assert!(report.first_bad.is_none(), "{report:?}");
    }

    #[test]
    fn long_text_is_capped_with_a_marker_at_storage_and_at_query() {
        let dir = tempfile::tempdir().unwrap();
        let log = store(dir.path());
        log.append(
            NewEvent::new(Action::ApiCall, Decision::Error)
                .tool("t".repeat(10_000))
                .reason(format!("é{}", "x".repeat(100_000))),
        )
        .unwrap();
        // A row written by someone else (an older binary, a hand edit).
        log.conn
            .lock()
            .unwrap()
            .execute(
                "INSERT INTO events (id, ts_ms, run_id, command, action, decision, reason, prev_hash, hash) \
                 VALUES (2, 0, 'r', 'c', 'api_call', 'error', ?1, 'p', 'h')",
                [format!("ü{}", "y".repeat(3_000_000))],
            )
            .unwrap();
        let mut seen = vec![];
        log.query(&Filter::default(), |e| {
            seen.push(e);
            Ok(())
        })
        .unwrap();
        let huge = seen[0].reason.as_deref().unwrap();
        assert!(huge.len() < MAX_SHOWN_REASON + 64, "{}", huge.len());
        assert!(huge.starts_with("üyyy"));
        assert!(
            huge.ends_with("bytes not shown)"),
            "{}",
            &huge[huge.len() - 40..]
        );
        let stored = seen[1].reason.as_deref().unwrap();
        assert!(stored.len() <= MAX_REASON_BYTES + 40, "{}", stored.len());
        assert!(stored.ends_with("bytes cut)"), "{stored}");
        assert!(seen[1].tool.as_deref().unwrap().len() < MAX_FIELD_BYTES + 40);
        assert_eq!(cap_text("héllo", 2), "h… (+5 bytes cut)");
    }

    #[test]
    fn secrets_in_reasons_are_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let log = store(dir.path());
        log.append(
            NewEvent::new(Action::TokenExchange, Decision::Error)
                // Built at run time so the fake token is not committed in token shape.
                .reason(format!(
                    "provider said Bearer {}-emu-abcdef0123456789 is bad",
                    "xoxp"
                )),
        )
        .unwrap();
        let mut seen = vec![];
        log.query(&Filter::default(), |e| {
            seen.push(e);
            Ok(())
        })
        .unwrap();
        assert!(!seen[0].reason.as_deref().unwrap().contains("-emu-abcdef"));
    }

    #[test]
    fn query_returns_how_many_events_it_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let log = store(dir.path());
        for _ in 0..3 {
            log.append(NewEvent::new(Action::ApiCall, Decision::Granted))
                .unwrap();
        }
        let mut seen = 0;
        let n = log
            .query(&Filter::default(), |_| {
                seen += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!((n, seen), (3, 3));
        let limited = Filter {
            limit: Some(2),
            ..Filter::default()
        };
        assert_eq!(log.query(&limited, |_| Ok(())).unwrap(), 2);
    }

    #[test]
    fn each_run_gets_its_own_random_id() {
        let ids: std::collections::HashSet<String> = (0..50).map(|_| new_run_id()).collect();
        assert_eq!(ids.len(), 50);
        for id in ids {
            assert_eq!(id.len(), 16, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        }
    }
}
