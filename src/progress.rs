//! What `ask` shows while it works, on stderr: on a terminal one spinner line
//! per tool call (coloured by service: GitHub white, Calendar blue, Slack
//! purple) that ends in its outcome; without a terminal one plain line per
//! finished call; with `--quiet` nothing. The answer itself streams to stdout.
//!
//! Tool names, outcomes and the answer come from the model and providers:
//! each passes through [`crate::sanitize`] before it is printed, on a
//! terminal and on a pipe alike (a log read later with `cat` must not run
//! escapes either); our colours are added after. Everything is drawn through
//! the [`Ui`]: its spinners, its status lines and its stdout.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::agent::{CallDecision, Observer, ToolCallRecord};
use crate::output::{Color, Ui};
use crate::sanitize;
use crate::service::Service;

/// How much progress to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Spinners (stderr is a terminal).
    Spinners,
    /// One plain line per finished call.
    Plain,
    /// Nothing (`--quiet`, `--json` on a pipe).
    Quiet,
}

impl Mode {
    pub fn pick(ui: &Ui, quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if ui.stderr_tty {
            Mode::Spinners
        } else {
            Mode::Plain
        }
    }
}

/// The colour of a service's lines.
pub fn service_color(service: Option<Service>) -> Color {
    match service {
        Some(Service::Github) => Color::White,
        Some(Service::Calendar) => Color::Blue,
        Some(Service::Slack) => Color::Purple,
        None => Color::Yellow,
    }
}

/// The outcome text of a finished call: "3 pull requests", "blocked: ...",
/// "not connected", "error: ...".
pub fn outcome(call: &ToolCallRecord) -> String {
    let error = call.error.as_deref().unwrap_or("failed");
    match call.decision {
        CallDecision::Granted => call.summary.clone().unwrap_or_else(|| "done".into()),
        CallDecision::Denied if error.starts_with("blocked") => error.to_string(),
        CallDecision::Denied => format!("blocked: {error}"),
        CallDecision::NotConnected => "not connected".into(),
        CallDecision::Repeated => format!("skipped: {error}"),
        CallDecision::Error => format!("error: {error}"),
    }
}

/// The plain line for a finished call: `github.review_requests: 3 pull requests (210 ms)`.
pub fn plain_line(call: &ToolCallRecord) -> String {
    format!(
        "{}: {} ({} ms)",
        sanitize::line(&call.tool),
        sanitize::line(&outcome(call)),
        call.duration_ms
    )
}

/// The final line of a spinner: `✓ github.review_requests  3 pull requests, 210 ms`.
pub fn final_line(ui: &Ui, call: &ToolCallRecord) -> String {
    let ok = call.decision == CallDecision::Granted;
    let mark = if ok {
        ui.paint("✓", Color::Green)
    } else {
        ui.paint("✗", Color::Red)
    };
    format!(
        "{mark} {}  {}, {} ms",
        ui.paint(&sanitize::line(&call.tool), service_color(call.service)),
        sanitize::line(&outcome(call)),
        call.duration_ms
    )
}

/// The stderr progress and stdout answer printer for `ask`.
pub struct Progress {
    ui: Ui,
    mode: Mode,
    /// Stream the answer to stdout as it arrives (off for `--json`).
    stream_answer: bool,
    multi: MultiProgress,
    bars: Mutex<HashMap<usize, ProgressBar>>,
    thinking: Mutex<Option<ProgressBar>>,
    needs_newline: Mutex<bool>,
}

impl Progress {
    pub fn new(ui: Ui, mode: Mode, stream_answer: bool) -> Progress {
        Progress {
            ui,
            mode,
            stream_answer,
            multi: ui.spinners(mode == Mode::Spinners),
            bars: Mutex::new(HashMap::new()),
            thinking: Mutex::new(None),
            needs_newline: Mutex::new(false),
        }
    }

    fn spinner(&self, message: String) -> ProgressBar {
        let style = ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ");
        let bar = self.multi.add(
            ProgressBar::new_spinner()
                .with_style(style)
                .with_message(message),
        );
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }

    /// A pause for the approval prompt: the spinners are hidden while it is
    /// on screen, so their redraws cannot move the cursor over the preview.
    pub fn pause(&self) -> crate::approval::Pause {
        let multi = self.multi.clone();
        std::sync::Arc::new(move |f: &mut dyn FnMut()| multi.suspend(f))
    }

