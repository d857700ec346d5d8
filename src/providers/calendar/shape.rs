//! Google's events shaped into a schedule in the user's time zone: the
//! zone's offset (exact for fixed zones, otherwise read from the event
//! times Google wrote), the local day, and compact events. Outside input:
//! never panics.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, SecondsFormat, Utc};
use serde_json::Value;

use super::{Event, Schedule};
use crate::providers::{MAX_TEXT, opt_s, s, truncate};

/// The offset of zones that have no daylight saving time and need no database.
pub fn fixed_offset(zone: &str) -> Option<FixedOffset> {
    let z = zone.trim();
    if [
        "UTC",
        "Etc/UTC",
        "GMT",
        "Etc/GMT",
        "Z",
        "Zulu",
        "Etc/Zulu",
        "Universal",
        "Etc/Universal",
    ]
    .iter()
    .any(|u| z.eq_ignore_ascii_case(u))
    {
        return FixedOffset::east_opt(0);
    }
    // POSIX sign: Etc/GMT+5 is five hours *behind* UTC.
    let rest = z.strip_prefix("Etc/GMT")?;
    let hours = |h: &str| h.parse::<i32>().ok().filter(|h| (0..=14).contains(h));
    match (rest.strip_prefix('+'), rest.strip_prefix('-')) {
        (Some(h), _) => FixedOffset::west_opt(hours(h)? * 3600),
        (_, Some(h)) => FixedOffset::east_opt(hours(h)? * 3600),
        _ => None,
    }
}

/// The offset Google used for the timed event nearest to `now`.
pub fn offset_from_events(events: &[Value], now: DateTime<Utc>) -> Option<FixedOffset> {
    events
        .iter()
        .filter_map(|e| {
            let t = e.get("start")?.get("dateTime")?.as_str()?;
            DateTime::parse_from_rfc3339(t).ok()
        })
        .min_by_key(|t| (t.with_timezone(&Utc) - now).num_seconds().abs())
        .map(|t| *t.offset())
}

/// The local day containing `now` at `offset`, as UTC instants [start, end).
pub fn local_day(now: DateTime<Utc>, offset: FixedOffset) -> (DateTime<Utc>, DateTime<Utc>) {
    let date = now.with_timezone(&offset).date_naive();
    let start = date
        .and_hms_opt(0, 0, 0)
        .and_then(|d| d.and_local_timezone(offset).single())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(now);
    (start, start + Duration::days(1))
}

pub(super) fn cancelled(e: &Value) -> bool {
    s(e, "status") == "cancelled"
}

/// Keeps the events of the local day containing `now` and shapes them.
pub fn shape_day(
    zone: &str,
    offset: FixedOffset,
    now: DateTime<Utc>,
    raw: &[Value],
    limit: usize,
) -> Schedule {
    let (start, end) = local_day(now, offset);
    let date = now.with_timezone(&offset).date_naive();
    let events: Vec<&Value> = raw
        .iter()
        .filter(|e| !cancelled(e))
        .filter(|e| overlaps_day(e, start, end, date))
        .collect();
    schedule(
        zone,
        start.with_timezone(&offset),
        end.with_timezone(&offset),
        &events,
        limit,
    )
}

fn overlaps_day(e: &Value, start: DateTime<Utc>, end: DateTime<Utc>, date: NaiveDate) -> bool {
    let get = |k: &str| e.get(k).cloned().unwrap_or(Value::Null);
    let (s0, e0) = (get("start"), get("end"));
    if let (Some(a), Some(b)) = (
        s0.get("dateTime").and_then(Value::as_str),
        e0.get("dateTime").and_then(Value::as_str),
    ) {
        return match (
            DateTime::parse_from_rfc3339(a),
            DateTime::parse_from_rfc3339(b),
        ) {
            (Ok(a), Ok(b)) => a.with_timezone(&Utc) < end && b.with_timezone(&Utc) > start,
            _ => false,
        };
    }
    let day = |v: &Value| {
        v.get("date")
            .and_then(Value::as_str)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    };
    match (day(&s0), day(&e0)) {
        (Some(a), Some(b)) => a <= date && date < b,
        (Some(a), None) => a == date,
        _ => false,
    }
}

pub(super) fn schedule(
    zone: &str,
    from: DateTime<FixedOffset>,
    to: DateTime<FixedOffset>,
    events: &[&Value],
    limit: usize,
) -> Schedule {
    let shown: Vec<Event> = events.iter().take(limit).map(|e| shape_event(e)).collect();
    Schedule {
        time_zone: zone.to_string(),
        from: from.to_rfc3339_opts(SecondsFormat::Secs, true),
        to: to.to_rfc3339_opts(SecondsFormat::Secs, true),
        total: events.len() as u64,
        omitted: (events.len() - shown.len()) as u64,
        events: shown,
    }
}

