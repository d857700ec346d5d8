//! The one sanitiser for text that reaches a person's terminal. Text from a
//! provider, the model or the network is untrusted: left raw, an escape
//! sequence could move the cursor, clear the screen, retitle the window, plant
//! a link, or a `\r`, newline or bidi override could forge a line. Every such
//! character is made visible instead of interpreted. Our own colours are added
//! after sanitising, never taken from data. JSON output needs none of this:
//! JSON escaping already makes it safe.

use std::borrow::Cow;

/// One line of untrusted text: every control (newlines included), DEL, C1,
/// bidi control, zero-width and line/paragraph separator is shown as a
/// visible marker. The result never contains a character a terminal acts on.
pub fn line(text: &str) -> Cow<'_, str> {
    sanitize(text, false)
}

/// Untrusted text that may span lines (the model's answer, a message body
/// shown in full): like [`line`], but `\n` stays a line break. `\r` and every
/// other control is still made visible, so no line can overwrite another.
pub fn text(text: &str) -> Cow<'_, str> {
    sanitize(text, true)
}

/// True when `c` is shown as a marker rather than printed as itself.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() // C0, DEL, C1
        || matches!(c,
            '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}' // zero-width no-break space (BOM)
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation controls
        )
}

fn sanitize(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let needs = text
        .chars()
        .any(|c| is_unsafe(c) && !(keep_newlines && c == '\n'));
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if keep_newlines && c == '\n' {
            out.push('\n');
        } else if is_unsafe(c) {
            push_marker(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The visible stand-in for an unsafe character: the Unicode control picture
/// for C0 and DEL (`␛` for ESC, `␍` for `\r`, `␊` for a newline), `<U+XXXX>`
/// for everything else.
fn push_marker(out: &mut String, c: char) {
    let code = c as u32;
    match code {
        0x00..=0x1F => out.push(char::from_u32(0x2400 + code).unwrap_or('?')),
        0x7F => out.push('\u{2421}'),
        _ => out.push_str(&format!("<U+{code:04X}>")),
    }
}

/// Cuts `text` to `max` characters, ending with "…" when cut; folds newlines.
pub fn truncate(text: &str, max: usize) -> String {
    let folded: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= max {
        return folded;
    }
    let mut out: String = folded.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(line("PR #42: fix — naïve 🚀"), Cow::Borrowed(_)));
        assert!(matches!(text("a\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn escapes_and_line_breaks_become_visible() {
        assert_eq!(line("a\x1b[2Jb"), "a␛[2Jb");
        assert_eq!(line("x\ry"), "x␍y");
        assert_eq!(line("one\ntwo"), "one␊two");
        assert_eq!(line("tab\there"), "tab␉here");
        assert_eq!(line("del\x7f"), "del␡");
        assert_eq!(line("c1\u{9b}31m"), "c1<U+009B>31m");
        assert_eq!(line("\x1b]8;;https://evil\x07x"), "␛]8;;https://evil␇x");
    }

    #[test]
    fn bidi_zero_width_and_separators_become_visible() {
        assert_eq!(line("abc\u{202E}fed"), "abc<U+202E>fed");
        assert_eq!(line("a\u{2067}b\u{2069}"), "a<U+2067>b<U+2069>");
        assert_eq!(line("a\u{200B}b\u{FEFF}"), "a<U+200B>b<U+FEFF>");
        assert_eq!(line("a\u{2028}b\u{2029}"), "a<U+2028>b<U+2029>");
    }

    #[test]
    fn text_keeps_newlines_but_not_carriage_returns() {
        assert_eq!(text("one\ntwo\r\x1b[1A"), "one\ntwo␍␛[1A");
    }

    #[test]
    fn output_never_holds_an_unsafe_character() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!line(&all).chars().any(is_unsafe));
        assert!(!text(&all).chars().any(|c| is_unsafe(c) && c != '\n'));
    }
}
