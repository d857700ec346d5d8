//! The export cursor: the last event a team's OpenTelemetry collector has
//! acknowledged, kept in the audit store itself so that moving it is one
//! transaction with nothing else to keep in step. Events after it are
//! pending; the cursor only moves forward, and only after a collector said
//! yes, so delivery is at least once, in order, without gaps.
//!
//! The cursor is also an anchor: the delivered (id, hash) must still be in
//! the local chain. If it is not, the tail was cut or the chain rewritten
//! after delivery ([`AuditLog::delivered_anchor`]).

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::event::Event;
use super::query::{COLUMNS, read_row};
use super::store::{AuditLog, anchor};
use crate::clock::format_ms;
use crate::db;
use crate::error::Result;

/// Migration 2: the export cursor (one row, created on first delivery).
pub(super) const MIGRATION: &str = r#"
CREATE TABLE export_cursor (
    one                 INTEGER PRIMARY KEY CHECK (one = 1),
    delivered_id        INTEGER NOT NULL,
    delivered_hash      TEXT    NOT NULL,
    delivered_at_ms     INTEGER,
    last_error          TEXT,
    last_error_at_ms    INTEGER,
    retry_not_before_ms INTEGER
);
"#;

/// An event to export, with its time in milliseconds.
#[derive(Debug, Clone)]
pub struct PendingEvent {
    pub event: Event,
    pub ts_ms: i64,
}

/// Where export stands, for `audit export --status` and `status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportState {
    /// Events after the cursor, not yet acknowledged by the collector.
    pub pending: i64,
    /// The last delivered event (0: none yet).
    pub delivered_id: i64,
    pub delivered_hash: Option<String>,
    /// When the last batch was acknowledged.
    pub last_delivery: Option<String>,
    /// The last failure, if it came after the last delivery.
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    /// The collector asked not to be called again before this time (ms).
    #[serde(skip)]
    pub retry_not_before_ms: Option<i64>,
}

/// Why the chain no longer holds what was delivered.
#[derive(Debug, Clone, Serialize)]
pub struct MissingDelivered {
    /// The first id that was delivered and is gone (or rewritten).
    pub id: i64,
    pub problem: String,
}

fn has_cursor_table(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'export_cursor'",
        [],
        |_| Ok(()),
    )
    .optional()
    .map(|r| r.is_some())
}

fn read_state(conn: &Connection) -> rusqlite::Result<ExportState> {
    let mut state = ExportState::default();
    if has_cursor_table(conn)? {
        let row = conn
            .query_row(
                "SELECT delivered_id, delivered_hash, delivered_at_ms, last_error, \
                 last_error_at_ms, retry_not_before_ms FROM export_cursor WHERE one = 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                        r.get::<_, Option<i64>>(5)?,
                    ))
                },
            )
            .optional()?;
        if let Some((id, hash, at, error, error_at, not_before)) = row {
            state.delivered_id = id;
            state.delivered_hash = (id > 0).then_some(hash);
            state.last_delivery = at.map(format_ms);
            state.last_error = error;
            state.last_error_at = error_at.map(format_ms);
            state.retry_not_before_ms = not_before;
        }
    }
    state.pending = conn.query_row(
        "SELECT COUNT(*) FROM events WHERE id > ?1",
        [state.delivered_id],
        |r| r.get(0),
    )?;
    Ok(state)
}

fn ensure_row(tx: &Connection) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO export_cursor (one, delivered_id, delivered_hash) VALUES (1, 0, '')",
        [],
    )?;
    Ok(())
}

impl AuditLog {
    /// The export cursor and the pending count (a store without the cursor
    /// table, opened read-only, has delivered nothing).
    pub fn export_state(&self) -> Result<ExportState> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        read_state(&conn).map_err(|e| db::read_error(&self.path, e.into()))
    }

    /// Up to `limit` events after `after_id`, oldest first.
    pub fn pending_events(&self, after_id: i64, limit: usize) -> Result<Vec<PendingEvent>> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let read = || -> rusqlite::Result<Vec<PendingEvent>> {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM events WHERE id > ?1 ORDER BY id LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![after_id, limit as i64], |r| {
                let (row, prev, hash) = read_row(r)?;
                let ts_ms = row.ts_ms;
                Ok(PendingEvent {
                    event: row.into_event(prev, hash),
                    ts_ms,
                })
            })?;
            rows.collect()
        };
        read().map_err(|e| db::read_error(&self.path, e.into()))
    }

    /// Moves the cursor to (`id`, `hash`) after the collector acknowledged
    /// everything up to it. Never moves it back (another process may have
    /// delivered further meanwhile). Clears the last error.
    pub fn mark_delivered(&self, id: i64, hash: &str, now_ms: i64) -> Result<()> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        db::immediate(&mut conn, |tx| {
            ensure_row(tx)?;
            tx.execute(
                "UPDATE export_cursor SET delivered_id = ?1, delivered_hash = ?2, \
                 delivered_at_ms = ?3, last_error = NULL, last_error_at_ms = NULL, \
                 retry_not_before_ms = NULL WHERE one = 1 AND delivered_id < ?1",
                params![id, hash, now_ms],
            )?;
            Ok(())
        })
        .map_err(|e| db::explain(&self.path, "cannot record the export cursor in", &e))
    }

    /// Records a failed delivery (the message must hold no secret) and when
    /// the collector may be called again.
    pub fn mark_export_failed(
        &self,
        error: &str,
        now_ms: i64,
        retry_not_before_ms: Option<i64>,
    ) -> Result<()> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        db::immediate(&mut conn, |tx| {
            ensure_row(tx)?;
            tx.execute(
                "UPDATE export_cursor SET last_error = ?1, last_error_at_ms = ?2, \
                 retry_not_before_ms = ?3 WHERE one = 1",
                params![error, now_ms, retry_not_before_ms],
            )?;
            Ok(())
        })
        .map_err(|e| db::explain(&self.path, "cannot record the export state in", &e))
    }

    /// Checks that the last delivered event is still in the chain with the
    /// hash the collector received. `None`: intact (or nothing delivered).
    pub fn delivered_anchor(&self) -> Result<Option<MissingDelivered>> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        check_anchor(&conn).map_err(|e| db::read_error(&self.path, e.into()))
    }
}

