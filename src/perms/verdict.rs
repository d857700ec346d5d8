//! The check before every token exchange: "may the assistant do this now?",
//! answered from the rules, failing closed. A revoked service blocks
//! everything; the most specific rule wins; reads default to allowed and
//! writes to ask. Anything the store cannot answer for sure (unreadable,
//! locked, corrupted, newer, an unknown state) is a denial with a reason
//! and a hint, never an allow.

use std::path::Path;

use serde::Serialize;

use super::store::{Effect, PermissionStore, Rule};
use super::subject::Access;
use crate::db;
use crate::error::Error;
use crate::service::Service;

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

    pub(super) fn deny(reason: impl Into<String>, hint: impl Into<String>) -> Verdict {
        Verdict::Deny {
            reason: reason.into(),
            hint: hint.into(),
        }
    }
}

impl PermissionStore {
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
    use crate::perms::store::temp_store as store;
    use crate::perms::subject::Subject;

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
