//! How the Google Calendar API reports failures (`{"error": {code, message,
//! errors, status}}`), with the scope to grant when it says one is missing.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::broker::ProviderHooks;
use crate::error::Error;
use crate::providers::{generic_status, opt_s, s, truncate};

/// The read-only scope the calendar tools need.
pub const READ_SCOPE: &str = "https://www.googleapis.com/auth/calendar.readonly";

/// How the Google Calendar API reports failures (`{"error": {code, message, errors, status}}`).
pub struct CalendarHooks;

impl ProviderHooks for CalendarHooks {
    fn interpret(&self, status: StatusCode, _headers: &HeaderMap, body: &Value) -> Option<Error> {
        if status.is_success() {
            return None;
        }
        let err = body.get("error").cloned().unwrap_or(Value::Null);
        let message = opt_s(&err, "message")
            .or_else(|| {
                body.get("error")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_default();
        let reasons: Vec<String> = err
            .get("errors")
            .and_then(Value::as_array)
            .map(|es| es.iter().map(|e| s(e, "reason")).collect())
            .unwrap_or_default();
        let gstatus = s(&err, "status");
        let has = |r: &str| reasons.iter().any(|x| x == r);
        Some(match status.as_u16() {
            401 => Error::upstream(format!(
                "Google rejected the token (HTTP 401){}",
                colon(&message)
            )),
            403 if has("insufficientPermissions")
                || gstatus == "PERMISSION_DENIED" && message.to_lowercase().contains("scope")
                || message
                    .to_lowercase()
                    .contains("insufficient authentication scopes") =>
            {
                Error::upstream(format!(
                    "Google Calendar refused: the token lacks the scope {READ_SCOPE}"
                ))
                .with_hint(format!(
                    "run `devcontext connect google --scopes openid,profile,{READ_SCOPE}`"
                ))
            }
            403 if has("rateLimitExceeded") || has("userRateLimitExceeded") => Error::upstream(
                format!("Google Calendar rate limit reached{}", colon(&message)),
            )
            .with_hint("wait a minute and try again"),
            403 => Error::upstream(format!(
                "Google Calendar refused the request (HTTP 403){}",
                colon(&message)
            )),
            404 => Error::upstream(format!(
                "Google Calendar: not found (HTTP 404){}",
                colon(&message)
            ))
            .with_hint("the primary calendar of the connected Google account was not found"),
            400 => Error::upstream(format!(
                "Google Calendar rejected the request (HTTP 400){}",
                colon(&message)
            )),
            _ => generic_status("Google Calendar", status, &message),
        })
    }
}

fn colon(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {}", truncate(message, 200))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn google_errors_name_the_missing_scope() {
        let body = json!({"error": {"code": 403, "message": "Request had insufficient authentication scopes.",
            "errors": [{"reason": "insufficientPermissions"}], "status": "PERMISSION_DENIED"}});
        let e = CalendarHooks
            .interpret(StatusCode::FORBIDDEN, &HeaderMap::new(), &body)
            .unwrap();
        assert!(e.message.contains(READ_SCOPE));
        assert!(
            e.hint
                .unwrap()
                .contains("devcontext connect google --scopes")
        );
        let body = json!({"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}});
        let e = CalendarHooks
            .interpret(StatusCode::UNAUTHORIZED, &HeaderMap::new(), &body)
            .unwrap();
        assert!(e.message.contains("401"));
        let e = CalendarHooks
            .interpret(
                StatusCode::TOO_MANY_REQUESTS,
                &HeaderMap::new(),
                &Value::Null,
            )
            .unwrap();
        assert!(e.message.contains("rate limiting"));
        assert!(
            CalendarHooks
                .interpret(StatusCode::OK, &HeaderMap::new(), &json!({}))
                .is_none()
        );
    }
}
