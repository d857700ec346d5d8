//! The permission store: its own SQLite file (schema and migrations), the
//! stored rules as they are read back, and setting one rule. What the rules
//! mean is decided in `verdict.rs`; the changes users make, in
//! `change.rs`.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::subject::{Access, Subject};
use crate::clock::format_ms;
use crate::db::{self, Mode};
use crate::error::Result;

/// The schema version this devcontext writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE rules (
    subject    TEXT    NOT NULL,
    access     TEXT    NOT NULL,
    effect     TEXT    NOT NULL,
    expires_at INTEGER,
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (subject, access)
);
-- What Auth0 last reported as connected (Connected Accounts), for display.
CREATE TABLE connections (
    service      TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    connected_at TEXT,
    seen_at      INTEGER NOT NULL
);
"#];

/// A check waits this long for a locked store, then denies.
const CHECK_BUSY_TIMEOUT: Duration = Duration::from_millis(1500);
const CHANGE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Allow,
    Deny,
}

/// One stored rule, as read back (effect may be unknown if the file was tampered with).
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub subject: String,
    pub access: String,
    pub effect: String,
    pub expires_at: Option<String>,
    #[serde(skip)]
    pub expires_at_ms: Option<i64>,
    pub changed_at: String,
}

impl Rule {
    pub(super) fn effect(&self) -> Option<Effect> {
        match self.effect.as_str() {
            "allow" => Some(Effect::Allow),
            "deny" => Some(Effect::Deny),
            _ => None,
        }
    }

    pub(super) fn lapsed(&self, now_ms: i64) -> bool {
        self.expires_at_ms.is_some_and(|t| t <= now_ms)
    }
}

/// The permission store (its own SQLite file).
pub struct PermissionStore {
    pub(super) conn: Connection,
}

impl PermissionStore {
    /// Opens for changes (creates the file if needed).
    pub fn open(path: &Path) -> Result<PermissionStore> {
        let conn = db::open(path, Mode::ReadWrite, CHANGE_BUSY_TIMEOUT, MIGRATIONS).map_err(
            |e| match e.hint {
                Some(_) => e,
                None => e.with_hint(
                    "check the permission store's folder and file, or set DEVCONTEXT_HOME",
                ),
            },
        )?;
        Ok(PermissionStore { conn })
    }

    /// Opens for a check: creates a missing store, but waits only briefly on a lock.
    pub(super) fn open_for_check(path: &Path) -> Result<PermissionStore> {
        let conn = db::open(path, Mode::ReadWrite, CHECK_BUSY_TIMEOUT, MIGRATIONS)?;
        Ok(PermissionStore { conn })
    }

    pub(super) fn rule(&self, subject: &str, access: Access) -> rusqlite::Result<Option<Rule>> {
        self.conn
            .query_row(
                "SELECT subject, access, effect, expires_at, changed_at FROM rules \
                 WHERE subject = ?1 AND access = ?2",
                params![subject, access.as_str()],
                read_rule,
            )
            .optional()
    }

    pub fn rules(&self) -> Result<Vec<Rule>> {
        let mut stmt = self.conn.prepare(
            "SELECT subject, access, effect, expires_at, changed_at FROM rules ORDER BY subject, access",
        )?;
        let rules = stmt
            .query_map([], read_rule)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rules)
    }

    /// Sets `subject`'s rule for `access`. Returns false when it was already so.
    pub fn set(
        &mut self,
        subject: &Subject,
        access: Access,
        effect: Effect,
        expires_at_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<bool> {
        let key = subject.key();
        let effect_str = match effect {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        };
        let changed = db::immediate(&mut self.conn, |tx| {
            let current: Option<(String, Option<i64>)> = tx
                .query_row(
                    "SELECT effect, expires_at FROM rules WHERE subject = ?1 AND access = ?2",
                    params![key, access.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if current.as_ref() == Some(&(effect_str.to_string(), expires_at_ms)) {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO rules (subject, access, effect, expires_at, changed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (subject, access) DO UPDATE SET \
                 effect = excluded.effect, expires_at = excluded.expires_at, changed_at = excluded.changed_at",
                params![key, access.as_str(), effect_str, expires_at_ms, now_ms],
            )?;
            Ok(true)
        })
        .map_err(|e| {
            let path = Path::new(self.conn.path().unwrap_or("permissions.db"));
            db::explain(path, "cannot change the permission store", &e)
        })?;
        Ok(changed)
    }
}

pub(super) fn read_rule(r: &rusqlite::Row) -> rusqlite::Result<Rule> {
    let expires_at_ms: Option<i64> = r.get(3)?;
    Ok(Rule {
        subject: r.get(0)?,
        access: r.get(1)?,
        effect: r.get(2)?,
        expires_at: expires_at_ms.map(format_ms),
        expires_at_ms,
        changed_at: format_ms(r.get(4)?),
    })
}

/// A fresh store in a temporary folder, for the tests of every part of the store.
#[cfg(test)]
pub(super) fn temp_store() -> (tempfile::TempDir, PermissionStore) {
    let dir = tempfile::tempdir().unwrap();
    let s = PermissionStore::open(&dir.path().join("p.db")).unwrap();
    (dir, s)
}