fn when(v: Option<&Value>) -> (String, bool) {
    let v = v.cloned().unwrap_or(Value::Null);
    match opt_s(&v, "dateTime") {
        Some(t) => (t, false),
        None => (s(&v, "date"), true),
    }
}

pub fn shape_event(e: &Value) -> Event {
    let (start, all_day) = when(e.get("start"));
    let (end, _) = when(e.get("end"));
    let attendees = e.get("attendees").and_then(Value::as_array);
    let me = attendees.and_then(|a| {
        a.iter()
            .find(|x| x.get("self").and_then(Value::as_bool) == Some(true))
    });
    let meet_url = opt_s(e, "hangoutLink").or_else(|| {
        e.get("conferenceData")
            .and_then(|c| c.get("entryPoints"))
            .and_then(Value::as_array)
            .and_then(|eps| eps.iter().find(|p| s(p, "entryPointType") == "video"))
            .and_then(|p| opt_s(p, "uri"))
    });
    Event {
        title: truncate(
            &opt_s(e, "summary").unwrap_or_else(|| "(no title)".into()),
            MAX_TEXT,
        ),
        start,
        end,
        all_day,
        location: opt_s(e, "location").map(|l| truncate(&l, 120)),
        meet_url,
        url: opt_s(e, "htmlLink"),
        organizer: e.get("organizer").and_then(|o| opt_s(o, "email")),
        attendees: attendees.map(|a| a.len() as u64).unwrap_or(0),
        my_response: me.and_then(|m| opt_s(m, "responseStatus")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::tools::Report;

    #[test]
    fn fixed_zones_need_no_database() {
        assert_eq!(fixed_offset("UTC"), FixedOffset::east_opt(0));
        assert_eq!(fixed_offset("Etc/GMT+5"), FixedOffset::west_opt(5 * 3600));
        assert_eq!(fixed_offset("Etc/GMT-3"), FixedOffset::east_opt(3 * 3600));
        assert_eq!(fixed_offset("Europe/Berlin"), None);
        // Found by review of the fuzz harness: these panicked (a split inside a
        // multi-byte character, an i32 overflow).
        assert_eq!(fixed_offset("Etc/GMTé"), None);
        assert_eq!(fixed_offset("Etc/GMT+-1000000"), None);
        assert_eq!(fixed_offset("Etc/GMT-99"), None);
    }

    fn ev(title: &str, start: Value, end: Value) -> Value {
        json!({"summary": title, "start": start, "end": end, "status": "confirmed",
               "htmlLink": "https://calendar.google.com/x",
               "attendees": [{"email": "me@x", "self": true, "responseStatus": "accepted"}, {"email": "b@x"}]})
    }

    #[test]
    fn today_is_the_local_day_with_the_offset_google_used() {
        // 23:30 UTC on Jan 9 is already Jan 10 in Berlin (+01:00).
        let now = DateTime::parse_from_rfc3339("2026-01-09T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let raw = vec![
            ev(
                "late yesterday",
                json!({"dateTime": "2026-01-09T20:00:00+01:00"}),
                json!({"dateTime": "2026-01-09T21:00:00+01:00"}),
            ),
            ev(
                "standup",
                json!({"dateTime": "2026-01-10T09:30:00+01:00"}),
                json!({"dateTime": "2026-01-10T09:45:00+01:00"}),
            ),
            ev(
                "offsite",
                json!({"date": "2026-01-10"}),
                json!({"date": "2026-01-11"}),
            ),
            ev(
                "tomorrow",
                json!({"date": "2026-01-11"}),
                json!({"date": "2026-01-12"}),
            ),
            json!({"status": "cancelled", "summary": "gone", "start": {"dateTime": "2026-01-10T10:00:00+01:00"}, "end": {"dateTime": "2026-01-10T11:00:00+01:00"}}),
        ];
        let off = offset_from_events(&raw, now).unwrap();
        assert_eq!(off, FixedOffset::east_opt(3600).unwrap());
        let day = shape_day("Europe/Berlin", off, now, &raw, 1);
        assert_eq!(day.from, "2026-01-10T00:00:00+01:00");
        assert_eq!(day.total, 2);
        assert_eq!(day.omitted, 1);
        assert_eq!(day.events[0].title, "standup");
        assert_eq!(day.events[0].my_response.as_deref(), Some("accepted"));
        assert_eq!(day.events[0].attendees, 2);
        let day = shape_day("Europe/Berlin", off, now, &raw, 10);
        assert!(day.events[1].all_day);
        assert_eq!(day.summary(), "2 events");
    }
}
