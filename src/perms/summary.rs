//! `perms list` and `status`: each service's state, its effective read and
//! write permission in words, its connected account and its rules.

use serde::Serialize;

use super::connections::LinkedAccount;
use super::store::{Effect, PermissionStore, Rule};
use crate::error::Result;
use crate::service::Service;

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

impl PermissionStore {
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
