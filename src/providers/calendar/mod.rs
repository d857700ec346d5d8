//! Google Calendar tools: today's schedule in the user's time zone, and
//! upcoming events for the next N days (primary calendar, recurring events
//! expanded, ordered by start time, paginated with `pageToken`).
//!
//! The user's zone comes from `users/me/settings/timezone` and is passed as
//! `timeZone`, so Google writes event times with that zone's offset. Without
//! a time-zone database, the offset of "today" is known exactly for fixed
//! zones (UTC, Etc/GMT±N); for others the tool reads a day either side of now
//! and takes the offset from the event times Google returns (falling back to
//! this machine's offset when there are no timed events).
//!
//! `tools.rs`: its tools, declared once for the tool table; `args.rs`: the
//! arguments; `results.rs`: the results; `calls.rs`: the requests; `shape.rs`:
//! events into a schedule; `hooks.rs`: Google's errors.

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
