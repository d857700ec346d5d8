//! Parsing of the durations and times users type: `--for 2h`, `--since 7d`,
//! `--before 2026-08-01T00:00:00Z`. Outside input, so it is strict and never panics.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::error::{Error, Result};

/// The longest duration accepted (ten years): anything longer is a typo.
const MAX_SECONDS: i64 = 10 * 366 * 24 * 3600;

/// Parses a duration such as `90s`, `45m`, `2h`, `7d`, `2w` or `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let bad = || {
        Error::usage(format!("'{text}' is not a duration")).with_hint(
            "write a number and a unit, like 30m, 2h, 7d or 1h30m (units: s, m, h, d, w)",
        )
    };
    let too_long = || {
        Error::usage(format!("'{text}' is longer than ten years"))
            .with_hint("use a shorter duration, like 30d or 52w")
    };
    let s = text.trim();
    if s.is_empty() {
        return Err(bad());
    }
    // `-2h`; but `--json` (a flag given where the value was due) is just not a duration.
    if let Some(rest) = s
        .strip_prefix('-')
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    {
        return Err(
            Error::usage(format!("'{text}' is negative; a duration counts forward"))
                .with_hint(format!("write it without the minus, like {rest}")),
        );
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad()),
        };
        if digits.is_empty() {
            return Err(bad());
        }
        // A number too big for i64 is still a number: far more than ten years.
        let n: i64 = digits.parse().map_err(|_| too_long())?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(too_long)?;
        if total > MAX_SECONDS {
            return Err(too_long());
        }
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    if total == 0 {
        return Err(
            Error::usage(format!("'{text}' is zero; a duration must be longer"))
                .with_hint("give at least one second, like 30m or 2h"),
        );
    }
    Ok(Duration::seconds(total))
}

/// Parses a point in time: a duration back from `now` (`24h`, `7d`), an RFC 3339
/// time, or a calendar date (`2026-11-01`, midnight UTC).
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let s = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    let hint =
        "use a duration back from now (24h, 7d) or a time like 2026-11-01 or 2026-11-01T09:00:00Z";
    match parse_duration(s) {
        // Checked: DEVCONTEXT_NOW may pin "now" near the year 1.
        Ok(d) => now.checked_sub_signed(d).ok_or_else(|| {
            Error::usage(format!("'{text}' reaches before the year 1")).with_hint(hint)
        }),
        // A well-formed duration that is too long says so, with its own hint.
        Err(e) if e.message.contains("ten years") => Err(e),
        Err(e) if e.message.contains("negative") => Err(Error::usage(format!(
            "'{text}' is not a time: write durations back from now without a minus"
        ))
        .with_hint(hint)),
        Err(_) => Err(Error::usage(format!("'{text}' is not a time")).with_hint(hint)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2h").unwrap(), Duration::hours(2));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("7d").unwrap(), Duration::days(7));
        for bad in [
            "",
            "h",
            "2",
            "2x",
            "-2h",
            "2h3",
            "99999999999999999d",
            "1.5h",
            "20000d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad} should fail");
        }
        assert!(
            parse_duration("-2h")
                .unwrap_err()
                .message
                .contains("negative")
        );
        for huge in ["99999999999999999999h", "20000d"] {
            let e = parse_duration(huge).unwrap_err();
            assert!(e.message.contains("ten years"), "{}", e.message);
        }
    }

    #[test]
    fn times() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_time("24h", now).unwrap(), now - Duration::hours(24));
        assert_eq!(
            parse_time("2026-11-01", now).unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert!(parse_time("2026-11-01T09:00:00+02:00", now).is_ok());
        assert!(parse_time("yesterday", now).is_err());
    }
}
