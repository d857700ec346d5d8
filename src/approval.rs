//! Approval of write actions (posting, commenting): on a terminal the person
//! sees exactly what will be sent where and answers (default no); without one
//! the write is refused unless `--yes` was given or a permission grant covers
//! it (the grant is checked before this, in the broker's gate).
//!
//! The preview is the terminal's trust boundary, so one renderer
//! ([`render`]) builds it for every write tool from typed fields of the
//! request that will really be sent ([`WritePreview`]); no tool formats its
//! own. Untrusted text can neither drive the terminal nor imitate the lines
//! that say where the write goes:
//! - every field value passes through [`crate::sanitize`]: escapes, `\r`,
//!   bidi and zero-width characters are shown, never interpreted;
//! - every row of a value starts with our own gutter (`name │ ` or `     │ `),
//!   rows are wrapped by us before the terminal would wrap them, so no text
//!   ever reaches the first column;
//! - each value shows at most [`PREVIEW_ROWS`] rows, then a marker in a
//!   column the text cannot reach (`┆`); `v` at the question shows it all;
//! - the method and URL, then the target, come last, directly above the
//!   question, on rows starting with `══`, which no value row can.
//!
//! This module decides what is shown and what the answers mean; the asking
//! itself (stderr out, stdin in) goes through the [`Ui`].

use std::sync::{Arc, Mutex};

use crate::error::Result;
use crate::output::Ui;
use crate::sanitize;

/// Most rows of one value shown before the question (`v` shows all).
pub const PREVIEW_ROWS: usize = 10;

/// Widest and narrowest layout, whatever the terminal says.
const MAX_WIDTH: usize = 160;
const MIN_WIDTH: usize = 40;

/// A write as the person is asked to approve it, built from the request the
/// broker will send: nothing here is shown that is not sent, and nothing is
/// sent that is not here.
#[derive(Debug, Clone, PartialEq)]
pub struct WritePreview {
    /// `slack.post_message`
    pub tool: String,
    /// Every field of the request body, in order, as sent (untrusted values).
    pub fields: Vec<(String, String)>,
    /// Where the write lands, as the request names it: `#general (C0123)`,
    /// `acme/web#12`.
    pub target: String,
    /// `POST`
    pub method: String,
    /// The full URL the request goes to.
    pub url: String,
}

/// What the user is asked to approve.
#[derive(Debug, Clone)]
pub struct ApprovalRequest {
    /// `slack.post_message`
    pub tool: String,
    /// Exactly what will be sent where.
    pub preview: WritePreview,
}

/// The answer, with how it was reached (for the audit).
#[derive(Debug, Clone)]
pub struct Approval {
    pub approved: bool,
    pub how: String,
}

pub trait Approver: Send + Sync {
    /// The answer when it does not depend on what is written (`--yes`, or no
    /// terminal to ask on), so the broker can stop a refused write before
    /// any exchange or request. None: the person must see the preview.
    fn answer_without_preview(&self) -> Option<Approval> {
        None
    }
    fn approve(&self, request: &ApprovalRequest) -> Result<Approval>;
}

/// Runs the closure it is given while nothing else draws on the terminal
/// (progress spinners are hidden, then redrawn), so no redraw can move the
/// cursor over the preview.
pub type Pause = Arc<dyn Fn(&mut dyn FnMut()) + Send + Sync>;

/// How this process answers approval requests.
pub enum Policy {
    /// `--yes`: approved by the flag.
    AssumeYes,
    /// No terminal to ask on: refused.
    NoTerminal,
    /// Ask on the terminal through the [`Ui`] (one prompt at a time), with
    /// other drawing paused.
    Prompt(Ui, Mutex<()>, Option<Pause>),
}

impl Policy {
    /// Picks the policy for this process: `--yes`, a prompt when the person
    /// can be asked ([`Ui::can_ask`]), otherwise refusal.
    pub fn new(ui: &Ui, assume_yes: bool) -> Policy {
        if assume_yes {
            Policy::AssumeYes
        } else if ui.can_ask() {
            Policy::Prompt(*ui, Mutex::new(()), None)
        } else {
            Policy::NoTerminal
        }
    }

