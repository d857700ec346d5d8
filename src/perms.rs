//! Local permissions: what the assistant may do with each service and tool,
//! persistent in SQLite, checked before every token exchange, failing closed.
//!
//! Rules are per subject (`slack` or `slack.post_message`) and per access
//! (read or write). Reads are allowed unless revoked; writes are denied unless
//! granted explicitly. A grant may be time-boxed and then lapses by itself;
//! a lapsed grant denies until the user grants again. Anything the store
//! cannot answer for sure (unreadable, locked, corrupted, unknown state) is a
//! denial with a reason, never an allow.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::clock::format_ms;
use crate::db::{self, Mode};
use crate::error::{Error, Result};
use crate::service::Service;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }

    fn parse(s: &str) -> Option<Access> {
        match s {
            "read" => Some(Access::Read),
            "write" => Some(Access::Write),
            _ => None,
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a permission applies to: a whole service or one of its tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub service: Service,
    /// The tool's short name (`post_message`), if the subject is a tool.
    pub tool: Option<String>,
}

impl Subject {
    pub fn service(service: Service) -> Subject {
        Subject {
            service,
            tool: None,
        }
    }

    pub fn tool(service: Service, tool: impl Into<String>) -> Subject {
        Subject {
            service,
            tool: Some(tool.into()),
        }
    }

    /// The key stored in the rules table: `slack` or `slack.post_message`.
    pub fn key(&self) -> String {
        match &self.tool {
            None => self.service.as_str().to_string(),
            Some(t) => format!("{}.{t}", self.service),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// The answer to "may the assistant do this now?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "lowercase")]
pub enum Verdict {
    Allow {
        reason: String,
    },
    /// Allowed only if the user approves this one call (writes without a grant).
    Ask {
        reason: String,
    },
    Deny {
        reason: String,
        hint: String,
    },
}

impl Verdict {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Verdict::Allow { .. })
    }

    pub fn reason(&self) -> &str {
        match self {
            Verdict::Allow { reason } | Verdict::Ask { reason } | Verdict::Deny { reason, .. } => {
                reason
            }
        }
    }

    fn deny(reason: impl Into<String>, hint: impl Into<String>) -> Verdict {
        Verdict::Deny {
            reason: reason.into(),
            hint: hint.into(),
        }
    }
}

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
    fn effect(&self) -> Option<Effect> {
        match self.effect.as_str() {
            "allow" => Some(Effect::Allow),
            "deny" => Some(Effect::Deny),
            _ => None,
        }
    }

    fn lapsed(&self, now_ms: i64) -> bool {
        self.expires_at_ms.is_some_and(|t| t <= now_ms)
    }
}

/// The service states `perms list` and `status` show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    Connected,
    Revoked,
    NotConnected,
}

impl ServiceState {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::Connected => "connected",
            ServiceState::Revoked => "revoked",
            ServiceState::NotConnected => "not connected",
        }
    }
}

/// A connected account as last reported by Auth0.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LinkedAccount {
    pub account_id: String,
    pub scopes: Vec<String>,
    pub connected_at: Option<String>,
}

/// A service's row in `perms list`.
#[derive(Debug, Clone, Serialize)]
pub struct ServicePermissions {
    pub service: Service,
    pub state: ServiceState,
    pub read: String,
    pub write: String,
    pub connection: Option<LinkedAccount>,
    pub rules: Vec<Rule>,
}

/// The permission store (its own SQLite file).
pub struct PermissionStore {
    conn: Connection,
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
    fn open_for_check(path: &Path) -> Result<PermissionStore> {
        let conn = db::open(path, Mode::ReadWrite, CHECK_BUSY_TIMEOUT, MIGRATIONS)?;
        Ok(PermissionStore { conn })
    }

