//! The connected accounts as Auth0 last reported them (Connected Accounts),
//! kept in the permission store for display: `perms list` and `status` show
//! them without asking Auth0.

use std::collections::BTreeMap;

use rusqlite::params;
use serde::Serialize;

use super::store::PermissionStore;
use crate::db;
use crate::error::Result;
use crate::service::Service;

/// A connected account as last reported by Auth0.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LinkedAccount {
    pub account_id: String,
    pub scopes: Vec<String>,
    pub connected_at: Option<String>,
}

impl PermissionStore {
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
}