    /// Pauses other terminal drawing while a question is on screen.
    pub fn with_pause(self, pause: Pause) -> Policy {
        match self {
            Policy::Prompt(ui, lock, _) => Policy::Prompt(ui, lock, Some(pause)),
            other => other,
        }
    }
}

impl Approver for Policy {
    fn answer_without_preview(&self) -> Option<Approval> {
        match self {
            Policy::AssumeYes => Some(Approval {
                approved: true,
                how: "approved by --yes".into(),
            }),
            Policy::NoTerminal => Some(Approval {
                approved: false,
                how: "refused: no terminal to ask for approval and no grant".into(),
            }),
            Policy::Prompt(..) => None,
        }
    }

    fn approve(&self, request: &ApprovalRequest) -> Result<Approval> {
        if let Some(answer) = self.answer_without_preview() {
            return Ok(answer);
        }
        let Policy::Prompt(ui, lock, pause) = self else {
            unreachable!("only Prompt needs a preview")
        };
        let _one_at_a_time = lock.lock().unwrap_or_else(|p| p.into_inner());
        let width = ui.stderr_width();
        let mut answer = None;
        let mut question = || {
            answer = Some(ask(&request.preview, width, &mut |rows| {
                ui.ask_after(rows, QUESTION)
            }));
        };
        match pause {
            Some(pause) => pause(&mut question),
            None => question(),
        }
        let yes = answer.unwrap_or(Ok(false))?;
        Ok(Approval {
            approved: yes,
            how: if yes {
                "approved at the prompt".into()
            } else {
                "refused at the prompt".into()
            },
        })
    }
}

/// The question under every preview.
pub const QUESTION: &str = "Allow this once? [y/N, v = view the whole text] ";

/// Shows the preview through `prompt` (which shows the rows, asks
/// [`QUESTION`] and returns the answer) until the answer is yes or no:
/// `y`/`yes` is yes, `v`/`view` shows every row of every value and asks
/// again, anything else (or end of input) is no.
pub fn ask(
    preview: &WritePreview,
    width: usize,
    prompt: &mut dyn FnMut(&[String]) -> Result<String>,
) -> Result<bool> {
    let mut full = false;
    loop {
        let answer = prompt(&render(preview, width, full))?;
        match answer.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => return Ok(true),
            "v" | "view" => full = true,
            _ => return Ok(false),
        }
    }
}

/// The preview as terminal rows, each narrower than `width` columns (so the
/// terminal never wraps one): the values (at most [`PREVIEW_ROWS`] rows each
/// unless `full`), then the method and URL, then the target.
pub fn render(p: &WritePreview, width: usize, full: bool) -> Vec<String> {
    // One column spare: writing the last column leaves some terminals in a
    // pending-wrap state.
    let width = width.clamp(MIN_WIDTH, MAX_WIDTH) - 1;
    let mut rows = vec![format!("{} wants to write:", sanitize::line(&p.tool))];
    let label_width = p
        .fields
        .iter()
        .map(|(name, _)| columns(&sanitize::line(name)))
        .max()
        .unwrap_or(0)
        .clamp(4, 16);
    let blank = " ".repeat(label_width);
    let text_width = width
        .saturating_sub(columns(&format!("  {blank} │ ")))
        .max(10);
    for (name, value) in &p.fields {
        let name = sanitize::line(name);
        let name: String = clip_columns(&name, label_width);
        let wrapped = wrap(value, text_width);
        let shown = if full {
            wrapped.len()
        } else {
            wrapped.len().min(PREVIEW_ROWS)
        };
        if wrapped.is_empty() {
            rows.push(format!("  {name:>label_width$} │ "));
        }
        for (i, row) in wrapped.iter().take(shown).enumerate() {
            let label = if i == 0 { &name } else { &blank };
            rows.push(format!("  {label:>label_width$} │ {row}"));
        }
        if shown < wrapped.len() {
            let marker = format!("  {blank} ┆ ");
            let note = format!(
                "(+{} more lines, {} characters in all; answer v to view them)",
                wrapped.len() - shown,
                value.chars().count()
            );
            push_wrapped(&mut rows, &marker, &marker, &note, width);
        }
    }
    let request = format!("{} {}", sanitize::line(&p.method), sanitize::line(&p.url));
    push_wrapped(&mut rows, "══ ", "   ", &request, width);
    let target = sanitize::line(&p.target);
    push_wrapped(&mut rows, "══ to ", "      ", &target, width);
    rows
}