    fn rule(&self, subject: &str, access: Access) -> rusqlite::Result<Option<Rule>> {
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

    /// Replaces what Auth0 reports as connected.
    pub fn record_connections(
        &mut self,
        connections: &[(Service, LinkedAccount)],
        now_ms: i64,
    ) -> Result<()> {
        db::immediate(&mut self.conn, |tx| {
            tx.execute("DELETE FROM connections", [])?;
            for (service, c) in connections {
                tx.execute(
                    "INSERT OR REPLACE INTO connections (service, account_id, scopes, connected_at, seen_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![service.as_str(), c.account_id, c.scopes.join(" "), c.connected_at, now_ms],
                )?;
            }
            Ok(())
        })?;
        Ok(())
    }

    pub fn connections(&self) -> Result<BTreeMap<Service, LinkedAccount>> {
        let mut stmt = self
            .conn
            .prepare("SELECT service, account_id, scopes, connected_at FROM connections")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                LinkedAccount {
                    account_id: r.get(1)?,
                    scopes: r
                        .get::<_, String>(2)?
                        .split_whitespace()
                        .map(str::to_string)
                        .collect(),
                    connected_at: r.get(3)?,
                },
            ))
        })?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (service, c) = row?;
            if let Ok(s) = service.parse::<Service>() {
                out.insert(s, c);
            }
        }
        Ok(out)
    }

    /// The decision for one tool call, from this store's rules.
    pub fn decide(&self, service: Service, tool: &str, access: Access, now_ms: i64) -> Verdict {
        match self.decide_inner(service, tool, access, now_ms) {
            Ok(v) => v,
            Err(e) => Verdict::deny(
                format!("permission store unreadable ({e})"),
                "fix or remove the permission store; `devcontext status` shows where it is",
            ),
        }
    }

    fn decide_inner(
        &self,
        service: Service,
        tool: &str,
        access: Access,
        now_ms: i64,
    ) -> rusqlite::Result<Verdict> {
        let svc = service.as_str();
        let tool_key = format!("{svc}.{tool}");
        // 1. A revoked service blocks everything, reads and writes.
        // (A lapsed grant's hint renews what this call needs: `--write` for a write.)
        if let Some(v) = judge(self.rule(svc, Access::Read)?, now_ms, svc, access)?
            && matches!(v, Verdict::Deny { .. })
        {
            return Ok(v);
        }
        // 2. The most specific rule for this access wins: tool, then service.
        if let Some(v) = judge(self.rule(&tool_key, access)?, now_ms, &tool_key, access)? {
            return Ok(v);
        }
        if let Some(v) = judge(self.rule(svc, access)?, now_ms, svc, access)? {
            return Ok(v);
        }
        // 3. Defaults: reads allowed, writes need an explicit grant.
        Ok(match access {
            Access::Read => Verdict::Allow {
                reason: format!("reads of {svc} are allowed by default"),
            },
            Access::Write => Verdict::Ask {
                reason: format!("{tool_key} writes, and writes need approval or a grant"),
            },
        })
    }

    /// Builds `perms list`: each service's state, effective read/write and its rules.
    pub fn summary(&self, now_ms: i64) -> Result<Vec<ServicePermissions>> {
        let rules = self.rules()?;
        let connections = self.connections()?;
        let mut out = Vec::new();
        for service in Service::ALL {
            let svc = service.as_str();
            let mine: Vec<Rule> = rules
                .iter()
                .filter(|r| r.subject == svc || r.subject.starts_with(&format!("{svc}.")))
                .cloned()
                .collect();
            let read = describe(
                mine.iter().find(|r| r.subject == svc && r.access == "read"),
                now_ms,
                "allowed",
            );
            let write = describe(
                mine.iter()
                    .find(|r| r.subject == svc && r.access == "write"),
                now_ms,
                "ask",
            );
            let blocked = !read.starts_with("allowed");
            let connection = connections.get(&service).cloned();
            let state = if blocked {
                ServiceState::Revoked
            } else if connection.is_some() {
                ServiceState::Connected
            } else {
                ServiceState::NotConnected
            };
            out.push(ServicePermissions {
                service,
                state,
                read,
                write,
                connection,
                rules: mine,
            });
        }
        Ok(out)
    }
}

