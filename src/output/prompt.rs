//! Questions asked of the person at the terminal: on stderr, answered on
//! stdin, and only when both are terminals ([`Ui::can_ask`]). What a question
//! means (the approval preview and its answers, a setting's default) is
//! decided by the caller; this is where the asking happens.

use std::io::{BufRead, Read, Write};

use super::Ui;
use crate::error::{Error, Result};
use crate::sanitize;

/// Most bytes of one answer read: a person types a word, not megabytes.
pub const MAX_ANSWER: u64 = 256;

impl Ui {
    /// A person can be asked: stdin and stderr are both terminals.
    pub fn can_ask(&self) -> bool {
        self.stdin_tty && self.stderr_tty
    }

    /// The width of the terminal stderr is on, now (it may have been resized
    /// since the process started); 80 when it reports none.
    pub fn stderr_width(&self) -> usize {
        terminal_size::terminal_size_of(std::io::stderr())
            .map(|(w, _)| usize::from(w.0))
            .unwrap_or(super::DEFAULT_WIDTH)
    }

    /// Shows `rows` after a blank line, then `question`, and reads one
    /// answer (at most [`MAX_ANSWER`] bytes; empty at end of input).
    pub fn ask_after(&self, rows: &[String], question: &str) -> Result<String> {
        ask_on(
            &mut std::io::stdin().lock(),
            &mut std::io::stderr().lock(),
            rows,
            question,
        )
    }

    /// Writes `question` (`Auth0 domain [x.auth0.com]: `) and reads one line.
    pub fn question(&self, question: &str) -> Result<String> {
        let mut err = std::io::stderr().lock();
        write!(err, "{}", sanitize::line(question))?;
        err.flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line)
    }

    /// Reads a secret without echoing it.
    pub fn password(&self, question: &str) -> Result<String> {
        rpassword::prompt_password(question)
            .map_err(|e| Error::general(format!("cannot read the secret: {e}")))
    }
}

/// [`Ui::ask_after`] on the given streams.
pub fn ask_on(
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    rows: &[String],
    question: &str,
) -> Result<String> {
    writeln!(out)?;
    for row in rows {
        writeln!(out, "{}", sanitize::line(row))?;
    }
    write!(out, "{}", sanitize::line(question))?;
    out.flush()?;
    let mut answer = String::new();
    (&mut *input).take(MAX_ANSWER).read_line(&mut answer)?;
    Ok(answer)
}
