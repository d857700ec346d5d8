//! Google Calendar's tools, declared once: what each is, what it may call, how it runs.

use super as calendar;
use crate::service::Service::Calendar;
use crate::tools::{Tool, ToolSpec};

pub fn tools() -> Vec<Tool> {
    const ENDPOINTS: &[&str] = &[
        "GET /users/me/settings/timezone",
        "GET /calendars/primary/events",
    ];
    const SCOPES: &[&str] = &["https://www.googleapis.com/auth/calendar.readonly"];
    vec![
        Tool::read(
            ToolSpec::new(Calendar, "today", "Today's meetings in my time zone")
                .endpoints(ENDPOINTS)
                .scopes(SCOPES),
            calendar::today,
        ),
        Tool::read(
            ToolSpec::new(Calendar, "upcoming", "My events for the next N days")
                .endpoints(ENDPOINTS)
                .scopes(SCOPES),
            calendar::upcoming,
        ),
    ]
}