/// Reads the rule for a check, failing closed on any store problem. A
/// store written by a newer devcontext denies too, and says to upgrade:
/// removing it would throw away rules this binary cannot read.
pub fn check(path: &Path, service: Service, tool: &str, access: Access, now_ms: i64) -> Verdict {
    match PermissionStore::open_for_check(path) {
        Ok(store) => store.decide(service, tool, access, now_ms),
        Err(e) if db::is_newer_schema(&e) => Verdict::deny(
            format!("permission store unusable ({})", e.message),
            e.hint.unwrap_or_else(|| "upgrade devcontext".into()),
        ),
        Err(e) => Verdict::deny(
            format!("permission store unreadable ({})", e.message),
            format!(
                "fix or remove {} (a removed store means defaults: reads allowed, writes ask)",
                path.display()
            ),
        ),
    }
}

fn read_rule(r: &rusqlite::Row) -> rusqlite::Result<Rule> {
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

/// Turns a stored rule into a verdict, or None when there is no rule.
fn judge(
    rule: Option<Rule>,
    now_ms: i64,
    subject: &str,
    wanted: Access,
) -> rusqlite::Result<Option<Verdict>> {
    let Some(rule) = rule else { return Ok(None) };
    if Access::parse(&rule.access).is_none() {
        return Ok(Some(unknown_state(subject, &rule.access)));
    }
    Ok(Some(match rule.effect() {
        None => unknown_state(subject, &rule.effect),
        Some(Effect::Deny) => Verdict::deny(
            format!("{subject} is revoked for the assistant"),
            format!(
                "run `devcontext perms reset {subject}` to return it to the defaults: reads allowed, writes ask"
            ),
        ),
        Some(Effect::Allow) if rule.lapsed(now_ms) => Verdict::deny(
            format!(
                "the grant for {subject} lapsed at {}",
                rule.expires_at.as_deref().unwrap_or("?")
            ),
            format!(
                "run `devcontext perms grant {}` to allow it for another hour, or `devcontext perms reset {subject}` for the defaults",
                grant_args(subject, wanted.as_str())
            ),
        ),
        Some(Effect::Allow) => Verdict::Allow {
            reason: match &rule.expires_at {
                Some(t) => format!("{subject} granted until {t}"),
                None => format!("{subject} granted"),
            },
        },
    }))
}

fn unknown_state(subject: &str, value: &str) -> Verdict {
    Verdict::deny(
        format!("unknown permission state '{value}' stored for {subject}"),
        format!("run `devcontext perms reset {subject}` to return it to the defaults"),
    )
}

/// The `perms grant` arguments that allow `access` on `subject` again for an
/// hour, and no more: `slack --write --for 1h` for a service's writes,
/// `slack.post_message --for 1h` for a tool.
pub fn grant_args(subject: &str, access: &str) -> String {
    if !subject.contains('.') && access == "write" {
        format!("{subject} --write --for 1h")
    } else {
        format!("{subject} --for 1h")
    }
}

fn describe(rule: Option<&Rule>, now_ms: i64, default: &str) -> String {
    let Some(rule) = rule else {
        return default.to_string();
    };
    match rule.effect() {
        None => format!("unknown ({}): denied", rule.effect),
        Some(Effect::Deny) => "revoked".to_string(),
        Some(Effect::Allow) if rule.lapsed(now_ms) => {
            format!("lapsed at {}", rule.expires_at.as_deref().unwrap_or("?"))
        }
        Some(Effect::Allow) => match &rule.expires_at {
            Some(t) => format!("allowed until {t}"),
            None => "allowed".to_string(),
        },
    }
}

/// A user's change to the rules (`perms grant` / `perms revoke`).
#[derive(Debug, Clone)]
pub struct Change {
    pub subject: Subject,
    /// Which accesses the change touches (a tool has one; a service one or both).
    pub accesses: Vec<Access>,
    pub effect: Effect,
    pub expires_at_ms: Option<i64>,
}

/// What a change did, for the user and for the audit.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeOutcome {
    pub subject: String,
    pub access: Vec<Access>,
    pub effect: Effect,
    pub expires_at: Option<String>,
    pub changed: bool,
    pub message: String,
}

