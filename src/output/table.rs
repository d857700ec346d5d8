//! Tables and times as a person reads them, following gh's conventions. On a
//! terminal: fitted to its width (a 0×0 or unknown size counts as 80
//! columns), no rule lines, each row one line with cells cut with `…` rather
//! than wrapped, and at narrow widths the least important columns (each
//! column declares a priority) dropped first. Piped: one tab-separated line
//! per row, no header, nothing cut, times in RFC 3339 UTC. Every cell passes
//! through [`crate::sanitize::line`] before it is styled, and colours come
//! from comfy-table's cell styling, never from escape codes inside cell text.

use chrono::{DateTime, Datelike, Local, TimeZone, Utc};
use comfy_table::{Attribute, Cell as CtCell, ColumnConstraint, ContentArrangement, Row, Width};
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    pub(super) fn code(self) -> &'static str {
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

    fn comfy(self) -> comfy_table::Color {
        match self {
            Color::Red => comfy_table::Color::DarkRed,
            Color::Green => comfy_table::Color::DarkGreen,
            Color::Yellow => comfy_table::Color::DarkYellow,
            Color::Blue => comfy_table::Color::DarkBlue,
            Color::Purple => comfy_table::Color::DarkMagenta,
            Color::White => comfy_table::Color::White,
            Color::Dim => comfy_table::Color::DarkGrey,
        }
    }
}

/// How human times are written.
#[derive(Debug, Clone, Copy)]
pub struct Times {
    pub utc: bool,
    pub now: DateTime<Utc>,
}

impl Times {
    /// `09:30` today, `Mon 09:30` within six days either side, else
    /// `2026-11-02 14:05`; in the local zone unless `--utc`.
    pub fn short(&self, t: DateTime<Utc>) -> String {
        if self.utc {
            short_in(&Utc, t, self.now)
        } else {
            short_in(&Local, t, self.now)
        }
    }

    /// [`Times::short`] of an RFC 3339 text; other text is returned as it is
    /// (an all-day date, a provider's odd value).
    pub fn short_text(&self, text: &str) -> String {
        if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
            return self.short(t.with_timezone(&Utc));
        }
        // A bare date (an all-day event): `today`, `Wed` this week, else as given.
        match chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
            Ok(day) => {
                let today = if self.utc {
                    self.now.date_naive()
                } else {
                    self.now.with_timezone(&Local).date_naive()
                };
                match (day - today).num_days() {
                    0 => "today".to_string(),
                    n if n.abs() <= 6 => day.weekday().to_string(),
                    _ => text.to_string(),
                }
            }
            Err(_) => text.to_string(),
        }
    }
}

fn short_in<Z: TimeZone>(zone: &Z, t: DateTime<Utc>, now: DateTime<Utc>) -> String
where
    Z::Offset: std::fmt::Display,
{
    let t = t.with_timezone(zone);
    let today = now.with_timezone(zone).date_naive();
    let day = t.date_naive();
    let days_apart = (day - today).num_days().abs();
    if day == today {
        t.format("%H:%M").to_string()
    } else if days_apart <= 6 {
        format!("{} {}", t.weekday(), t.format("%H:%M"))
    } else {
        t.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// Everything a table needs to know about where it goes.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// A terminal: fitted and cut; otherwise tab-separated and whole.
    pub tty: bool,
    pub width: usize,
    pub color: bool,
    pub times: Times,
}

impl Style {
    /// A text ending in an RFC 3339 time (`allowed until T`) with that time
    /// written short on a terminal; any other text as it is.
    pub fn with_short_time(&self, text: &str) -> String {
        match text.rsplit_once(' ') {
            Some((_, t)) if self.tty && DateTime::parse_from_rfc3339(t).is_ok() => {
                text.replace(t, &self.times.short_text(t))
            }
            _ => text.to_string(),
        }
    }
}

/// What a column holds, which decides how its cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// RFC 3339 times: short local times on a terminal, as given when piped.
    Time,
}

/// A column: its header, what it holds and how much it matters. Priority 0
/// is never dropped; at narrow widths the highest numbers go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub priority: u8,
    pub kind: Kind,
}

impl Column {
    pub const fn text(name: &'static str, priority: u8) -> Column {
        Column {
            name,
            priority,
            kind: Kind::Text,
        }
    }

    pub const fn time(name: &'static str, priority: u8) -> Column {
        Column {
            name,
            priority,
            kind: Kind::Time,
        }
    }
}

/// One cell: text (untrusted is fine: it is sanitised here) and a colour.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    pub text: String,
    pub color: Option<Color>,
}

impl Cell {
    pub fn color(mut self, color: Color) -> Cell {
        self.color = Some(color);
        self
    }
}

impl<T: Into<String>> From<T> for Cell {
    fn from(text: T) -> Cell {
        Cell {
            text: text.into(),
            color: None,
        }
    }
}

/// A table of rows under declared columns.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
}

/// Spaces between two columns on a terminal.
const GAP: usize = 2;
/// Columns whose cells are wider than this may be cut down to it.
const MIN_COLUMN: usize = 12;