    /// Ends the streamed answer with a newline if it did not end with one.
    pub fn finish(&self) {
        let needs_newline = self.needs_newline.lock().unwrap_or_else(|p| p.into_inner());
        if *needs_newline {
            let _ = self.ui.text("\n");
        }
    }
}

impl Observer for Progress {
    fn model_started(&self, step: u32) {
        if self.mode != Mode::Spinners {
            return;
        }
        let label = if step == 1 {
            "thinking".to_string()
        } else {
            format!("thinking (step {step})")
        };
        let bar = self.spinner(self.ui.paint(&label, Color::Dim));
        *self.thinking.lock().unwrap_or_else(|p| p.into_inner()) = Some(bar);
    }

    fn model_finished(&self, _step: u32) {
        if let Some(bar) = self
            .thinking
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
    }

    fn tool_started(&self, id: usize, call: &ToolCallRecord) {
        if self.mode != Mode::Spinners {
            return;
        }
        let bar = self.spinner(
            self.ui
                .paint(&sanitize::line(&call.tool), service_color(call.service)),
        );
        self.bars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, bar);
    }

    fn tool_finished(&self, id: usize, call: &ToolCallRecord) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Plain => self.ui.status(plain_line(call)),
            Mode::Spinners => {
                let bar = self
                    .bars
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&id);
                if let Some(bar) = bar {
                    bar.set_style(
                        ProgressStyle::with_template("{msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.finish_with_message(final_line(&self.ui, call));
                }
            }
        }
    }

    fn content(&self, delta: &str) {
        if !self.stream_answer {
            return;
        }
        // The thinking spinner must not interleave with the answer.
        self.model_finished(0);
        let mut needs_newline = self.needs_newline.lock().unwrap_or_else(|p| p.into_inner());
        // Untrusted: the Ui makes escapes and `\r` visible (a tab cannot
        // overwrite anything, so it stays white space).
        let delta = delta.replace('\t', "    ");
        let _ = self.ui.text(&delta);
        *needs_newline = !delta.ends_with('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(
        decision: CallDecision,
        error: Option<&str>,
        summary: Option<&str>,
    ) -> ToolCallRecord {
        ToolCallRecord {
            step: 1,
            service: Some(Service::Slack),
            tool: "slack.unread".into(),
            arguments: serde_json::json!({}),
            decision,
            duration_ms: 210,
            error: error.map(str::to_string),
            hint: None,
            summary: summary.map(str::to_string),
        }
    }

    #[test]
    fn lines_name_the_outcome() {
        let ui = Ui {
            color: false,
            table_color: false,
            stderr_tty: false,
            stdout_tty: false,
            stdin_tty: false,
            utc: true,
            width: 80,
        };
        let ok = record(CallDecision::Granted, None, Some("4 messages"));
        assert_eq!(plain_line(&ok), "slack.unread: 4 messages (210 ms)");
        assert_eq!(final_line(&ui, &ok), "✓ slack.unread  4 messages, 210 ms");
        let denied = record(CallDecision::Denied, Some("slack is revoked"), None);
        assert_eq!(
            final_line(&ui, &denied),
            "✗ slack.unread  blocked: slack is revoked, 210 ms"
        );
        assert_eq!(
            outcome(&record(
                CallDecision::Denied,
                Some("blocked: slack is revoked"),
                None
            )),
            "blocked: slack is revoked"
        );
        assert_eq!(
            outcome(&record(CallDecision::NotConnected, Some("x"), None)),
            "not connected"
        );
        let coloured = Ui { color: true, ..ui };
        assert!(final_line(&coloured, &ok).contains("\x1b[35mslack.unread"));

        // Untrusted names and outcomes: made visible, our colour still added.
        let mut hostile = record(CallDecision::Error, Some("boom\x1b]0;t\x07\r\n"), None);
        hostile.tool = "x\x1b[2Jy\u{202E}".into();
        assert_eq!(
            plain_line(&hostile),
            "x␛[2Jy<U+202E>: error: boom␛]0;t␇␍␊ (210 ms)"
        );
        let line = final_line(&coloured, &hostile);
        assert!(line.contains("\x1b[35mx␛[2Jy<U+202E>\x1b[0m"), "{line:?}");
        assert_eq!(
            line.matches('\x1b').count(),
            4,
            "only our colours: {line:?}"
        );
    }
}
