//! What the calendar tools return: a schedule of compact events, with a
//! summary and a table for people.

use schemars::JsonSchema;
use serde::Serialize;

use crate::output::Column;
use crate::providers::plural;
use crate::tools::Report;

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

impl Report for Schedule {
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