impl Table {
    pub fn new(columns: &[Column]) -> Table {
        Table {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty, extra ones ignored).
    pub fn row<C: Into<Cell>>(&mut self, cells: impl IntoIterator<Item = C>) -> &mut Table {
        let mut row: Vec<Cell> = cells
            .into_iter()
            .map(Into::into)
            .take(self.columns.len())
            .collect();
        row.resize(self.columns.len(), Cell::default());
        self.rows.push(row);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text (ending without a newline).
    pub fn render(&self, style: &Style) -> String {
        // Sanitised first, so nothing from the data reaches the terminal raw
        // and the widths below measure what is shown.
        let cells: Vec<Vec<Cell>> = self
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&self.columns)
                    .map(|(c, col)| {
                        let text = match (col.kind, style.tty) {
                            (Kind::Time, true) => style.times.short_text(&c.text),
                            _ => c.text.clone(),
                        };
                        Cell {
                            text: crate::sanitize::line(&text).into_owned(),
                            color: c.color,
                        }
                    })
                    .collect()
            })
            .collect();
        if !style.tty {
            return cells
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|c| c.text.as_str())
                        .collect::<Vec<_>>()
                        .join("\t")
                })
                .collect::<Vec<_>>()
                .join("\n");
        }
        let widths = fit(&self.columns, &cells, style.width);
        let shown: Vec<usize> = (0..self.columns.len()).filter(|i| widths[*i] > 0).collect();
        let mut table = comfy_table::Table::new();
        table
            .load_style(comfy_table::presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_truncation_indicator("…")
            .set_width(style.width.min(u16::MAX as usize) as u16);
        if style.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        let mut header = Row::from(shown.iter().map(|&i| {
            let cell = CtCell::new(cut(&self.columns[i].name.to_uppercase(), widths[i]));
            if style.color {
                cell.add_attribute(Attribute::Bold)
            } else {
                cell
            }
        }));
        header.max_height(1);
        table.set_header(header);
        for row in &cells {
            let mut r = Row::from(shown.iter().map(|&i| {
                let c = &row[i];
                let cell = CtCell::new(cut(&c.text, widths[i]));
                match c.color {
                    Some(color) if style.color => cell.fg(color.comfy()),
                    _ => cell,
                }
            }));
            r.max_height(1);
            table.add_row(r);
        }
        let last = shown.len().saturating_sub(1);
        for (n, &i) in shown.iter().enumerate() {
            let gap = if n == last { 0 } else { GAP };
            if let Some(column) = table.column_mut(n) {
                // comfy-table's widths include the padding.
                column
                    .set_padding((0, gap as u16))
                    .set_constraint(ColumnConstraint::Absolute(Width::Fixed(
                        (widths[i] + gap).min(u16::MAX as usize) as u16,
                    )));
            }
        }
        table.trim_fmt()
    }
}

/// `text` cut to `width` columns, ending in `…` when something was cut.
pub fn cut(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `text` (one line, sanitised) in rows of at most `width` columns, broken
/// at spaces; a word wider than a row is broken inside. At least one row.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = vec![String::new()];
    let mut used = 0;
    for word in text.split(' ') {
        if used > 0 && used + 1 + word.width() > width {
            rows.push(String::new());
            used = 0;
        } else if used > 0 {
            rows.last_mut().unwrap().push(' ');
            used += 1;
        }
        for c in word.chars() {
            let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if used + w > width {
                rows.push(String::new());
                used = 0;
            }
            rows.last_mut().unwrap().push(c);
            used += w;
        }
    }
    rows
}

