//! Google Calendar tools: today's schedule in the user's time zone, and
//! upcoming events for the next N days (primary calendar, recurring events
//! expanded, ordered by start time, paginated with `pageToken`).
//!
//! The user's zone comes from `users/me/settings/timezone` and is passed as
//! `timeZone`, so Google writes event times with that zone's offset. Without
//! a time-zone database, the offset of "today" is known exactly for fixed
//! zones (UTC, Etc/GMT±N); for others the tool reads a day either side of now
//! and takes the offset from the event times Google returns (falling back to
//! this machine's offset when there are no timed events).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Offset, SecondsFormat, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    MAX_TEXT, ToolArgs, ToolOutput, check_limit, check_range, default_limit, generic_status, opt_s,
    plural, s, truncate,
};
use crate::broker::{ApiClient, ProviderErrors};
use crate::error::{Error, Result};
use crate::output::Column;

/// The read-only scope the calendar tools need.
pub const READ_SCOPE: &str = "https://www.googleapis.com/auth/calendar.readonly";
/// Most event pages read for one call (Google pages at `maxResults`).
const MAX_PAGES: usize = 4;
const PAGE_SIZE: u32 = 250;

fn default_days() -> u32 {
    7
}

fn default_events_limit() -> u32 {
    20
}

// ---------------------------------------------------------------- arguments

/// Arguments of `calendar.today`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TodayArgs {
    /// Most events to return (1-50)
    #[serde(default = "default_events_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

impl ToolArgs for TodayArgs {
    fn validate(&self) -> Result<()> {
        check_limit(self.limit)
    }
}

/// Arguments of `calendar.upcoming`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpcomingArgs {
    /// How many days ahead to look, from now (1-14)
    #[serde(default = "default_days")]
    #[schemars(range(min = 1, max = 14))]
    pub days: u32,
    /// Most events to return (1-50)
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

impl ToolArgs for UpcomingArgs {
    fn validate(&self) -> Result<()> {
        check_range("days", self.days, 1, 14)?;
        check_limit(self.limit)
    }
}

// ---------------------------------------------------------------- results

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Event {
    pub title: String,
    /// RFC 3339 with the user's offset, or a date (YYYY-MM-DD) for all-day events.
    pub start: String,
    pub end: String,
    pub all_day: bool,
    pub location: Option<String>,
    /// The video call link, if any.
    pub meet_url: Option<String>,
    pub url: Option<String>,
    pub organizer: Option<String>,
    pub attendees: u64,
    /// My answer: accepted, tentative, declined, needsAction (null when I am not invited).
    pub my_response: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Schedule {
    /// The user's calendar time zone (IANA name).
    pub time_zone: String,
    /// The period shown: start and end, RFC 3339 in the user's offset.
    pub from: String,
    pub to: String,
    /// Events in the period.
    pub total: u64,
    pub omitted: u64,
    pub events: Vec<Event>,
}

impl ToolOutput for Schedule {
    fn summary(&self) -> String {
        plural(self.total as usize, "event", "events")
    }

    fn table(&self) -> (Vec<Column>, Vec<Vec<String>>) {
        let rows = self
            .events
            .iter()
            .map(|e| {
                // An all-day event's end is the next day (exclusive): "all day" says it.
                vec![
                    e.start.clone(),
                    if e.all_day {
                        "all day".to_string()
                    } else {
                        e.end.clone()
                    },
                    e.title.clone(),
                    e.location.clone().unwrap_or_default(),
                    e.my_response
                        .as_deref()
                        .map(response_words)
                        .unwrap_or_default(),
                ]
            })
            .collect();
        (
            vec![
                Column::time("start", 0),
                Column::time("end", 2),
                Column::text("title", 0),
                Column::text("location", 3),
                Column::text("my response", 1),
            ],
            rows,
        )
    }
}

/// Google's `responseStatus` in words (`needsAction` is "not answered").
pub fn response_words(status: &str) -> String {
    match status {
        "needsAction" => "not answered".into(),
        "accepted" => "accepted".into(),
        "declined" => "declined".into(),
        "tentative" => "maybe".into(),
        other => other.into(),
    }
}

// ---------------------------------------------------------------- calls

async fn time_zone(api: &ApiClient<'_>) -> Result<String> {
    let r = api
        .get("/users/me/settings/timezone", &[], &GoogleErrors)
        .await?;
    Ok(opt_s(&r.body, "value").unwrap_or_else(|| "UTC".into()))
}

/// Reads every page of events in [from, to) (bounded), as raw JSON. Times
/// come in the calendar's own zone, which [`offset_from_events`] reads.
async fn list_events(
    api: &ApiClient<'_>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut page_token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut query = vec![
            ("timeMin", rfc3339(from)),
            ("timeMax", rfc3339(to)),
            ("singleEvents", "true".to_string()),
            ("orderBy", "startTime".to_string()),
            ("maxResults", PAGE_SIZE.to_string()),
        ];
        if let Some(t) = &page_token {
            query.push(("pageToken", t.clone()));
        }
        let r = api
            .get("/calendars/primary/events", &query, &GoogleErrors)
            .await?;
        if let Some(items) = r.body.get("items").and_then(Value::as_array) {
            out.extend(items.iter().cloned());
        }
        page_token = opt_s(&r.body, "nextPageToken");
        if page_token.is_none() {
            break;
        }
    }
    Ok(out)
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Today's events in the user's time zone. The zone setting and the events
/// are read together: the events are fetched for a day either side of now
/// (any local day containing now lies within it) and cut to the local day
/// once the zone is known.
pub async fn today(api: ApiClient<'_>, args: TodayArgs) -> Result<Schedule> {
    let now = api.now();
    let (zone, raw) = futures::try_join!(
        time_zone(&api),
        list_events(&api, now - Duration::hours(24), now + Duration::hours(24)),
    )?;
    let offset = fixed_offset(&zone)
        .or_else(|| offset_from_events(&raw, now))
        .unwrap_or_else(|| chrono::Local::now().offset().fix());
    Ok(shape_day(&zone, offset, now, &raw, args.limit as usize))
}