/// Rows of our own: `first` then the (sanitised) text, wrapped under `next`.
fn push_wrapped(rows: &mut Vec<String>, first: &str, next: &str, text: &str, width: usize) {
    let room = width
        .saturating_sub(columns(first).max(columns(next)))
        .max(10);
    for (i, c) in chunk(text, room).iter().enumerate() {
        rows.push(format!("{}{c}", if i == 0 { first } else { next }));
    }
}

/// A value's rows: each line (split at `\n`) sanitised (`\r`, escapes and
/// every other control made visible) and cut into pieces of `width` columns.
fn wrap(value: &str, width: usize) -> Vec<String> {
    let mut rows = Vec::new();
    for line in value.split('\n') {
        rows.extend(chunk(&sanitize::line(line), width));
    }
    if value.is_empty() {
        rows.clear();
    }
    rows
}

/// Cuts sanitised text into pieces of at most `width` columns (at least one
/// piece, possibly empty).
fn chunk(text: &str, width: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut used = 0;
    for c in text.chars() {
        let w = char_columns(c);
        if used + w > width {
            out.push(String::new());
            used = 0;
        }
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
        used += w;
    }
    out
}

/// An upper bound of the columns a terminal gives `c`: ASCII is one, and
/// anything else is counted as two (wide, or ambiguous in CJK locales), so
/// a row we built is never wider on screen than we think.
fn char_columns(c: char) -> usize {
    if c.is_ascii() { 1 } else { 2 }
}

fn columns(text: &str) -> usize {
    text.chars().map(char_columns).sum()
}