fn check_anchor(conn: &Connection) -> rusqlite::Result<Option<MissingDelivered>> {
    let state = read_state(conn)?;
    let (id, Some(hash)) = (state.delivered_id, state.delivered_hash) else {
        return Ok(None);
    };
    let (pruned_to, pruned_hash) = anchor(conn)?;
    if id < pruned_to {
        // Pruned on purpose after delivery (the prune is itself an event).
        return Ok(None);
    }
    if id == pruned_to {
        return Ok((pruned_hash != hash).then(|| MissingDelivered {
            id,
            problem: format!(
                "delivered event {id} does not match where the chain was pruned: \
                 the chain was rewritten after delivery"
            ),
        }));
    }
    let local: Option<String> = conn
        .query_row("SELECT hash FROM events WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    match local {
        Some(h) if h == hash => Ok(None),
        Some(_) => Ok(Some(MissingDelivered {
            id,
            problem: format!(
                "event {id} is not the one delivered to the collector (its hash differs): \
                 the chain was rewritten after delivery"
            ),
        })),
        None => {
            // The first delivered id that is gone: just after the last one kept
            // (below the delivered one), or after the prune point.
            let kept: Option<i64> =
                conn.query_row("SELECT MAX(id) FROM events WHERE id < ?1", [id], |r| {
                    r.get(0)
                })?;
            let first = kept.unwrap_or(pruned_to).max(pruned_to) + 1;
            Ok(Some(MissingDelivered {
                id: first,
                problem: format!(
                    "events {first} to {id} were delivered to the collector but are gone \
                     from the local chain: its tail was cut"
                ),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::audit::{Action, AuditLog, Decision, NewEvent, RunContext};
    use crate::clock::Clock;

    fn store(dir: &std::path::Path, n: usize) -> AuditLog {
        let log = AuditLog::open(&dir.join("audit.db"), RunContext::new("test")).unwrap();
        for _ in 0..n {
            log.append(NewEvent::new(Action::ApiCall, Decision::Granted))
                .unwrap();
        }
        log
    }

    fn hash_of(log: &AuditLog, id: i64) -> String {
        log.pending_events(id - 1, 1).unwrap()[0].event.hash.clone()
    }

    #[test]
    fn the_cursor_moves_forward_only_and_counts_pending() {
        let dir = tempfile::tempdir().unwrap();
        let log = store(dir.path(), 10);
        assert_eq!(log.export_state().unwrap().pending, 10);
        log.mark_delivered(6, &hash_of(&log, 6), 1).unwrap();
        // A slower process acknowledging an older batch does not move it back.
        log.mark_delivered(4, &hash_of(&log, 4), 2).unwrap();
        let st = log.export_state().unwrap();
        assert_eq!((st.delivered_id, st.pending), (6, 4));
        log.mark_export_failed("down", 3, Some(99)).unwrap();
        let st = log.export_state().unwrap();
        assert_eq!(st.last_error.as_deref(), Some("down"));
        assert_eq!(st.retry_not_before_ms, Some(99));
        log.mark_delivered(10, &hash_of(&log, 10), 4).unwrap();
        let st = log.export_state().unwrap();
        assert_eq!((st.pending, st.last_error), (0, None));
        assert!(log.delivered_anchor().unwrap().is_none());
    }

    #[test]
    fn prune_keeps_undelivered_events_and_the_anchor_holds() {
        let dir = tempfile::tempdir().unwrap();
        let log = store(dir.path(), 10);
        log.mark_delivered(5, &hash_of(&log, 5), 1).unwrap();
        let removed = log.prune(Clock::System.now_ms() + 1000, Some(5)).unwrap();
        assert_eq!(removed, 5);
        assert_eq!(log.pending_events(0, 100).unwrap()[0].event.id, 6);
        assert!(log.verify().unwrap().first_bad.is_none());
        assert!(log.delivered_anchor().unwrap().is_none());
    }

    #[test]
    fn a_cut_tail_names_the_first_missing_delivered_id() {
        let dir = tempfile::tempdir().unwrap();
        let log = store(dir.path(), 10);
        log.mark_delivered(9, &hash_of(&log, 9), 1).unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("audit.db")).unwrap();
        conn.execute("DELETE FROM events WHERE id > 6", []).unwrap();
        let missing = log.delivered_anchor().unwrap().unwrap();
        assert_eq!(missing.id, 7);
        assert!(missing.problem.contains("tail was cut"));
        // Appending again reuses id 9 with another hash: a rewrite.
        for _ in 0..4 {
            log.append(NewEvent::new(Action::Login, Decision::Granted))
                .unwrap();
        }
        let missing = log.delivered_anchor().unwrap().unwrap();
        assert_eq!(missing.id, 9);
        assert!(missing.problem.contains("rewritten"));
    }
}
