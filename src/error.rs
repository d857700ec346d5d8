//! One error type for the whole program: what went wrong, what to do about it,
//! and which documented exit code the process ends with.
//!
//! Every failure a user can meet is turned into an [`Error`] with a message and,
//! where there is something to do, a hint ("run `devcontext connect slack`").
//! `main` prints it as a single line and exits with [`Error::exit_code`].

use std::fmt;

/// The documented exit codes (README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitCode {
    /// 1: anything not covered below.
    Error,
    /// 2: bad command line, bad config or bad input.
    Usage,
    /// 3: no usable Auth0 session.
    LoginRequired,
    /// 4: the service is not connected (or its connection is broken).
    NotConnected,
    /// 5: Auth0 or a provider answered with an error.
    Upstream,
    /// 6: a server could not be reached.
    Network,
    /// 7: blocked by a permission or by a refused approval.
    Blocked,
    /// 8: `ask` reached `--max-steps` before the model answered.
    StepLimit,
    /// 9: a model reply went over a bound (size, tool calls or its deadline).
    ModelLimit,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Error => 1,
            ExitCode::Usage => 2,
            ExitCode::LoginRequired => 3,
            ExitCode::NotConnected => 4,
            ExitCode::Upstream => 5,
            ExitCode::Network => 6,
            ExitCode::Blocked => 7,
            ExitCode::StepLimit => 8,
            ExitCode::ModelLimit => 9,
        }
    }
}

/// A failure with a one-line message, an optional hint and an exit code.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ExitCode,
    pub message: String,
    pub hint: Option<String>,
    /// What callers act on besides the exit code.
    cause: Option<Cause>,
}

/// A failure some caller acts on by kind, never by reading its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The reader of our output went away (`| head`): see [`Error::output_closed`].
    OutputClosed,
    /// A write the person (or the approval policy) did not approve.
    NotApproved,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ExitCode, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
            cause: None,
        }
    }

    /// Whoever read our output closed it (`devcontext audit | head`): the
    /// command stops with exit 1 and no message, since nobody is reading.
    pub fn output_closed() -> Self {
        Self::general("output closed").because(Cause::OutputClosed)
    }

    /// True for [`Error::output_closed`]: `main` prints no line for it.
    pub fn is_output_closed(&self) -> bool {
        self.cause == Some(Cause::OutputClosed)
    }

    /// The same error, marked with what caused it.
    pub fn because(mut self, cause: Cause) -> Self {
        self.cause = Some(cause);
        self
    }

    /// What caused it, where a caller acts on that.
    pub fn cause(&self) -> Option<Cause> {
        self.cause
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn general(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Error, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Usage, message)
    }

    pub fn blocked(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Blocked, message)
    }

    pub fn upstream(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Upstream, message)
    }

    pub fn network(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Network, message)
    }

    pub fn login_required(message: impl Into<String>) -> Self {
        Self::new(ExitCode::LoginRequired, message).with_hint("run `devcontext login`")
    }

    pub fn not_connected(message: impl Into<String>) -> Self {
        Self::new(ExitCode::NotConnected, message)
    }

    pub fn exit_code(&self) -> i32 {
        self.kind.code()
    }

    /// The same error with credential-shaped text in its message masked, for
    /// messages that carry upstream text (see [`crate::redact`]).
    pub fn redacted(mut self) -> Self {
        self.message = crate::redact::redact(&self.message);
        self
    }

    /// Prefixes the message with context ("reading /x/config.toml: ...").
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line, always: newlines inside messages coming from elsewhere are
        // folded, and every other control (escapes, `\r`, bidi) made visible:
        // messages quote providers, the model and the network.
        let message = one_line(&self.message);
        match &self.hint {
            Some(hint) => write!(f, "{message} (hint: {})", one_line(hint)),
            None => f.write_str(&message),
        }
    }
}

impl std::error::Error for Error {}

fn one_line(text: &str) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::sanitize::line(&folded).into_owned()
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::general(format!("database error: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::general(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_with_hint() {
        let e = Error::blocked("slack is revoked\nfor the assistant")
            .with_hint("run `devcontext perms grant slack`");
        assert_eq!(
            e.to_string(),
            "slack is revoked for the assistant (hint: run `devcontext perms grant slack`)"
        );
        assert_eq!(e.exit_code(), 7);
        // Text from elsewhere cannot drive the terminal through an error line.
        let e = Error::upstream("Slack API error: x\x1b]0;owned\x07\x1b[2K\u{202E}y")
            .with_hint("retry\x1b[1A");
        assert_eq!(
            e.to_string(),
            "Slack API error: x␛]0;owned␇␛[2K<U+202E>y (hint: retry␛[1A)"
        );
    }

    #[test]
    fn redacted_masks_echoed_tokens_and_keeps_the_rest() {
        // Built at run time so no token-shaped string is committed.
        let token = format!("{}emu{}", "ya29.", "AbCdEf0123456789");
        let e = Error::upstream(format!(
            "Google Calendar refused (HTTP 403): Token {token} lacks a scope"
        ))
        .with_hint("run `devcontext connect google`")
        .redacted();
        assert!(!e.to_string().contains(&token), "{e}");
        assert!(
            e.message.starts_with("Google Calendar refused (HTTP 403)"),
            "{e}"
        );
        assert_eq!(e.hint.as_deref(), Some("run `devcontext connect google`"));
        assert_eq!(e.exit_code(), 5);
    }
}