impl PermissionStore {
    pub fn apply(&mut self, change: &Change, now_ms: i64) -> Result<ChangeOutcome> {
        let mut changed = false;
        for &access in &change.accesses {
            changed |= self.set(
                &change.subject,
                access,
                change.effect,
                change.expires_at_ms,
                now_ms,
            )?;
        }
        // Granting a revoked service back for reads returns its writes to "ask".
        let service_read_only = change.subject.tool.is_none() && change.accesses == [Access::Read];
        if change.effect == Effect::Allow && service_read_only {
            changed |= self.conn.execute(
                "DELETE FROM rules WHERE subject = ?1 AND access = 'write' AND effect = 'deny'",
                [change.subject.key()],
            )? > 0;
        }
        let subject = change.subject.key();
        let what = change
            .accesses
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(" and ");
        let expires_at = change.expires_at_ms.map(format_ms);
        let message = match (change.effect, changed, &expires_at) {
            (Effect::Deny, true, _) => {
                format!("{subject}: revoked ({what}); the assistant can no longer use it")
            }
            (Effect::Deny, false, _) => format!("{subject}: already revoked, nothing changed"),
            (Effect::Allow, true, Some(t)) => format!("{subject}: {what} allowed until {t}"),
            (Effect::Allow, true, None) => format!("{subject}: {what} allowed"),
            (Effect::Allow, false, _) => format!("{subject}: already allowed, nothing changed"),
        };
        Ok(ChangeOutcome {
            subject,
            access: change.accesses.clone(),
            effect: change.effect,
            expires_at,
            changed,
            message,
        })
    }
}

/// What `perms reset` removed.
#[derive(Debug, Clone, Serialize)]
pub struct ResetOutcome {
    pub subject: String,
    /// The removed rules' subjects and accesses (`slack read`, `slack.post_message write`).
    pub removed: Vec<String>,
    pub changed: bool,
    pub message: String,
}

