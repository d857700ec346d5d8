//! Opening devcontext's SQLite files the one safe way: WAL set at creation,
//! a busy timeout, `synchronous=NORMAL`, and append-only migrations keyed by
//! `PRAGMA user_version`. The audit and permission stores both go through here.
//!
//! Settings follow measurements on this kind of machine (testing.md section 5):
//! with these, 8 processes appending at once saw no "database is locked".

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{Error, Result};

/// How a store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Create the file (and its folder) if missing, migrate it.
    ReadWrite,
    /// Open an existing file for reading only; a missing file is an error.
    ReadOnly,
}

/// Opens `path`, applying `migrations` in order (each one runs exactly once,
/// in its own transaction). Migrations are append-only: never edit a shipped one.
pub fn open(
    path: &Path,
    mode: Mode,
    busy_timeout: Duration,
    migrations: &[&str],
) -> Result<Connection> {
    let mut conn = match mode {
        Mode::ReadWrite => {
            if let Some(dir) = path.parent() {
                create_private_dir(dir)?;
            }
            Connection::open(path)
        }
        Mode::ReadOnly => Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ),
    }
    .map_err(|e| explain(path, "cannot open", &e))?;
    conn.busy_timeout(busy_timeout)
        .map_err(|e| explain(path, "cannot configure", &e))?;
    // A schema newer than this binary knows is refused before anything is
    // set or written, by readers and writers alike: an older binary cannot
    // know what the newer rows mean (a rule it cannot read must not allow,
    // an event it would append would break the newer chain).
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| explain(path, "cannot read", &e))?;
    if version as usize > migrations.len() {
        return Err(newer_schema(path, version, migrations.len()));
    }
    if mode == Mode::ReadWrite {
        set_wal(&conn, busy_timeout).map_err(|e| explain(path, "cannot open", &e))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| explain(path, "cannot configure", &e))?;
        migrate(&mut conn, migrations).map_err(|e| explain(path, "cannot migrate", &e))?;
    }
    Ok(conn)
}

/// The schema version of an existing store without changing it: `None`
/// when the file does not exist; an error when it cannot be read or is newer
/// than `current` (written by a newer devcontext).
pub fn schema_status(path: &Path, current: usize) -> Result<Option<usize>> {
    if !path.exists() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| explain(path, "cannot open", &e))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| explain(path, "cannot read", &e))?;
    if version as usize > current {
        return Err(newer_schema(path, version, current));
    }
    Ok(Some(version as usize))
}

/// Sets WAL once; several processes creating the file at the same instant can
/// see BUSY here without the busy handler running, so it is retried until the
/// busy timeout has passed.
fn set_wal(conn: &Connection, busy_timeout: Duration) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + busy_timeout;
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => return Ok(()),
            Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(e),
        }
    }
}

fn migrate(conn: &mut Connection, migrations: &[&str]) -> rusqlite::Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current as usize >= migrations.len() {
        return Ok(());
    }
    // IMMEDIATE, and the version read again inside: two processes racing to
    // migrate must not both run a step.
    immediate(conn, |tx| {
        let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in migrations.iter().enumerate().skip(current as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        Ok(())
    })
}

/// Runs `f` inside `BEGIN IMMEDIATE`, the only safe way to read-then-write here.
pub fn immediate<T>(
    conn: &mut Connection,
    f: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let value = f(&tx)?;
    tx.commit()?;
    Ok(value)
}

pub fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Explains a failed SQLite operation on `path` (`doing`: "cannot open") in
/// words a user can act on: a damaged file, a full disk, a read-only file.
pub fn explain(path: &Path, doing: &str, e: &rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    let what = path.display();
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => damaged(path, &e.to_string()),
        Some(ErrorCode::DiskFull) => disk_full(path, doing),
        // SQLite reports a full disk as an I/O error when it cannot grow its
        // shared-memory file.
        Some(ErrorCode::SystemIoFailure) if low_on_space(path) => disk_full(path, doing),
        Some(ErrorCode::ReadOnly) => {
            Error::general(format!("{doing} {what}: the file is read-only ({e})")).with_hint(
                "make the file and its folder writable (permissions, `chattr -i`, a read-only mount), then retry",
            )
        }
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
            Error::general(format!("{doing} {what}: {e}")).with_hint(
                "check that the file and its folder can be read and written, or set DEVCONTEXT_HOME",
            )
        }
        _ => Error::general(format!("{doing} {what}: {e}")),
    }
}

/// A store whose file is not (or no longer) a readable SQLite database.
pub fn damaged(path: &Path, detail: &str) -> Error {
    let what = path.display();
    Error::general(format!("{what} is damaged ({detail})")).with_hint(format!(
        "move it aside (mv {what} {what}.damaged) and devcontext starts a new, empty one; \
         keep the copy to investigate"
    ))
}

/// Reading a store failed: says so with the file's name when it is damaged.
pub fn read_error(path: &Path, e: Error) -> Error {
    let detail = e.message.trim_start_matches("database error: ").to_string();
    if e.hint.is_none() && (detail.contains("malformed") || detail.contains("not a database")) {
        return damaged(path, &detail);
    }
    e
}

fn disk_full(path: &Path, doing: &str) -> Error {
    Error::general(format!("{doing} {}: the disk is full", path.display()))
        .with_hint("free some disk space, then retry")
}

/// True when the disk holding `path` has (almost) no space left.
fn low_on_space(path: &Path) -> bool {
    path.parent()
        .and_then(|dir| fs4::available_space(dir).ok())
        .is_some_and(|free| free < 256 * 1024)
}

fn newer_schema(path: &Path, version: i64, known: usize) -> Error {
    Error::general(format!(
        "{} was written by a newer devcontext (schema {version}; this one knows up to {known})",
        path.display()
    ))
    .with_hint(
        "upgrade devcontext to the version that wrote it; nothing was read from or written to it",
    )
}

/// True for the error [`open`] gives for a store newer than this binary.
pub fn is_newer_schema(e: &Error) -> bool {
    e.message.contains("was written by a newer devcontext")
}

/// Creates a folder readable by its owner only (0700 on Unix). An existing
/// folder that group or others may use is tightened to 0700 when the user
/// owns it; when they cannot (another user's folder) it is refused.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return tighten(dir);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| dir_error(dir, e))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir).map_err(|e| dir_error(dir, e))
    }
}

#[cfg(unix)]
fn tighten(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(dir).map_err(|e| dir_error(dir, e))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    // Only the owner (or root) may chmod: success means the user owns it.
    match std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700)) {
        Ok(()) => {
            tracing::info!(
                "tightened {} from {mode:04o} to {:04o}",
                dir.display(),
                mode & 0o700
            );
            Ok(())
        }
        Err(e) => Err(Error::general(format!(
            "folder {} is open to other users (mode {mode:04o}) and cannot be made private: {e}",
            dir.display()
        ))
        .with_hint(
            "use a folder you own (set DEVCONTEXT_HOME), or have its owner run chmod 700 on it",
        )),
    }
}

#[cfg(not(unix))]
fn tighten(_dir: &Path) -> Result<()> {
    Ok(())
}

fn dir_error(dir: &Path, e: std::io::Error) -> Error {
    Error::general(format!("cannot create folder {}: {e}", dir.display()))
        .with_hint("check that the parent folder is writable, or set DEVCONTEXT_HOME")
}
