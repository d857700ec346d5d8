//! Fake Google Calendar API v3 (under `/calendar/v3`): Dana's primary
//! calendar with today's meetings (always "today" on the emulator clock, in
//! UTC), a few later ones and an all-day event; honest `timeMin`/`timeMax`
//! filtering, `maxResults` paging, and the timezone setting.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::providers::account_for_token;
use crate::state::{App, ConnectedAccount, GOOGLE, USER_EMAIL};
use crate::wire::*;

type S = AxState<Arc<App>>;

const READ_SCOPES: [&str; 4] = [
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events.readonly",
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.events",
];

fn google_error(status: u16, message: &str, reason: &str, gstatus: &str) -> Response {
    let mut r = json_response(
        status,
        json!({"error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": gstatus,
        }}),
    );
    if status == 401 {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
            ),
        );
    }
    r
}

fn unauthenticated() -> Response {
    google_error(
        401,
        "Request had invalid authentication credentials.",
        "authError",
        "UNAUTHENTICATED",
    )
}

fn auth(app: &App, headers: &HeaderMap) -> Result<(ConnectedAccount, DateTime<Utc>), Response> {
    let (acc, anchor) =
        account_for_token(app, headers, None, GOOGLE).ok_or_else(unauthenticated)?;
    if !acc.scopes.iter().any(|s| READ_SCOPES.contains(&s.as_str())) {
        return Err(google_error(
            403,
            "Request had insufficient authentication scopes.",
            "insufficientPermissions",
            "PERMISSION_DENIED",
        ));
    }
    Ok((acc, anchor))
}

fn bad_request(msg: &str) -> Response {
    google_error(400, msg, "badRequest", "INVALID_ARGUMENT")
}

struct Ev {
    key: &'static str,
    day: i64,
    /// Start as minutes after midnight UTC; `None` = all-day.
    start_min: Option<i64>,
    dur_min: i64,
    summary: &'static str,
    description: &'static str,
    location: &'static str,
    attendees: &'static [(&'static str, &'static str)],
    organizer: &'static str,
    meet: bool,
    my_status: &'static str,
}

const EVENTS: &[Ev] = &[
    Ev {
        key: "retro",
        day: -1,
        start_min: Some(15 * 60),
        dur_min: 60,
        summary: "Sprint retro",
        description: "What went well, what didn't.",
        location: "",
        attendees: &[
            ("sam@example.com", "accepted"),
            ("priya@example.com", "accepted"),
        ],
        organizer: "priya@example.com",
        meet: true,
        my_status: "accepted",
    },
    Ev {
        key: "release",
        day: 1,
        start_min: None,
        dur_min: 1440,
        summary: "Payments release freeze",
        description: "No payments deploys today except hotfixes.",
        location: "",
        attendees: &[],
        organizer: USER_EMAIL,
        meet: false,
        my_status: "accepted",
    },
    Ev {
        key: "standup",
        day: 0,
        start_min: Some(9 * 60 + 30),
        dur_min: 15,
        summary: "Daily standup",
        description: "Yesterday / today / blockers. Keep it short.",
        location: "",
        attendees: &[
            ("sam@example.com", "accepted"),
            ("priya@example.com", "accepted"),
            ("li@example.com", "tentative"),
        ],
        organizer: "priya@example.com",
        meet: true,
        my_status: "accepted",
    },
    Ev {
        key: "design",
        day: 0,
        start_min: Some(11 * 60),
        dur_min: 60,
        summary: "Design review: checkout redesign",
        description: "Walkthrough of acme/web#1290 and the new design-system components.",
        location: "Room Aurora",
        attendees: &[
            ("priya@example.com", "accepted"),
            ("design@example.com", "needsAction"),
        ],
        organizer: "priya@example.com",
        meet: true,
        my_status: "accepted",
    },
    Ev {
        key: "oneonone",
        day: 0,
        start_min: Some(14 * 60),
        dur_min: 30,
        summary: "1:1 Dana / Priya",
        description: "Career goals and Q3 planning.",
        location: "",
        attendees: &[("priya@example.com", "accepted")],
        organizer: "priya@example.com",
        meet: true,
        my_status: "accepted",
    },
    Ev {
        key: "handoff",
        day: 0,
        start_min: Some(16 * 60 + 30),
        dur_min: 30,
        summary: "On-call handoff",
        description: "Marco hands the pager to Dana. Review INC-231 follow-ups.",
        location: "",
        attendees: &[("marco@example.com", "accepted")],
        organizer: "marco@example.com",
        meet: true,
        my_status: "needsAction",
    },
    Ev {
        key: "planning",
        day: 1,
        start_min: Some(10 * 60),
        dur_min: 90,
        summary: "Sprint planning",
        description: "Bring your estimates.",
        location: "Room Borealis",
        attendees: &[
            ("sam@example.com", "accepted"),
            ("priya@example.com", "accepted"),
            ("li@example.com", "accepted"),
        ],
        organizer: "priya@example.com",
        meet: false,
        my_status: "accepted",
    },
    Ev {
        key: "interview",
        day: 1,
        start_min: Some(15 * 60),
        dur_min: 60,
        summary: "Interview: backend engineer candidate",
        description: "System design round.",
        location: "",
        attendees: &[("recruiting@example.com", "accepted")],
        organizer: "recruiting@example.com",
        meet: true,
        my_status: "tentative",
    },
    Ev {
        key: "guild",
        day: 3,
        start_min: Some(13 * 60),
        dur_min: 60,
        summary: "Architecture guild",
        description: "Event sourcing for payments ledger.",
        location: "",
        attendees: &[("marco@example.com", "accepted")],
        organizer: "marco@example.com",
        meet: true,
        my_status: "accepted",
    },
    Ev {
        key: "offsite",
        day: 4,
        start_min: None,
        dur_min: 1440,
        summary: "Team offsite",
        description: "Full day, lunch provided.",
        location: "Lakeside venue",
        attendees: &[
            ("sam@example.com", "accepted"),
            ("priya@example.com", "accepted"),
        ],
        organizer: "priya@example.com",
        meet: false,
        my_status: "accepted",
    },
];

