//! The loopback redirect target for browser flows (login and connect): a
//! one-shot HTTP listener on 127.0.0.1 that waits for the request to
//! `/callback` carrying this flow's `state`, answers the browser with a short
//! page, and hands back the query parameters. Any other local process can
//! reach the port: a request without the flow's `state`, or with another
//! one, gets a plain 400 page and is ignored (the flow keeps waiting), so it
//! can neither end the flow nor put its text on the terminal. Also opens the
//! browser ($BROWSER, else the platform opener).

use std::collections::HashMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::error::{Error, Result};

/// Ports registered as Allowed Callback URLs on the Auth0 application
/// (`http://127.0.0.1:<port>/callback`); the first free one is used.
pub const DEFAULT_PORTS: std::ops::RangeInclusive<u16> = 18484..=18489;

pub struct Callback {
    listener: TcpListener,
    pub redirect_uri: String,
}

impl Callback {
    /// Binds the listener. `port` 0 picks any free port (tests, emulator).
    pub async fn bind(port: Option<u16>) -> Result<Callback> {
        let candidates: Vec<u16> = match port {
            Some(p) => vec![p],
            None => DEFAULT_PORTS.collect(),
        };
        let mut last = None;
        for p in candidates {
            match TcpListener::bind(("127.0.0.1", p)).await {
                Ok(listener) => {
                    let port = listener.local_addr()?.port();
                    return Ok(Callback {
                        listener,
                        redirect_uri: format!("http://127.0.0.1:{port}/callback"),
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(Error::general(format!(
            "cannot listen for the browser's redirect on 127.0.0.1 ports {}-{}: {}",
            DEFAULT_PORTS.start(),
            DEFAULT_PORTS.end(),
            last.map(|e| e.to_string()).unwrap_or_default()
        ))
        .with_hint("free one of those ports, or set DEVCONTEXT_CALLBACK_PORT to a port registered in your Auth0 application"))
    }

    /// Waits for the redirect that carries `state` and returns its query
    /// parameters; requests without it are answered 400 and ignored.
    pub async fn wait(self, timeout: Duration, state: &str) -> Result<HashMap<String, String>> {
        tokio::time::timeout(timeout, self.accept_callback(state))
            .await
            .map_err(|_| {
                Error::general(format!(
                    "no answer from the browser within {} s",
                    timeout.as_secs()
                ))
                .with_hint("run the command again and finish the sign-in in the browser")
            })?
    }

    async fn accept_callback(self, state: &str) -> Result<HashMap<String, String>> {
        loop {
            let (mut socket, _) = self.listener.accept().await?;
            let mut buf = vec![0u8; 8192];
            let mut len = 0;
            // Read until the end of the request line and headers (or the buffer fills).
            while len < buf.len() {
                let n = match tokio::time::timeout(
                    Duration::from_secs(5),
                    socket.read(&mut buf[len..]),
                )
                .await
                {
                    Ok(Ok(n)) => n,
                    _ => break,
                };
                if n == 0 {
                    break;
                }
                len += n;
                if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            let request = String::from_utf8_lossy(&buf[..len]);
            let target = request
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("GET "))
                .and_then(|l| l.split(' ').next())
                .unwrap_or("");
            let Some(query) = target.strip_prefix("/callback") else {
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    )
                    .await;
                continue;
            };
            let params: HashMap<String, String> =
                url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
                    .into_owned()
                    .collect();
            if !state_matches(params.get("state").map(String::as_str), state) {
                tracing::debug!("ignored a callback request without this flow's state");
                let body = "This request does not belong to the sign-in devcontext is waiting for.";
                let response = format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
                continue;
            }
            let ok = !params.contains_key("error");
            let body = if ok {
                "<!doctype html><title>devcontext</title><p>Done. You can close this tab and return to the terminal.</p>"
            } else {
                "<!doctype html><title>devcontext</title><p>The request was not completed. Return to the terminal for details.</p>"
            };
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
            return Ok(params);
        }
    }
}

/// Compares the received `state` with the flow's in constant time.
fn state_matches(got: Option<&str>, expected: &str) -> bool {
    let Some(got) = got else { return false };
    if got.len() != expected.len() || expected.is_empty() {
        return false;
    }
    got.bytes()
        .zip(expected.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

/// The text of a browser-flow error (`error` and `error_description` from
/// the redirect) for the terminal: sanitised and cut to one short line.
pub fn describe_error(params: &HashMap<String, String>) -> String {
    let error = params.get("error").map(String::as_str).unwrap_or("");
    let description = params
        .get("error_description")
        .map(String::as_str)
        .unwrap_or("");
    let text = if description.is_empty() {
        error.to_string()
    } else {
        format!("{error}: {description}")
    };
    crate::sanitize::line(&crate::sanitize::truncate(&text, 300)).into_owned()
}

/// What opens a URL in the user's browser: `$BROWSER` (read through
/// [`crate::config::Env`]) when set, else the platform opener.
#[derive(Debug, Clone)]
pub struct Browser {
    command: String,
}

impl Browser {
    pub fn from_env(env: &crate::config::Env) -> Browser {
        let command = match env.get("BROWSER") {
            Some(b) if !b.trim().is_empty() => b,
            _ => {
                if cfg!(target_os = "macos") {
                    "open".into()
                } else if cfg!(windows) {
                    "explorer".into()
                } else {
                    "xdg-open".into()
                }
            }
        };
        Browser { command }
    }

    /// Opens `url`; false when nothing could be started.
    pub fn open(&self, url: &str) -> bool {
        std::process::Command::new(self.command.trim())
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_flows_state_matches() {
        assert!(state_matches(Some("abc123"), "abc123"));
        assert!(!state_matches(Some("abc124"), "abc123"));
        assert!(!state_matches(Some("abc"), "abc123"));
        assert!(!state_matches(None, "abc123"));
        assert!(!state_matches(Some(""), ""));
    }

    #[test]
    fn error_text_is_one_sanitised_short_line() {
        let params: HashMap<String, String> = [
            ("error".to_string(), "access_denied".to_string()),
            (
                "error_description".to_string(),
                format!("no\x1b]0;pwned\x07\r\nerror: forged {}", "x".repeat(500)),
            ),
        ]
        .into_iter()
        .collect();
        let text = describe_error(&params);
        assert!(!text.chars().any(|c| c.is_control()), "{text:?}");
        assert!(text.starts_with("access_denied: no"), "{text}");
        assert!(text.chars().count() < 400, "{}", text.len());
    }
}
