//! The changes users make to the rules: `perms grant` and `perms revoke`
//! ([`Change`]) and `perms reset`, each saying whether it changed anything,
//! for the user and for the audit.

use std::path::Path;

use rusqlite::params;
use serde::Serialize;

use super::store::{Effect, PermissionStore};
use super::subject::{Access, Subject};
use crate::clock::format_ms;
use crate::db;
use crate::error::Result;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perms::Verdict;
    use crate::perms::store::temp_store as store;
    use crate::service::Service;

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
}
