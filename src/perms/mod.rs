//! Local permissions: what the assistant may do with each service and tool,
//! persistent in SQLite, checked before every token exchange, failing closed.
//!
//! Rules are per subject (`slack` or `slack.post_message`) and per access
//! (read or write). Reads are allowed unless revoked; writes are denied unless
//! granted explicitly. A grant may be time-boxed and then lapses by itself;
//! a lapsed grant denies until the user grants again. Anything the store
//! cannot answer for sure (unreadable, locked, corrupted, unknown state) is a
//! denial with a reason, never an allow.
//!
//! The rooms: `store.rs` (the SQLite file and its rules), `subject.rs` (what a
//! rule is about), `verdict.rs` (the check), `change.rs` (grant, revoke,
//! reset), `connections.rs` (the connected-account cache) and `summary.rs`
//! (`perms list`).

mod change;
mod connections;
mod store;
mod subject;
mod summary;
mod verdict;

pub use change::{Change, ChangeOutcome, ResetOutcome};
pub use connections::LinkedAccount;
pub use store::{Effect, PermissionStore, Rule, SCHEMA_VERSION};
pub use subject::{Access, Subject};
pub use summary::{ServicePermissions, ServiceState};
pub use verdict::{Verdict, check, grant_args};
