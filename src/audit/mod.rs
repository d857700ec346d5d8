//! The audit store: an append-only SQLite log of every permission decision,
//! token exchange and API call, each event hash-chained to the one before so
//! that an edited or deleted row is detected by `audit verify`.
//!
//! Appends run in `BEGIN IMMEDIATE` (the chain reads the last row, then
//! writes), so any number of devcontext processes can append at once.
//!
//! The rooms: `event.rs` (what an event is), `store.rs` (the file, append,
//! query, verify, prune), `chain.rs` (the hash chain), `query.rs` (listings
//! and verification) and `cursor.rs` (the export cursor).

mod chain;
mod cursor;
mod event;
mod query;
mod store;

pub use chain::GENESIS;
pub use cursor::{ExportState, MissingDelivered, PendingEvent};
pub use event::{Action, Decision, Event, MAX_FIELD_BYTES, MAX_REASON_BYTES, NewEvent, cap_text};
pub use query::{Filter, MAX_SHOWN_REASON, VerifyReport};
pub use store::{AuditLog, RunContext, SCHEMA_VERSION, new_run_id};