impl PermissionStore {
    /// Removes `subject`'s rules so the defaults apply again (reads allowed,
    /// writes ask). For a service, its tools' rules go too: afterwards
    /// nothing about it differs from a fresh install.
    pub fn reset(&mut self, subject: &Subject) -> Result<ResetOutcome> {
        let key = subject.key();
        let pattern = format!("{key}.%");
        let removed = db::immediate(&mut self.conn, |tx| {
            let mut stmt = tx.prepare(
                "SELECT subject, access FROM rules WHERE subject = ?1 OR (?2 AND subject LIKE ?3) \
                 ORDER BY subject, access",
            )?;
            let removed: Vec<String> = stmt
                .query_map(params![key, subject.tool.is_none(), pattern], |r| {
                    Ok(format!(
                        "{} {}",
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?;
            drop(stmt);
            tx.execute(
                "DELETE FROM rules WHERE subject = ?1 OR (?2 AND subject LIKE ?3)",
                params![key, subject.tool.is_none(), pattern],
            )?;
            Ok(removed)
        })
        .map_err(|e| {
            let path = Path::new(self.conn.path().unwrap_or("permissions.db"));
            db::explain(path, "cannot change the permission store", &e)
        })?;
        let defaults = match &subject.tool {
            None => "reads allowed, writes ask",
            Some(_) => "the service's rules and the defaults apply",
        };
        let message = if removed.is_empty() {
            format!("{key}: already at the defaults ({defaults}), nothing changed")
        } else {
            format!(
                "{key}: back to the defaults ({defaults}); removed {}",
                removed.join(", ")
            )
        };
        Ok(ResetOutcome {
            subject: key,
            changed: !removed.is_empty(),
            removed,
            message,
        })
    }
}

impl From<&Verdict> for Error {
    fn from(v: &Verdict) -> Error {
        match v {
            Verdict::Allow { reason } | Verdict::Ask { reason } => {
                Error::general(format!("not a denial: {reason}"))
            }
            Verdict::Deny { reason, hint } => {
                Error::blocked(format!("blocked: {reason}")).with_hint(hint.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, PermissionStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = PermissionStore::open(&dir.path().join("p.db")).unwrap();
        (dir, s)
    }

    #[test]
    fn defaults_read_allowed_write_denied() {
        let (_d, s) = store();
        assert!(
            s.decide(Service::Slack, "unread", Access::Read, 0)
                .is_allowed()
        );
        assert!(matches!(
            s.decide(Service::Slack, "post_message", Access::Write, 0),
            Verdict::Ask { .. }
        ));
    }

    #[test]
    fn revoke_blocks_everything_and_grant_is_time_boxed() {
        let (_d, mut s) = store();
        let slack = Subject::service(Service::Slack);
        s.set(&slack, Access::Read, Effect::Deny, None, 0).unwrap();
        s.set(&slack, Access::Write, Effect::Deny, None, 0).unwrap();
        s.set(
            &Subject::tool(Service::Slack, "post_message"),
            Access::Write,
            Effect::Allow,
            None,
            0,
        )
        .unwrap();
        assert!(
            !s.decide(Service::Slack, "post_message", Access::Write, 0)
                .is_allowed()
        );
        s.set(&slack, Access::Read, Effect::Allow, Some(1000), 0)
            .unwrap();
        assert!(
            s.decide(Service::Slack, "unread", Access::Read, 999)
                .is_allowed()
        );
        let v = s.decide(Service::Slack, "unread", Access::Read, 1000);
        assert!(v.reason().contains("lapsed"), "{v:?}");
    }

    #[test]
    fn reset_returns_a_subject_to_the_defaults() {
        let (_d, mut s) = store();
        let slack = Subject::service(Service::Slack);
        let post = Subject::tool(Service::Slack, "post_message");
        s.set(&post, Access::Write, Effect::Deny, None, 0).unwrap();
        s.set(&slack, Access::Read, Effect::Deny, None, 0).unwrap();
        s.set(
            &Subject::service(Service::Github),
            Access::Read,
            Effect::Deny,
            None,
            0,
        )
        .unwrap();
        let out = s.reset(&post).unwrap();
        assert_eq!(out.removed, ["slack.post_message write"]);
        assert!(out.changed);
        assert!(matches!(
            s.decide(Service::Slack, "unread", Access::Read, 0),
            Verdict::Deny { .. }
        ));
        let out = s.reset(&slack).unwrap();
        assert_eq!(out.removed, ["slack read"]);
        assert!(
            s.decide(Service::Slack, "unread", Access::Read, 0)
                .is_allowed()
        );
        assert!(matches!(
            s.decide(Service::Slack, "post_message", Access::Write, 0),
            Verdict::Ask { .. }
        ));
        assert!(!s.reset(&slack).unwrap().changed);
        // Other services keep their rules.
        assert!(
            !s.decide(Service::Github, "activity", Access::Read, 0)
                .is_allowed()
        );
        // A service reset takes its tools' rules along; `slackx` is not a tool of `slack`.
        s.set(&post, Access::Write, Effect::Allow, None, 0).unwrap();
        let out = s.reset(&slack).unwrap();
        assert_eq!(out.removed, ["slack.post_message write"]);
    }

    fn apply(
        s: &mut PermissionStore,
        subject: &Subject,
        effect: Effect,
        accesses: &[Access],
    ) -> bool {
        let change = Change {
            subject: subject.clone(),
            accesses: accesses.to_vec(),
            effect,
            expires_at_ms: None,
        };
        let out = s.apply(&change, 0).unwrap();
        assert_eq!(
            out.changed,
            !out.message.contains("nothing changed"),
            "{out:?}"
        );
        out.changed
    }

    #[test]
    fn a_change_says_whether_it_changed_anything() {
        let (_d, mut s) = store();
        let slack = Subject::service(Service::Slack);
        assert!(apply(&mut s, &slack, Effect::Allow, &[Access::Read]));
        assert!(
            !apply(&mut s, &slack, Effect::Allow, &[Access::Read]),
            "twice"
        );
        // Reads already allowed, writes revoked: granting reads back still
        // changes something, the writes return to "ask".
        s.set(&slack, Access::Write, Effect::Deny, None, 0).unwrap();
        assert!(apply(&mut s, &slack, Effect::Allow, &[Access::Read]));
        assert!(matches!(
            s.decide(Service::Slack, "post_message", Access::Write, 0),
            Verdict::Ask { .. }
        ));
        assert!(apply(
            &mut s,
            &slack,
            Effect::Deny,
            &[Access::Read, Access::Write]
        ));
        assert!(!apply(
            &mut s,
            &slack,
            Effect::Deny,
            &[Access::Read, Access::Write]
        ));
    }

    #[test]
    fn granting_a_revoked_service_reads_returns_its_writes_to_ask() {
        let (_d, mut s) = store();
        let slack = Subject::service(Service::Slack);
        assert!(apply(
            &mut s,
            &slack,
            Effect::Deny,
            &[Access::Read, Access::Write]
        ));
        assert!(apply(&mut s, &slack, Effect::Allow, &[Access::Read]));
        assert!(
            s.decide(Service::Slack, "unread", Access::Read, 0)
                .is_allowed()
        );
        assert!(matches!(
            s.decide(Service::Slack, "post_message", Access::Write, 0),
            Verdict::Ask { .. }
        ));
    }

    #[test]
    fn a_change_touches_only_the_accesses_and_subject_it_names() {
        let (_d, mut s) = store();
        let slack = Subject::service(Service::Slack);
        // Revoking reads keeps revoked writes revoked.
        s.set(&slack, Access::Write, Effect::Deny, None, 0).unwrap();
        let rules = |s: &PermissionStore| -> Vec<String> {
            s.rules()
                .unwrap()
                .into_iter()
                .map(|r| format!("{} {} {}", r.subject, r.access, r.effect))
                .collect()
        };
        assert!(apply(&mut s, &slack, Effect::Deny, &[Access::Read]));
        assert_eq!(rules(&s), ["slack read deny", "slack write deny"]);
        // A tool's grant leaves any other rule of that tool alone.
        let tool = Subject::tool(Service::Github, "review_requests");
        s.set(&tool, Access::Write, Effect::Deny, None, 0).unwrap();
        assert!(apply(&mut s, &tool, Effect::Allow, &[Access::Read]));
        assert!(!apply(&mut s, &tool, Effect::Allow, &[Access::Read]));
        assert!(
            rules(&s).contains(&"github.review_requests write deny".to_string()),
            "{:?}",
            rules(&s)
        );
    }

    #[test]
    fn a_newer_store_denies_and_is_left_as_it_was() {
        let (dir, s) = store();
        s.conn.pragma_update(None, "user_version", 99).unwrap();
        s.conn.execute_batch("PRAGMA journal_mode=DELETE").unwrap();
        drop(s);
        let path = dir.path().join("p.db");
        let before = std::fs::read(&path).unwrap();
        let v = check(&path, Service::Slack, "unread", Access::Read, 0);
        let Verdict::Deny { reason, hint } = &v else {
            panic!("{v:?}")
        };
        assert!(reason.contains("newer devcontext"), "{reason}");
        assert!(hint.contains("upgrade devcontext"), "{hint}");
        let e = PermissionStore::open(&path).err().unwrap();
        assert!(e.hint.unwrap().contains("upgrade devcontext"));
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert!(!dir.path().join("p.db-wal").exists());
    }

    #[test]
    fn unknown_state_denies() {
        let (_d, s) = store();
        s.conn
            .execute(
                "INSERT INTO rules VALUES ('github', 'read', 'maybe', NULL, 0)",
                [],
            )
            .unwrap();
        let v = s.decide(Service::Github, "review_requests", Access::Read, 0);
        assert!(v.reason().contains("unknown permission state"), "{v:?}");
    }
}
