//! The hash chain: each event's hash covers the previous event's hash and all
//! of its own fields, so changing, inserting or deleting a row breaks every
//! hash after it.

use sha2::{Digest, Sha256};

use super::event::Row;

/// The `prev_hash` of the very first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 over the previous hash and the event's fields in a fixed order.
/// Fields are encoded as a JSON array, which is unambiguous (no field can
/// bleed into the next) and easy to recompute from any language.
pub(super) fn hash(prev_hash: &str, row: &Row) -> String {
    let canonical = serde_json::json!([
        prev_hash,
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
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}