/// Start and end instants of an event (all-day events span whole UTC days).
fn span(ev: &Ev, today: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let day = today + Duration::days(ev.day);
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .unwrap_or_default();
    match ev.start_min {
        Some(m) => {
            let s = midnight + Duration::minutes(m);
            (s, s + Duration::minutes(ev.dur_min))
        }
        None => (midnight, midnight + Duration::days(1)),
    }
}

fn event_json(ev: &Ev, today: NaiveDate, tz: &str, anchor: DateTime<Utc>) -> Value {
    let day = today + Duration::days(ev.day);
    let id = format!("emu{}{}", day.format("%Y%m%d"), ev.key);
    let (s, e) = span(ev, today);
    let (start, end) = if ev.start_min.is_some() {
        (
            json!({"dateTime": rfc3339_s(s), "timeZone": tz}),
            json!({"dateTime": rfc3339_s(e), "timeZone": tz}),
        )
    } else {
        (
            json!({"date": s.date_naive().to_string()}),
            json!({"date": e.date_naive().to_string()}),
        )
    };
    let mut attendees =
        vec![json!({"email": USER_EMAIL, "self": true, "responseStatus": ev.my_status})];
    for (email, status) in ev.attendees {
        let mut a = json!({"email": email, "responseStatus": status});
        if *email == ev.organizer {
            a["organizer"] = json!(true);
        }
        attendees.push(a);
    }
    let mut v = json!({
        "kind": "calendar#event",
        "etag": format!("\"{}\"", 3_400_000_000_000u64 + day.to_string().len() as u64),
        "id": id,
        "status": "confirmed",
        "htmlLink": format!("https://www.google.com/calendar/event?eid={}", b64url(format!("{id} {USER_EMAIL}").as_bytes())),
        "created": rfc3339(anchor - Duration::days(30)),
        "updated": rfc3339(anchor - Duration::days(2)),
        "summary": ev.summary,
        "description": ev.description,
        "creator": {"email": ev.organizer, "self": ev.organizer == USER_EMAIL},
        "organizer": {"email": ev.organizer, "self": ev.organizer == USER_EMAIL},
        "start": start,
        "end": end,
        "iCalUID": format!("{id}@google.com"),
        "sequence": 0,
        "reminders": {"useDefault": true},
        "eventType": "default",
    });
    if !ev.location.is_empty() {
        v["location"] = json!(ev.location);
    }
    if ev.attendees.is_empty() {
        v["transparency"] = json!("transparent");
    } else {
        v["attendees"] = json!(attendees);
    }
    if ev.meet {
        let code = &sha256_hex(id.as_bytes())[..10];
        v["hangoutLink"] = json!(format!(
            "https://meet.google.com/{}-{}-{}",
            &code[..3],
            &code[3..7],
            &code[7..10]
        ));
    }
    v
}

fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub async fn events(
    AxState(app): S,
    headers: HeaderMap,
    Path(calendar_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let (_acc, anchor) = match auth(&app, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    if calendar_id != "primary" && !calendar_id.eq_ignore_ascii_case(USER_EMAIL) {
        return google_error(404, "Not Found", "notFound", "NOT_FOUND");
    }
    let p = query_map(q.as_deref());
    let time_min = match p.get("timeMin") {
        Some(s) => match parse_instant(s) {
            Some(t) => Some(t),
            None => return bad_request("Bad Request"),
        },
        None => None,
    };
    let time_max = match p.get("timeMax") {
        Some(s) => match parse_instant(s) {
            Some(t) => Some(t),
            None => return bad_request("Bad Request"),
        },
        None => None,
    };
    if let (Some(a), Some(b)) = (time_min, time_max)
        && a >= b
    {
        return bad_request("Bad Request");
    }
    let single = p.get("singleEvents").is_some_and(|v| v == "true");
    if p.get("orderBy").map(String::as_str) == Some("startTime") && !single {
        return bad_request("The requested ordering is not available for the particular query.");
    }
    let max_results = match p.get("maxResults") {
        Some(v) => match v.parse::<usize>() {
            Ok(n) if n >= 1 => n.min(2500),
            _ => return bad_request("Invalid value for maxResults"),
        },
        None => 250,
    };
    let offset = match p.get("pageToken") {
        Some(t) => match cursor_decode(t) {
            Some(o) => o,
            None => return bad_request("Invalid page token"),
        },
        None => 0,
    };
    let words: Vec<String> = p
        .get("q")
        .map(|s| s.split_whitespace().map(str::to_lowercase).collect())
        .unwrap_or_default();
    let today = anchor.date_naive();
    let tz = app.lock().knobs.timezone.clone();
    let mut list: Vec<&Ev> = EVENTS
        .iter()
        .filter(|ev| {
            let (s, e) = span(ev, today);
            time_min.is_none_or(|t| e > t) && time_max.is_none_or(|t| s < t)
        })
        .filter(|ev| {
            let text = format!("{} {} {}", ev.summary, ev.description, ev.location).to_lowercase();
            words.iter().all(|w| text.contains(w.as_str()))
        })
        .collect();
    list.sort_by_key(|ev| span(ev, today).0);
    let items: Vec<Value> = list
        .iter()
        .skip(offset)
        .take(max_results)
        .map(|ev| event_json(ev, today, &tz, anchor))
        .collect();
    let mut body = json!({
        "kind": "calendar#events",
        "etag": "\"p33c9emu\"",
        "summary": USER_EMAIL,
        "description": "",
        "updated": rfc3339(anchor - Duration::days(2)),
        "timeZone": tz,
        "accessRole": "owner",
        "defaultReminders": [{"method": "popup", "minutes": 10}],
        "items": items,
    });
    if offset + max_results < list.len() {
        body["nextPageToken"] = json!(cursor_encode(offset + max_results));
    }
    json_response(200, body)
}

pub async fn timezone(AxState(app): S, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&app, &headers) {
        return r;
    }
    let tz = app.lock().knobs.timezone.clone();
    json_response(
        200,
        json!({"kind": "calendar#setting", "etag": "\"emu-tz\"", "id": "timezone", "value": tz}),
    )
}

pub async fn calendar_list(AxState(app): S, headers: HeaderMap) -> Response {
    if let Err(r) = auth(&app, &headers) {
        return r;
    }
    let tz = app.lock().knobs.timezone.clone();
    json_response(
        200,
        json!({
            "kind": "calendar#calendarList",
            "etag": "\"emu-cl\"",
            "items": [{
                "kind": "calendar#calendarListEntry",
                "id": USER_EMAIL,
                "summary": USER_EMAIL,
                "timeZone": tz,
                "accessRole": "owner",
                "primary": true,
                "selected": true,
            }],
        }),
    )
}

pub async fn fallback(AxState(app): S, headers: HeaderMap) -> Response {
    match auth(&app, &headers) {
        Ok(_) => google_error(404, "Not Found", "notFound", "NOT_FOUND"),
        Err(r) => r,
    }
}
