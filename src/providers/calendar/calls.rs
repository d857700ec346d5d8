//! The calendar tools' requests: the user's time-zone setting and every
//! page (bounded) of events in a time range, read together.

use chrono::{DateTime, Duration, Offset, SecondsFormat, Utc};
use serde_json::Value;

use super::shape::{cancelled, schedule};
use super::{Schedule, TodayArgs, UpcomingArgs, fixed_offset, offset_from_events, shape_day};
use crate::broker::ApiClient;
use crate::error::Result;
use crate::providers::opt_s;

/// Most event pages read for one call (Google pages at `maxResults`).
const MAX_PAGES: usize = 4;
const PAGE_SIZE: u32 = 250;

async fn time_zone(api: &ApiClient<'_>) -> Result<String> {
    let r = api.get("/users/me/settings/timezone", &[]).await?;
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
        let r = api.get("/calendars/primary/events", &query).await?;
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
        .unwrap_or_else(|| now.with_timezone(&chrono::Local).offset().fix());
    Ok(shape_day(&zone, offset, now, &raw, args.limit as usize))
}

pub async fn upcoming(api: ApiClient<'_>, args: UpcomingArgs) -> Result<Schedule> {
    let now = api.now();
    let to = now + Duration::days(i64::from(args.days));
    let (zone, raw) = futures::try_join!(time_zone(&api), list_events(&api, now, to))?;
    let offset = fixed_offset(&zone)
        .or_else(|| offset_from_events(&raw, now))
        .unwrap_or_else(|| now.with_timezone(&chrono::Local).offset().fix());
    let events: Vec<&Value> = raw.iter().filter(|e| !cancelled(e)).collect();
    Ok(schedule(
        &zone,
        now.with_timezone(&offset),
        to.with_timezone(&offset),
        &events,
        args.limit as usize,
    ))
}
