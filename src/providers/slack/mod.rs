//! Slack tools: unread direct messages and mentions of me, recent messages
//! of a channel given by name (found with `conversations.list`, paginated by
//! cursor), and posting a message (the one write).
//!
//! Slack answers most failures with HTTP 200 and `{"ok": false, "error":
//! CODE}`; [`SlackHooks`] reads those, and treats `invalid_auth` and friends
//! like a 401 so the broker makes one fresh exchange.
//!
//! `tools.rs`: its tools, declared once for the tool table; `args.rs`: the
//! arguments; `results.rs`: the results; `calls.rs`: the requests; `shape.rs`:
//! answers into results; `hooks.rs`: Slack's errors.

mod args;
mod calls;
mod hooks;
mod results;
mod shape;
mod tools;

pub use args::*;
pub use calls::*;
pub use hooks::*;
pub use results::*;
pub use shape::*;
pub use tools::tools;
