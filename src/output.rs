//! The one place that decides how results look: tables that fit the terminal,
//! colours (off with NO_COLOR, --no-color or when not a terminal), and JSON
//! with stable field names for scripts. Core modules never print.

use std::io::{IsTerminal, Write};

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use crate::error::{Error, Result};

/// How this process presents things.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub color: bool,
    pub stderr_tty: bool,
    pub stdout_tty: bool,
}

impl Ui {
    pub fn detect(no_color_flag: bool) -> Ui {
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let stderr_tty = std::io::stderr().is_terminal();
        let stdout_tty = std::io::stdout().is_terminal();
        Ui {
            color: !no_color_flag && !no_color_env && stderr_tty,
            stderr_tty,
            stdout_tty,
        }
    }

    /// Wraps `text` in an ANSI colour when colours are on.
    pub fn paint(&self, text: &str, color: Color) -> String {
        if !self.color {
            return text.to_string();
        }
        format!("\x1b[{}m{text}\x1b[0m", color.code())
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Color {
    Red,
    Green,
    Yellow,
    Blue,
    Purple,
    White,
    Dim,
}

impl Color {
    fn code(self) -> &'static str {
        match self {
            Color::Red => "31",
            Color::Green => "32",
            Color::Yellow => "33",
            Color::Blue => "34",
            Color::Purple => "35",
            Color::White => "97",
            Color::Dim => "2",
        }
    }
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| match e.io_error_kind() {
        // `| head` closed the pipe: not worth a message (main prints none).
        Some(kind) => write_error(kind.into()),
        None => Error::general(format!("cannot write JSON: {e}")),
    })?;
    writeln!(out).map_err(write_error)?;
    Ok(())
}

/// A table sized to the terminal (or unbounded when piped).
pub fn table(headers: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(headers.iter().copied());
    if !std::io::stdout().is_terminal() {
        table.set_content_arrangement(ContentArrangement::Disabled);
    }
    table
}

/// Prints a line on stdout.
pub fn line(text: impl std::fmt::Display) -> Result<()> {
    writeln!(std::io::stdout().lock(), "{text}").map_err(write_error)
}

/// A closed pipe (`| head`) is not an error worth a message.
pub fn write_error(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::general("output closed")
    } else {
        Error::general(format!("cannot write output: {e}"))
    }
}
