//! The one owner of stdout and stderr: [`Ui`] (as jj has one). Commands hand
//! it data and it decides how that looks: tables fitted to the terminal
//! ([`Table`]), colours (off with NO_COLOR, --no-color or when not a
//! terminal), times in the local zone, JSON with stable field names for
//! scripts, status lines and progress on stderr, and questions asked on the
//! terminal ([`prompt`]). Every line of text it prints passes through
//! [`crate::sanitize`] first; our own colours are added after. Core modules
//! never print; they return data, or take a callback the command turns
//! into Ui calls.
//!
//! A reader that goes away (`| head`) is [`Error::output_closed`]: the
//! command stops, and `main` prints no message for it.

pub mod prompt;
mod table;

use std::io::{IsTerminal, Write};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use table::{Cell, Color, Column, Kind, Style, Table, Times, cut, wrap};

use crate::config::Env;
use crate::error::{Error, Result};
use crate::sanitize;

/// Columns assumed when the terminal reports no size (0×0 under `script`, cron).
pub const DEFAULT_WIDTH: usize = 80;

/// How this process presents things, and the door every byte goes out by.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    /// Colours on stderr (progress, prompts).
    pub color: bool,
    /// Colours in stdout tables.
    pub table_color: bool,
    pub stderr_tty: bool,
    pub stdout_tty: bool,
    /// Answers can be read from a person (stdin is a terminal).
    pub stdin_tty: bool,
    /// Human times in UTC instead of the local zone (`--utc`).
    pub utc: bool,
    /// The width of the terminal stdout is on (80 when it reports none).
    pub width: usize,
}

impl Ui {
    /// Looks at the streams this process was given and at `NO_COLOR`.
    pub fn detect(env: &Env, no_color_flag: bool, utc: bool) -> Ui {
        let no_color_env = env.get("NO_COLOR").is_some();
        let stderr_tty = std::io::stderr().is_terminal();
        let stdout_tty = std::io::stdout().is_terminal();
        let width = terminal_size::terminal_size_of(std::io::stdout())
            .map(|(w, _)| w.0 as usize)
            .filter(|w| *w > 0)
            .unwrap_or(DEFAULT_WIDTH);
        Ui {
            color: !no_color_flag && !no_color_env && stderr_tty,
            table_color: !no_color_flag && !no_color_env && stdout_tty,
            stderr_tty,
            stdout_tty,
            stdin_tty: std::io::stdin().is_terminal(),
            utc,
            width,
        }
    }

    /// Wraps `text` in an ANSI colour when colours are on (stderr lines only;
    /// table cells are coloured through [`Cell::color`]). The text must be
    /// sanitised already: what comes back is printed as it is.
    pub fn paint(&self, text: &str, color: Color) -> String {
        if !self.color {
            return text.to_string();
        }
        format!("\x1b[{}m{text}\x1b[0m", color.code())
    }

    /// How tables and times look on stdout.
    pub fn style(&self, now: DateTime<Utc>) -> Style {
        Style {
            tty: self.stdout_tty,
            width: self.width,
            color: self.table_color,
            times: Times { utc: self.utc, now },
        }
    }

    // --- stdout: the result ---

    /// One line on stdout; any control in it (newlines too) made visible.
    pub fn line(&self, text: impl std::fmt::Display) -> Result<()> {
        let text = text.to_string();
        writeln!(std::io::stdout().lock(), "{}", sanitize::line(&text)).map_err(write_error)
    }

    /// A `label  value` line on stdout (the label padded to 12 columns). On
    /// a terminal a value too long for the row wraps at spaces under its own
    /// column, not wherever the terminal would cut it; piped, one line.
    pub fn field(&self, label: &str, value: impl std::fmt::Display) -> Result<()> {
        const VALUE_COLUMN: usize = 13;
        let value = sanitize::line(&value.to_string()).into_owned();
        let rows = if self.stdout_tty {
            wrap(&value, self.width.saturating_sub(VALUE_COLUMN).max(20))
        } else {
            vec![value]
        };
        let mut out = std::io::stdout().lock();
        for (i, row) in rows.iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            writeln!(out, "{label:<12} {row}").map_err(write_error)?;
        }
        Ok(())
    }

    /// Text on stdout as it is given (no newline added), its line breaks kept
    /// and every other control made visible.
    pub fn text(&self, text: &str) -> Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(sanitize::text(text).as_bytes())
            .and_then(|()| out.flush())
            .map_err(write_error)
    }

    /// `value` as pretty JSON on stdout.
    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, value).map_err(json_error)?;
        writeln!(out).map_err(write_error)
    }

    /// A JSON array (or NDJSON) written item by item, for listings too long
    /// to hold in memory.
    pub fn json_list(&self, ndjson: bool) -> Result<JsonList> {
        JsonList::start(ndjson)
    }

    /// `table` on stdout, fitted to this terminal (or tab-separated when
    /// piped), its times relative to `now`. An empty table prints nothing.
    pub fn table(&self, table: &Table, now: DateTime<Utc>) -> Result<()> {
        let text = table.render(&self.style(now));
        if text.is_empty() {
            return Ok(());
        }
        writeln!(std::io::stdout().lock(), "{text}").map_err(write_error)
    }

    /// A clap command's long help on stdout (clap styles it for the terminal).
    pub fn help(&self, cmd: &mut clap::Command) -> Result<()> {
        cmd.print_long_help().map_err(write_error)
    }

    /// Stdout itself, for generated text written by a library (completions,
    /// the man page). Nothing in it comes from outside the program.
    pub fn stdout(&self) -> std::io::StdoutLock<'static> {
        std::io::stdout().lock()
    }

    // --- stderr: what happens meanwhile ---

    /// One status line on stderr (sanitised: it may quote Auth0's URLs).
    pub fn status(&self, text: impl std::fmt::Display) {
        let text = text.to_string();
        eprintln!("{}", sanitize::line(&text));
    }

    /// One status line on stderr ending in a highlighted value
    /// (`and confirm this code: ABCD-EFGH`); both parts sanitised.
    pub fn status_highlight(&self, text: &str, value: &str, color: Color) {
        eprintln!(
            "{}{}",
            sanitize::line(text),
            self.paint(&sanitize::line(value), color)
        );
    }

    /// `warning: ...` on stderr.
    pub fn warn(&self, text: impl std::fmt::Display) {
        self.status(format_args!("warning: {text}"));
    }

    /// One line on stderr saying a list was cut by a limit and how to see it
    /// all: `showing 50 of 218 events (--limit 0 for all)`; nothing when
    /// no more than `shown` exist.
    pub fn truncation_note(&self, shown: u64, total: Total, what: &str, how: &str) {
        if total.at_least() > shown {
            self.status(format_args!("showing {shown} of {total} {what} ({how})"));
        }
    }

    /// Spinners on stderr (hidden unless `shown`), for work in parallel.
    pub fn spinners(&self, shown: bool) -> indicatif::MultiProgress {
        indicatif::MultiProgress::with_draw_target(if shown {
            indicatif::ProgressDrawTarget::stderr()
        } else {
            indicatif::ProgressDrawTarget::hidden()
        })
    }

    /// A `done/total` counter on stderr, drawn from `template`
    /// (`exporting {pos}/{len} events`).
    pub fn counter(&self, template: &str) -> Counter {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Counter(bar)
    }
}