pub async fn upcoming(api: ApiClient<'_>, args: UpcomingArgs) -> Result<Schedule> {
    let now = api.now();
    let to = now + Duration::days(i64::from(args.days));
    let (zone, raw) = futures::try_join!(time_zone(&api), list_events(&api, now, to))?;
    let offset = fixed_offset(&zone)
        .or_else(|| offset_from_events(&raw, now))
        .unwrap_or_else(|| chrono::Local::now().offset().fix());
    let events: Vec<&Value> = raw.iter().filter(|e| !cancelled(e)).collect();
    Ok(schedule(
        &zone,
        now.with_timezone(&offset),
        to.with_timezone(&offset),
        &events,
        args.limit as usize,
    ))
}

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

fn cancelled(e: &Value) -> bool {
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

fn schedule(
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

// ---------------------------------------------------------------- errors

/// How the Google Calendar API reports failures (`{"error": {code, message, errors, status}}`).
pub struct GoogleErrors;

impl ProviderErrors for GoogleErrors {
    fn interpret(&self, status: StatusCode, _headers: &HeaderMap, body: &Value) -> Option<Error> {
        if status.is_success() {
            return None;
        }
        let err = body.get("error").cloned().unwrap_or(Value::Null);
        let message = opt_s(&err, "message")
            .or_else(|| {
                body.get("error")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_default();
        let reasons: Vec<String> = err
            .get("errors")
            .and_then(Value::as_array)
            .map(|es| es.iter().map(|e| s(e, "reason")).collect())
            .unwrap_or_default();
        let gstatus = s(&err, "status");
        let has = |r: &str| reasons.iter().any(|x| x == r);
        Some(match status.as_u16() {
            401 => Error::upstream(format!(
                "Google rejected the token (HTTP 401){}",
                colon(&message)
            )),
            403 if has("insufficientPermissions")
                || gstatus == "PERMISSION_DENIED" && message.to_lowercase().contains("scope")
                || message
                    .to_lowercase()
                    .contains("insufficient authentication scopes") =>
            {
                Error::upstream(format!(
                    "Google Calendar refused: the token lacks the scope {READ_SCOPE}"
                ))
                .with_hint(format!(
                    "run `devcontext connect google --scopes openid,profile,{READ_SCOPE}`"
                ))
            }
            403 if has("rateLimitExceeded") || has("userRateLimitExceeded") => Error::upstream(
                format!("Google Calendar rate limit reached{}", colon(&message)),
            )
            .with_hint("wait a minute and try again"),
            403 => Error::upstream(format!(
                "Google Calendar refused the request (HTTP 403){}",
                colon(&message)
            )),
            404 => Error::upstream(format!(
                "Google Calendar: not found (HTTP 404){}",
                colon(&message)
            ))
            .with_hint("the primary calendar of the connected Google account was not found"),
            400 => Error::upstream(format!(
                "Google Calendar rejected the request (HTTP 400){}",
                colon(&message)
            )),
            _ => generic_status("Google Calendar", status, &message),
        })
    }
}

fn colon(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {}", truncate(message, 200))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::providers::parse_args;

    #[test]
    fn days_are_bounded() {
        let a: UpcomingArgs = parse_args(json!({})).unwrap();
        assert_eq!((a.days, a.limit), (7, 10));
        let e = parse_args::<UpcomingArgs>(json!({"days": 15})).unwrap_err();
        assert!(
            e.message.contains("days must be between 1 and 14"),
            "{}",
            e.message
        );
        assert_eq!(e.exit_code(), 2);
        let a: TodayArgs = parse_args(Value::Null).unwrap();
        assert_eq!(a.limit, 20);
    }

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

    #[test]
    fn google_errors_name_the_missing_scope() {
        let body = json!({"error": {"code": 403, "message": "Request had insufficient authentication scopes.",
            "errors": [{"reason": "insufficientPermissions"}], "status": "PERMISSION_DENIED"}});
        let e = GoogleErrors
            .interpret(StatusCode::FORBIDDEN, &HeaderMap::new(), &body)
            .unwrap();
        assert!(e.message.contains(READ_SCOPE));
        assert!(
            e.hint
                .unwrap()
                .contains("devcontext connect google --scopes")
        );
        let body = json!({"error": {"code": 401, "message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"}});
        let e = GoogleErrors
            .interpret(StatusCode::UNAUTHORIZED, &HeaderMap::new(), &body)
            .unwrap();
        assert!(e.message.contains("401"));
        let e = GoogleErrors
            .interpret(
                StatusCode::TOO_MANY_REQUESTS,
                &HeaderMap::new(),
                &Value::Null,
            )
            .unwrap();
        assert!(e.message.contains("rate limiting"));
        assert!(
            GoogleErrors
                .interpret(StatusCode::OK, &HeaderMap::new(), &json!({}))
                .is_none()
        );
    }
}
