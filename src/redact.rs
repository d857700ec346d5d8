//! Last line of defence against secrets in text that leaves the process:
//! audit reasons, error messages and debug logs pass through [`redact`], which
//! masks anything shaped like a bearer token, OAuth token or client secret.
//!
//! The first line of defence is structural (tokens live in types that never
//! print them); this catches upstream error bodies that echo a token back.

/// Token prefixes used by Auth0, GitHub, Slack, Google and the local emulator.
const PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xoxp-",
    "xoxb-",
    "xoxe",
    "xoxa-",
    "xoxr-",
    "ya29.",
    "1//",
    "v1.",
    "emu_",
    "eyJ",
    "sk-",
];

/// Words after which the next token is a credential ("Bearer abc", "refresh_token=abc").
const KEYS: &[&str] = &[
    "bearer",
    "basic",
    "token",
    "access_token",
    "refresh_token",
    "subject_token",
    "id_token",
    "client_secret",
    "secret",
    "password",
    "code",
    "connect_code",
    "device_code",
    "code_verifier",
];

const MASK: &str = "[redacted]";

/// Returns `text` with credential-shaped substrings replaced by `[redacted]`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut mask_next = false;
    for piece in split_keep(text) {
        if piece.chars().all(is_separator) {
            out.push_str(piece);
            continue;
        }
        let lower = piece.to_ascii_lowercase();
        if mask_next && piece.len() >= 8 {
            out.push_str(MASK);
            mask_next = false;
            continue;
        }
        mask_next =
            KEYS.contains(&lower.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_'));
        if looks_secret(piece) {
            out.push_str(MASK);
        } else {
            out.push_str(piece);
        }
    }
    out
}

fn looks_secret(word: &str) -> bool {
    PREFIXES
        .iter()
        .any(|p| word.starts_with(p) && word.len() >= p.len() + 8)
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\''
                | '='
                | ':'
                | ','
                | '&'
                | '?'
                | '('
                | ')'
                | '{'
                | '}'
                | '['
                | ']'
                | '<'
                | '>'
        )
}

/// Splits into alternating runs of separators and words, keeping both.
fn split_keep(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut in_sep = None;
    for (i, c) in text.char_indices() {
        let sep = is_separator(c);
        match in_sep {
            Some(prev) if prev != sep => {
                pieces.push(&text[start..i]);
                start = i;
            }
            _ => {}
        }
        in_sep = Some(sep);
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_tokens_and_keeps_prose() {
        // The fake token is built at run time so it is not committed in token shape.
        let token = format!("{}-emu-abcdef123456", "xoxp");
        let s = redact(&format!(
            "upstream said: invalid token {token} for Bearer abcdefghijkl"
        ));
        assert!(!s.contains(&token), "{s}");
        assert!(!s.contains("abcdefghijkl"), "{s}");
        assert!(s.starts_with("upstream said: invalid token"), "{s}");
        let s = redact(
            "{\"refresh_token\":\"emu_rt_0123456789abcdef\",\"client_secret\":\"hunter2hunter2\"}",
        );
        assert!(!s.contains("emu_rt_0123"), "{s}");
        assert!(!s.contains("hunter2hunter2"), "{s}");
        assert_eq!(redact("3 pull requests, 210 ms"), "3 pull requests, 210 ms");
        assert_eq!(redact("GET /search/issues"), "GET /search/issues");
    }

    /// Every prefix alone masks a token, with no key word in front of it
    /// (a key word would mask it anyway). The list is kept apart from
    /// `PREFIXES` so that losing a prefix there fails here.
    #[test]
    fn each_prefix_masks_a_token_with_no_key_word_in_front() {
        for prefix in [
            "ghp_",
            "gho_",
            "ghu_",
            "ghs_",
            "ghr_",
            "github_pat_",
            "xoxp-",
            "xoxb-",
            "xoxe",
            "xoxa-",
            "xoxr-",
            "ya29.",
            "1//",
            "v1.",
            "emu_",
            "eyJ",
            "sk-",
        ] {
            // Built at run time so no token-shaped string is committed.
            let token = format!("{prefix}{}", "Q7w9E2r4T6y8");
            for text in [
                format!("upstream said {token} was rejected"),
                token.clone(),
                format!("error ({token}), retry"),
            ] {
                let s = redact(&text);
                assert!(!s.contains(&token), "{prefix}: {text} -> {s}");
                assert!(s.contains(MASK), "{prefix}: {text} -> {s}");
            }
            assert_eq!(
                redact(&format!("upstream said {token} was rejected")),
                "upstream said [redacted] was rejected",
                "{prefix}: only the token goes"
            );
        }
    }

    #[test]
    fn short_prefixed_words_and_prose_are_kept() {
        // Seven characters after a prefix is too short to be a token.
        for text in ["ghp_1234567", "sk-abcdefg", "v1.2.3 is out", "eyJ"] {
            assert_eq!(redact(text), text);
        }
        // Eight is enough.
        assert_eq!(redact("sk-abcdefgh"), MASK);
    }

    #[test]
    fn a_key_word_masks_the_next_long_word_only() {
        assert_eq!(
            redact("password: hunter2hunter2 and more"),
            "password: [redacted] and more"
        );
        // Too short to be a secret: kept, and the mask does not leak onto later words.
        assert_eq!(
            redact("token: abc then somethinglong"),
            "token: abc then somethinglong"
        );
        assert_eq!(
            redact("Refresh_Token=abcdefghijkl"),
            "Refresh_Token=[redacted]"
        );
        assert_eq!(
            redact("\"code\": \"0123456789\""),
            "\"code\": \"[redacted]\""
        );
        // Punctuation glued to a key word (a command-line flag) still makes it one.
        assert_eq!(redact("--password hunter2hunter2"), "--password [redacted]");
        assert_eq!(
            redact("-client_secret; longsecretvalue"),
            "-client_secret; [redacted]"
        );
    }
}