fn clip_columns(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        used += char_columns(c);
        if used > width {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_fill_each_row_exactly_and_never_overflow_it() {
        assert_eq!(chunk("abcdef", 3), ["abc", "def"]);
        assert_eq!(chunk("abcd", 3), ["abc", "d"]);
        // A wide character that would cross the edge starts the next row.
        assert_eq!(chunk("aé", 2), ["a", "é"]);
        assert_eq!(chunk("", 5), [""]);
    }

    #[test]
    fn labels_are_clipped_to_their_columns() {
        assert_eq!(clip_columns("channel", 4), "chan");
        assert_eq!(clip_columns("aéb", 3), "aé");
        assert_eq!(clip_columns("ab", 5), "ab");
    }

    fn preview(text: &str) -> WritePreview {
        WritePreview {
            tool: "slack.post_message".into(),
            fields: vec![
                ("channel".into(), "C0GENERAL1".into()),
                ("text".into(), text.into()),
            ],
            target: "#general (C0GENERAL1)".into(),
            method: "POST".into(),
            url: "https://slack.com/api/chat.postMessage".into(),
        }
    }

    /// Rows that our own layout starts: the heading, value rows, markers, trailer.
    fn assert_layout(rows: &[String], width: usize) {
        assert_eq!(rows[0], "slack.post_message wants to write:");
        let n = rows.len();
        let request = rows.iter().position(|r| r.starts_with("══ POST")).unwrap();
        assert!(
            rows[request..n - 1]
                .concat()
                .replace(' ', "")
                .ends_with("https://slack.com/api/chat.postMessage"),
            "{rows:#?}"
        );
        assert_eq!(rows[n - 1], "══ to #general (C0GENERAL1)");
        for row in &rows[1..request] {
            assert!(
                row.starts_with("  ") && (row.contains(" │ ") || row.contains(" ┆ ")),
                "a value row outside the gutter: {row:?}"
            );
            assert!(!row.starts_with("══"));
        }
        for row in rows {
            assert!(columns(row) < width.max(MIN_WIDTH), "{row:?} is too wide");
            assert!(!row.chars().any(sanitize::is_unsafe), "{row:?}");
        }
    }

    #[test]
    fn a_short_message_is_shown_whole_with_the_target_last() {
        let rows = render(&preview("standup in 5"), 80, false);
        assert_eq!(
            rows,
            [
                "slack.post_message wants to write:",
                "  channel │ C0GENERAL1",
                "     text │ standup in 5",
                "══ POST https://slack.com/api/chat.postMessage",
                "══ to #general (C0GENERAL1)",
            ]
        );
    }

    #[test]
    fn forged_lines_stay_inside_the_gutter() {
        let hostile = "hi\nchannel: #dana-notes\n══ to #dana-notes (C0DANA)\r══ to #x\x1b[2A\x1b[2K\
                       \x1b]0;title\x07\u{202E}seton-anad#";
        for width in [80, 120] {
            let rows = render(&preview(hostile), width, false);
            assert_layout(&rows, width);
            assert_eq!(rows.iter().filter(|r| r.starts_with("══ to")).count(), 1);
            assert!(rows.iter().any(|r| r.contains("│ channel: #dana-notes")));
            let shown: String = rows
                .iter()
                .filter_map(|r| r.split_once(" │ ").map(|(_, text)| text))
                .collect();
            assert!(shown.contains("␍══ to #x␛[2A␛[2K␛]0;title␇<U+202E>seton"));
        }
    }

    #[test]
    fn long_text_is_cut_to_ten_rows_and_v_shows_it_all() {
        let text: String = (1..=300).map(|i| format!("line {i}\n")).collect();
        let rows = render(&preview(&text), 80, false);
        assert_layout(&rows, 80);
        let text_rows = rows.iter().filter(|r| r.contains(" │ line ")).count();
        assert_eq!(text_rows, PREVIEW_ROWS);
        let marker = rows.iter().find(|r| r.contains(" ┆ ")).unwrap();
        assert!(
            marker.contains(&format!(
                "(+291 more lines, {} characters",
                text.chars().count()
            )),
            "{marker}"
        );
        let all = render(&preview(&text), 80, true);
        assert_layout(&all, 80);
        assert!(all.iter().any(|r| r.ends_with("│ line 300")));
        assert!(!all.iter().any(|r| r.contains(" ┆ ")));
    }

    #[test]
    fn one_endless_line_is_wrapped_by_us_and_counted_in_rows() {
        let text = "a".repeat(5000) + &"界".repeat(3000);
        for width in [20, 80, 120, 500] {
            let rows = render(&preview(&text), width, false);
            assert_layout(&rows, width.clamp(MIN_WIDTH, MAX_WIDTH));
            // heading, channel, ten rows, the marker and the trailer (wrapped at 40 columns)
            assert!(rows.len() <= 1 + 1 + PREVIEW_ROWS + 3 + 3, "{}", rows.len());
        }
    }

    #[test]
    fn the_answer_y_approves_v_shows_all_then_asks_again_and_anything_else_refuses() {
        let text: String = (1..=30).map(|i| format!("line {i}\n")).collect();
        let p = preview(&text);
        let run = |input: &str| {
            let (mut input, mut out) = (input.as_bytes(), Vec::new());
            let yes = ask(&p, 80, &mut |rows| {
                crate::output::prompt::ask_on(&mut input, &mut out, rows, QUESTION)
            })
            .unwrap();
            (yes, String::from_utf8(out).unwrap())
        };
        let (yes, shown) = run("y\n");
        assert!(yes);
        assert!(!shown.contains("line 30"));
        let (yes, shown) = run("v\nyes\n");
        assert!(yes);
        assert!(shown.contains("│ line 30"));
        assert_eq!(shown.matches(QUESTION).count(), 2);
        assert!(shown.trim_end().ends_with(QUESTION.trim_end()));
        for no in ["\n", "n\n", "", "yy\n", "Y es\n"] {
            assert!(!run(no).0, "{no:?}");
        }
        assert!(!run(&"y".repeat(1000)).0);
    }
}
