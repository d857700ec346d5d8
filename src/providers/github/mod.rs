//! GitHub tools: pull requests awaiting my review, that I opened, work
//! assigned to me (all from the search API: `/issues` has no review-request
//! filter), my recent activity or commits, unread notifications, and a
//! comment on an issue or pull request (the one write).
//!
//! `tools.rs`: its tools, declared once for the tool table; `args.rs`: the
//! arguments; `results.rs`: the results; `calls.rs`: the requests; `shape.rs`:
//! answers into results; `hooks.rs`: GitHub's headers, rate limits and errors.

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

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue};

    /// Response headers from name/value pairs.
    pub(super) fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }
}