/// The width of each column on a terminal of `width` columns; 0 = dropped.
///
/// A column needs its widest cell, or [`MIN_COLUMN`] if its cells are longer
/// (long text is what gets cut). Columns are kept in priority order while
/// their needs fit; priority 0 is always kept. What is left of the line then
/// goes to the most important columns first.
fn fit(columns: &[Column], cells: &[Vec<Cell>], width: usize) -> Vec<usize> {
    let natural: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, col)| {
            cells
                .iter()
                .map(|r| r[i].text.width())
                .chain([col.name.width()])
                .max()
                .unwrap_or(1)
                .max(1)
        })
        .collect();
    let need: Vec<usize> = natural
        .iter()
        .zip(columns)
        .map(|(n, col)| (*n).min(MIN_COLUMN.max(col.name.width())))
        .collect();
    // Most important first; among equals, the leftmost.
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&i| (columns[i].priority, i));
    let mut kept = Vec::new();
    let mut used = 0;
    for &i in &order {
        let more = need[i] + if kept.is_empty() { 0 } else { GAP };
        if columns[i].priority > 0 && used + more > width {
            break;
        }
        kept.push(i);
        used += more;
    }
    let mut widths = vec![0; columns.len()];
    for &i in &kept {
        widths[i] = need[i];
    }
    let avail = width.saturating_sub(GAP * kept.len().saturating_sub(1));
    // Essential columns alone too wide: narrow the widest until they fit.
    while widths.iter().sum::<usize>() > avail {
        let Some(widest) = kept.iter().copied().max_by_key(|&i| (widths[i], i)) else {
            break;
        };
        if widths[widest] <= 1 {
            break;
        }
        widths[widest] -= 1;
    }
    let mut left = avail.saturating_sub(widths.iter().sum::<usize>());
    for &i in &kept {
        let more = natural[i].saturating_sub(widths[i]).min(left);
        widths[i] += more;
        left -= more;
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_inside_words_only_when_they_do_not_fit() {
        assert_eq!(
            wrap("read: allowed, write: ask", 14),
            ["read: allowed,", "write: ask"]
        );
        assert_eq!(wrap("abcdefghij xy", 4), ["abcd", "efgh", "ij", "xy"]);
        assert_eq!(wrap("short", 80), ["short"]);
        assert_eq!(wrap("", 10), [""]);
        // Wide characters count two columns; no row is wider than asked.
        for row in wrap("日本語のテキスト and more", 5) {
            assert!(row.width() <= 5, "{row}");
        }
    }

    fn style(tty: bool, width: usize) -> Style {
        Style {
            tty,
            width,
            color: false,
            times: Times {
                utc: true,
                now: "2026-11-29T10:00:00Z".parse().unwrap(),
            },
        }
    }

    fn sample() -> Table {
        let mut t = Table::new(&[
            Column::text("id", 0),
            Column::time("time", 1),
            Column::text("action", 0),
            Column::text("reason", 3),
        ]);
        t.row([
            "7",
            "2026-11-29T09:30:00Z",
            "permission_change",
            "slack: read and write allowed until 2026-11-29T10:30:00.000Z",
        ]);
        t.row(["8", "2026-11-23T08:00:00Z", "api\ncall\x1b[2J", ""]);
        t
    }

    #[test]
    fn short_times_today_this_week_and_otherwise() {
        let times = style(true, 80).times;
        assert_eq!(times.short_text("2026-11-29T09:30:00Z"), "09:30");
        assert_eq!(times.short_text("2026-11-26T14:05:00Z"), "Thu 14:05");
        assert_eq!(times.short_text("2026-12-02T14:05:00Z"), "Wed 14:05");
        assert_eq!(times.short_text("2026-11-02T14:05:00Z"), "2026-11-02 14:05");
        assert_eq!(times.short_text("2026-11-29"), "today");
        assert_eq!(times.short_text("2026-12-01"), "Tue");
        assert_eq!(times.short_text("2026-12-24"), "2026-12-24");
        assert_eq!(times.short_text("not a time"), "not a time");
    }

    #[test]
    fn piped_is_tab_separated_whole_and_sanitised() {
        let text = sample().render(&style(false, 10));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(
            lines[0],
            "7\t2026-11-29T09:30:00Z\tpermission_change\tslack: read and write allowed until 2026-11-29T10:30:00.000Z"
        );
        assert_eq!(lines[1], "8\t2026-11-23T08:00:00Z\tapi␊call␛[2J\t");
    }

    #[test]
    fn terminal_fits_cuts_and_drops_least_important_first() {
        for width in [20, 40, 60, 80, 120] {
            let text = sample().render(&style(true, width));
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), 3, "width {width}: {text}");
            for l in &lines {
                assert!(l.width() <= width, "width {width}: {l:?}");
                assert!(!l.contains('\x1b'), "{l:?}");
            }
            assert!(lines[0].starts_with("ID  "), "{text}");
        }
        let wide = sample().render(&style(true, 120));
        assert!(wide.contains("09:30"), "{wide}");
        assert!(wide.contains("Mon 08:00"), "{wide}");
        assert!(wide.contains("REASON"), "{wide}");
        assert!(!wide.contains('…'), "{wide}");
        let narrow = sample().render(&style(true, 36));
        assert!(!narrow.contains("REASON"), "reason goes first: {narrow}");
        assert!(narrow.contains("permission_change"), "{narrow}");
        let tiny = sample().render(&style(true, 20));
        assert!(!tiny.contains("TIME"), "{tiny}");
        assert!(tiny.contains('…'), "{tiny}");
    }

    #[test]
    fn colours_are_styling_not_cell_text() {
        let mut t = Table::new(&[Column::text("decision", 0), Column::text("x", 1)]);
        t.row([Cell::from("granted").color(Color::Green), Cell::from("y")]);
        let mut s = style(true, 80);
        s.color = true;
        let text = t.render(&s);
        assert!(text.contains("\x1b["), "{text:?}");
        assert!(text.contains("granted"), "{text:?}");
        s.color = false;
        assert!(!t.render(&s).contains('\x1b'));
    }

    #[test]
    fn cut_marks_what_it_cut() {
        assert_eq!(cut("permission_change", 8), "permiss…");
        assert_eq!(cut("short", 8), "short");
        assert_eq!(cut("日本語テキスト", 7), "日本語…");
    }
}
