//! How GitHub's REST API differs on the wire: its media type and API
//! version headers, its rate-limit headers, and how it reports failures
//! (with the scope or permission to grant, where it says).

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::broker::ProviderHooks;
use crate::error::Error;
use crate::providers::{generic_status, header, opt_s, s, truncate};

/// GitHub's REST API conventions: its media type and API version on every
/// request, its rate-limit headers, and how it reports failures.
pub struct GitHubHooks;

impl ProviderHooks for GitHubHooks {
    fn headers(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("accept", "application/vnd.github+json"),
            ("x-github-api-version", "2022-11-28"),
        ]
    }

    /// Secondary (and primary) rate limits come as 403 with
    /// `x-ratelimit-remaining: 0` or a Retry-After.
    fn rate_limited(&self, headers: &HeaderMap) -> bool {
        header(headers, "x-ratelimit-remaining") == Some("0")
            || headers.contains_key(reqwest::header::RETRY_AFTER)
    }

    fn interpret(&self, status: StatusCode, headers: &HeaderMap, body: &Value) -> Option<Error> {
        if status.is_success() {
            return None;
        }
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Some(match status.as_u16() {
            401 => Error::upstream(format!(
                "GitHub rejected the token (HTTP 401{})",
                if message.is_empty() {
                    String::new()
                } else {
                    format!(" {message}")
                }
            )),
            403 | 429
                if self.rate_limited(headers)
                    || message.to_lowercase().contains("rate limit")
                    || status.as_u16() == 429 =>
            {
                let when = header(headers, "retry-after")
                    .map(|s| format!("; retry after {s} s"))
                    .unwrap_or_default();
                Error::upstream(format!(
                    "GitHub rate limit reached (HTTP {}): {}{when}",
                    status.as_u16(),
                    if message.is_empty() {
                        "too many requests"
                    } else {
                        &message
                    }
                ))
                .with_hint("wait a minute and try again")
            }
            403 => match missing_scopes(headers) {
                Some(scopes) => Error::upstream(format!(
                    "GitHub refused: the token lacks the scope {scopes} ({message})"
                ))
                .with_hint(format!(
                    "run `devcontext connect github --scopes {}` to grant it",
                    scopes.replace(' ', "")
                )),
                None if message.contains("Resource not accessible") => {
                    Error::upstream(format!("GitHub refused: {message}")).with_hint(
                        "the GitHub App lacks a permission or is not installed on this repository; \
                     update the app, then run `devcontext connect github`",
                    )
                }
                None => Error::upstream(format!(
                    "GitHub refused the request (HTTP 403): {message}"
                ))
                .with_hint(
                    "the GitHub App may lack a permission or not be installed where it is needed; \
                             update the app, then run `devcontext connect github`",
                ),
            },
            404 => Error::upstream(format!(
                "GitHub: not found (HTTP 404{})",
                if message.is_empty() || message == "Not Found" {
                    String::new()
                } else {
                    format!(": {message}")
                }
            ))
            .with_hint(
                "check the repository and number; private repositories also answer 404 \
                 when the GitHub App cannot see them",
            ),
            422 => Error::upstream(format!(
                "GitHub rejected the request as invalid (HTTP 422): {}",
                validation_message(&message, body)
            ))
            .with_hint(
                "check the tool's arguments (`devcontext tool github TOOL --help`); \
                 GitHub names the field it refused",
            ),
            _ => generic_status("GitHub", status, &message),
        })
    }
}

/// Scopes the endpoint accepts that the token does not have (classic OAuth tokens).
fn missing_scopes(headers: &HeaderMap) -> Option<String> {
    let accepted = header(headers, "x-accepted-oauth-scopes")?;
    let have: Vec<&str> = header(headers, "x-oauth-scopes")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .collect();
    let wanted: Vec<&str> = accepted
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if wanted.is_empty() || wanted.iter().any(|w| have.contains(w)) {
        return None;
    }
    Some(wanted.join(", "))
}

/// "Validation Failed: q is missing" from GitHub's `errors` list.
fn validation_message(message: &str, body: &Value) -> String {
    let details: Vec<String> = body
        .get("errors")
        .and_then(Value::as_array)
        .map(|errs| {
            errs.iter()
                .map(|e| match e {
                    Value::String(s) => s.clone(),
                    _ => opt_s(e, "message").unwrap_or_else(|| {
                        format!("{} {}", s(e, "field"), s(e, "code"))
                            .trim()
                            .to_string()
                    }),
                })
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let message = if message.is_empty() {
        "Validation Failed"
    } else {
        message
    };
    if details.is_empty() {
        truncate(message, 300)
    } else {
        truncate(&format!("{message}: {}", details.join("; ")), 300)
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderMap;
    use serde_json::json;

    use super::*;
    use crate::providers::github::tests::headers;

    #[test]
    fn requests_ask_for_githubs_media_type_and_api_version() {
        assert_eq!(
            GitHubHooks.headers(),
            [
                ("accept", "application/vnd.github+json"),
                ("x-github-api-version", "2022-11-28"),
            ]
        );
    }

    #[test]
    fn errors_are_read_from_github_answers() {
        let e = GitHubHooks
            .interpret(
                StatusCode::UNAUTHORIZED,
                &HeaderMap::new(),
                &json!({"message": "Bad credentials"}),
            )
            .unwrap();
        assert_eq!(e.exit_code(), 5);
        assert!(e.message.contains("Bad credentials"));

        let h = headers(&[
            ("x-accepted-oauth-scopes", "repo"),
            ("x-oauth-scopes", "read:user"),
        ]);
        let e = GitHubHooks
            .interpret(
                StatusCode::FORBIDDEN,
                &h,
                &json!({"message": "Must have admin rights"}),
            )
            .unwrap();
        assert!(e.message.contains("lacks the scope repo"), "{}", e.message);
        assert!(
            e.hint
                .unwrap()
                .contains("devcontext connect github --scopes repo")
        );

        let h = headers(&[("x-ratelimit-remaining", "0"), ("retry-after", "30")]);
        let e = GitHubHooks
            .interpret(
                StatusCode::FORBIDDEN,
                &h,
                &json!({"message": "You have exceeded a secondary rate limit"}),
            )
            .unwrap();
        assert!(e.message.contains("rate limit"), "{}", e.message);

        let e = GitHubHooks
            .interpret(
                StatusCode::NOT_FOUND,
                &HeaderMap::new(),
                &json!({"message": "Not Found"}),
            )
            .unwrap();
        assert!(e.message.contains("not found"));

        let e = GitHubHooks
            .interpret(
                StatusCode::UNPROCESSABLE_ENTITY,
                &HeaderMap::new(),
                &json!({"message": "Validation Failed", "errors": [{"resource": "Search", "field": "q", "code": "missing"}]}),
            )
            .unwrap();
        assert_eq!(
            e.message,
            "GitHub rejected the request as invalid (HTTP 422): Validation Failed: q missing"
        );

        let e = GitHubHooks
            .interpret(StatusCode::BAD_GATEWAY, &HeaderMap::new(), &Value::Null)
            .unwrap();
        assert!(e.message.contains("server error"));
        assert!(
            GitHubHooks
                .interpret(StatusCode::OK, &HeaderMap::new(), &json!([]))
                .is_none()
        );
    }
}
