//! The provider tools: for each tool an argument type (its JSON Schema comes
//! from the type, via schemars, so it is never written twice), a compact
//! result type, and the calls that fill it. Providers never see the Auth0
//! session or a token: they get an [`ApiClient`](crate::broker::ApiClient)
//! from the broker, which attaches the token, retries, bounds bodies and
//! audits every request. Each provider also says what it does differently
//! on the wire: headers, rate limits, how to read its failures
//! ([`ProviderHooks`], bound to its service by [`hooks`]).
//!
//! Each provider is a folder: `tools.rs` (its tools, declared once for the
//! tool table), `args.rs` (arguments), `results.rs` (results), `calls.rs`
//! (requests), `shape.rs` (answers into results), `hooks.rs`.
//!
//! Results are bounded: lists are capped (`limit`), long text is cut with
//! "…", and each result says how many items were left out (`omitted`) and,
//! where the API reports it, how many there are in all (`total`).

pub mod calendar;
pub mod github;
pub mod slack;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::broker::ProviderHooks;
use crate::error::{Error, Result};
pub use crate::sanitize::truncate;
use crate::service::Service;
use crate::tools::Registry;

/// Every tool devcontext offers, in display order: each provider's declarations.
pub fn registry() -> &'static Registry {
    static TABLE: std::sync::LazyLock<Registry> = std::sync::LazyLock::new(|| {
        let declared = [github::tools(), calendar::tools(), slack::tools()];
        Registry::new(declared.into_iter().flatten().collect())
    });
    &TABLE
}

/// Largest `limit` any tool accepts.
pub const MAX_LIMIT: u32 = 50;
/// The `limit` used when none is given.
pub const DEFAULT_LIMIT: u32 = 10;
/// Longest text kept per item (titles, message texts), in characters.
pub const MAX_TEXT: usize = 300;

/// Each service's hooks, bound once: the broker's API client uses the hooks
/// of its call's service for every request.
pub fn hooks(service: Service) -> &'static dyn ProviderHooks {
    match service {
        Service::Github => &github::GitHubHooks,
        Service::Calendar => &calendar::CalendarHooks,
        Service::Slack => &slack::SlackHooks,
    }
}

pub(crate) fn default_limit() -> u32 {
    DEFAULT_LIMIT
}

/// Checks `limit` (1..=50).
pub fn check_limit(limit: u32) -> Result<()> {
    check_range("limit", limit, 1, MAX_LIMIT)
}

pub fn check_range(field: &str, value: u32, min: u32, max: u32) -> Result<()> {
    if value < min || value > max {
        return Err(Error::usage(format!(
            "{field} must be between {min} and {max} (got {value})"
        )));
    }
    Ok(())
}

/// Checks a required text: not blank, at most `max` characters.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::usage(format!("{field} must not be empty")));
    }
    let n = value.chars().count();
    if n > max {
        return Err(Error::usage(format!(
            "{field} is too long: {n} characters (at most {max})"
        )));
    }
    Ok(())
}

/// A GitHub repository as `owner/name`.
pub fn check_repo(field: &str, value: &str) -> Result<()> {
    let ok = value.split_once('/').is_some_and(|(owner, name)| {
        let owner_ok = !owner.is_empty()
            && owner.len() <= 39
            && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !owner.starts_with('-');
        let name_ok = !name.is_empty()
            && name.len() <= 100
            && name != "."
            && name != ".."
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        owner_ok && name_ok
    });
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "{field} must be a repository as owner/name, like acme/web (got '{}')",
            truncate(value, 80)
        )))
    }
}

/// Reads a string field (empty when absent).
pub(crate) fn s(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Reads an optional string field.
pub(crate) fn opt_s(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Reads a header as text.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The answer every provider gives for statuses it has nothing special to say about.
pub(crate) fn generic_status(service: &str, status: StatusCode, detail: &str) -> Error {
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(": {}", truncate(detail, 200))
    };
    match status.as_u16() {
        429 => Error::upstream(format!("{service} is rate limiting (HTTP 429){detail}"))
            .with_hint("wait a minute and try again"),
        500..=599 => Error::upstream(format!(
            "{service} had a server error (HTTP {status}){detail}"
        ))
        .with_hint("the service may be having trouble; try again later"),
        _ => Error::upstream(format!("{service} answered HTTP {status}{detail}")).with_hint(
            "retry later; `devcontext audit --decision error --limit 5` shows the failed request",
        ),
    }
}

/// "1 pull request" / "3 pull requests".
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_is_bounded_and_marked() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("a\nb   c", 10), "a b c");
        let t = truncate(&"x".repeat(500), 300);
        assert_eq!(t.chars().count(), 300);
        assert!(t.ends_with('…'));
        // multi-byte text is cut at character boundaries
        assert_eq!(truncate("ééééé", 3), "éé…");
    }

    #[test]
    fn repos_are_owner_slash_name() {
        for ok in ["acme/web", "a-b/c.d_e", "Acme/Web-2"] {
            check_repo("repo", ok).unwrap();
        }
        for bad in [
            "acme",
            "/web",
            "acme/",
            "acme/web/x",
            "ac me/web",
            "acme/..",
            "-x/y",
        ] {
            let e = check_repo("repo", bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(e.message.contains("owner/name"), "{}", e.message);
        }
    }

    #[test]
    fn bounds_name_the_field() {
        let e = check_limit(0).unwrap_err();
        assert!(e.message.contains("limit must be between 1 and 50"));
        check_limit(50).unwrap();
        assert!(check_text("text", "  ", 10).is_err());
        assert!(check_text("text", "abcdefghijk", 10).is_err());
        check_text("text", "hi", 10).unwrap();
    }
}