/// A counter on stderr ([`Ui::counter`]).
pub struct Counter(indicatif::ProgressBar);

impl Counter {
    /// What the work calls after each step: (done, total).
    pub fn updater(&self) -> Box<dyn Fn(u64, i64) + Send + Sync> {
        let bar = self.0.clone();
        Box::new(move |done: u64, total: i64| {
            bar.set_length(total.max(0) as u64);
            bar.set_position(done);
        })
    }

    /// Removes the counter from the screen.
    pub fn finish(self) {
        self.0.finish_and_clear();
    }
}

/// A JSON array, or NDJSON, written to stdout as items come ([`Ui::json_list`]).
pub struct JsonList {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    ndjson: bool,
    first: bool,
}

impl JsonList {
    fn start(ndjson: bool) -> Result<JsonList> {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        if !ndjson {
            out.write_all(b"[").map_err(write_error)?;
        }
        Ok(JsonList {
            out,
            ndjson,
            first: true,
        })
    }

    /// One item: a line of NDJSON, or an element of the array.
    pub fn item<T: Serialize>(&mut self, value: &T) -> Result<()> {
        if self.ndjson {
            serde_json::to_writer(&mut self.out, value).map_err(json_error)?;
            return self.out.write_all(b"\n").map_err(write_error);
        }
        self.out
            .write_all(if self.first { b"\n  " } else { b",\n  " })
            .map_err(write_error)?;
        self.first = false;
        serde_json::to_writer(&mut self.out, value).map_err(json_error)
    }

    /// Closes the array and flushes.
    pub fn finish(mut self) -> Result<()> {
        if !self.ndjson {
            self.out
                .write_all(if self.first { b"]\n" } else { b"\n]\n" })
                .map_err(write_error)?;
        }
        self.out.flush().map_err(write_error)
    }
}

/// How many items a cut list stood for: exactly, or more than a count
/// that was not taken further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exactly(u64),
    MoreThan(u64),
}

impl Total {
    /// The count to compare with what was shown (a lower bound for `MoreThan`).
    pub fn at_least(self) -> u64 {
        match self {
            Total::Exactly(n) => n,
            Total::MoreThan(n) => n + 1,
        }
    }
}

impl std::fmt::Display for Total {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Total::Exactly(n) => write!(f, "{n}"),
            Total::MoreThan(n) => write!(f, "more than {n}"),
        }
    }
}

fn json_error(e: serde_json::Error) -> Error {
    if e.is_io() {
        // `| head` closed the pipe: not worth a message (main prints none).
        write_error(e.into())
    } else {
        Error::general(format!("cannot write JSON: {e}"))
    }
}

/// A closed pipe (`| head`) is [`Error::output_closed`], not worth a message.
pub fn write_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::output_closed()
    } else {
        Error::general(format!("cannot write output: {e}"))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_total_reads_as_a_count_or_a_bound() {
        assert_eq!(Total::Exactly(218).to_string(), "218");
        assert_eq!(Total::MoreThan(1000).to_string(), "more than 1000");
        assert_eq!(Total::MoreThan(1000).at_least(), 1001);
        assert_eq!(Total::Exactly(50).at_least(), 50);
    }

    use super::*;

    #[test]
    fn a_closed_pipe_is_its_own_kind_and_other_failures_are_reported() {
        let closed = write_error(std::io::ErrorKind::BrokenPipe.into());
        assert!(closed.is_output_closed());
        assert_eq!(closed.exit_code(), 1);
        let other = write_error(std::io::Error::other("disk full"));
        assert!(!other.is_output_closed());
        assert_eq!(other.message, "cannot write output: disk full");
        assert!(!Error::general("output closed").is_output_closed());
    }
}
