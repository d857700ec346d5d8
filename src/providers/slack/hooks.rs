//! How the Slack Web API reports failures: mostly HTTP 200 with `ok: false`
//! and an error code; `invalid_auth` and friends count as a rejected token,
//! so the broker makes one fresh exchange.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::broker::ProviderHooks;
use crate::error::Error;
use crate::providers::{generic_status, s};
use crate::service::Service;

/// Slack's own error codes that mean the token itself was refused.
const AUTH_ERRORS: &[&str] = &[
    "not_authed",
    "invalid_auth",
    "token_revoked",
    "token_expired",
    "account_inactive",
];

/// How the Slack Web API reports failures: mostly HTTP 200 with `ok: false`.
pub struct SlackHooks;

impl ProviderHooks for SlackHooks {
    fn interpret(&self, status: StatusCode, _headers: &HeaderMap, body: &Value) -> Option<Error> {
        let code = s(body, "error");
        if !status.is_success() {
            let detail = if code.is_empty() { String::new() } else { code };
            return Some(generic_status("Slack", status, &detail));
        }
        match body.get("ok").and_then(Value::as_bool) {
            Some(true) => None,
            None => Some(
                Error::upstream("Slack's answer is not a Web API response (no `ok` field)")
                    .with_hint("check DEVCONTEXT_SLACK_API_URL; it should end in /api"),
            ),
            Some(false) => Some(slack_error(&code, body)),
        }
    }

    fn is_unauthorized(&self, status: StatusCode, body: &Value) -> bool {
        status == StatusCode::UNAUTHORIZED
            || (body.get("ok").and_then(Value::as_bool) == Some(false)
                && AUTH_ERRORS.contains(&s(body, "error").as_str()))
    }
}

fn slack_error(code: &str, body: &Value) -> Error {
    match code {
        "missing_scope" => {
            let needed = s(body, "needed");
            let mut scopes: Vec<String> = Service::Slack
                .default_scopes()
                .iter()
                .map(|s| s.to_string())
                .collect();
            for n in needed.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                if !scopes.iter().any(|s| s == n) {
                    scopes.push(n.to_string());
                }
            }
            Error::upstream(format!(
                "Slack refused: the token lacks the scope {}",
                if needed.is_empty() { "needed" } else { &needed }
            ))
            .with_hint(format!(
                "run `devcontext connect slack --scopes {}`",
                scopes.join(",")
            ))
        }
        "ratelimited" | "rate_limited" => Error::upstream("Slack is rate limiting (ratelimited)")
            .with_hint("wait a minute and try again"),
        "channel_not_found" => Error::upstream("Slack: channel not found (channel_not_found)")
            .with_hint("check the channel name; private channels need you to be a member"),
        "not_in_channel" => {
            Error::upstream("Slack: you are not a member of that channel (not_in_channel)")
                .with_hint("join the channel in Slack first")
        }
        "is_archived" => Error::upstream("Slack: the channel is archived (is_archived)"),
        c if AUTH_ERRORS.contains(&c) => Error::upstream(format!("Slack rejected the token ({c})")),
        "" => Error::upstream("Slack answered ok: false without an error code"),
        other => Error::upstream(format!("Slack API error: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ok_false_is_an_error_by_code() {
        let h = HeaderMap::new();
        let e = SlackHooks
            .interpret(
                StatusCode::OK,
                &h,
                &json!({"ok": false, "error": "missing_scope", "needed": "chat:write", "provided": "channels:read"}),
            )
            .unwrap();
        assert!(e.message.contains("chat:write"), "{}", e.message);
        let hint = e.hint.unwrap();
        assert!(
            hint.starts_with("run `devcontext connect slack --scopes channels:read,"),
            "{hint}"
        );
        assert!(hint.contains(",chat:write`"), "{hint}");

        let e = SlackHooks
            .interpret(
                StatusCode::OK,
                &h,
                &json!({"ok": false, "error": "channel_not_found"}),
            )
            .unwrap();
        assert!(e.message.contains("channel not found"));
        assert_eq!(e.exit_code(), 5);

        let invalid = json!({"ok": false, "error": "invalid_auth"});
        assert!(SlackHooks.interpret(StatusCode::OK, &h, &invalid).is_some());
        assert!(SlackHooks.is_unauthorized(StatusCode::OK, &invalid));
        assert!(!SlackHooks.is_unauthorized(
            StatusCode::OK,
            &json!({"ok": false, "error": "channel_not_found"})
        ));
        let e = SlackHooks
            .interpret(
                StatusCode::TOO_MANY_REQUESTS,
                &h,
                &json!({"ok": false, "error": "ratelimited"}),
            )
            .unwrap();
        assert!(e.message.contains("rate limiting"));
        let e = SlackHooks
            .interpret(StatusCode::OK, &h, &json!([1, 2]))
            .unwrap();
        assert!(e.message.contains("no `ok` field"));
        assert!(
            SlackHooks
                .interpret(StatusCode::OK, &h, &json!({"ok": true}))
                .is_none()
        );
    }
}
