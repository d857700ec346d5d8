//! The fuzz harness: one function per fuzz target, each feeding outside input
//! through the same functions the product uses. Shared by the fuzz targets
//! (the `devcontext-fuzz` library) and by `tests/fuzz_regressions.rs`, which
//! replays the seeds and every minimized crash under `cargo test`, so CI
//! covers them without cargo-fuzz. Every function must return normally for
//! any input: a panic is a bug in devcontext (or a broken assertion here).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use devcontext::approval::{self, WritePreview};
use devcontext::auth::connect::{self, AccountsPage};
use devcontext::auth::login::{self, DeviceCode};
use devcontext::auth::oauth::{Endpoints, TokenFailure, TokenResponse, read_token_answer};
use devcontext::broker::{ProviderHooks, read_body, retry_wait};
use devcontext::clock::Clock;
use devcontext::config::{self, Env, Overrides, Settings};
use devcontext::error::Error;
use devcontext::providers::{self, calendar, github, slack};
use devcontext::service::Service;
use devcontext::tools::{Report, parse_args};
use devcontext::{agent, auth, net, sanitize, timespec, vault};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use serde_json::Value;

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// The fuzz targets by name, for the regression test.
pub const TARGETS: &[(&str, Target)] = &[
    ("config", config),
    ("timespec", timespec),
    ("tool_args", tool_args),
    ("auth0_responses", auth0_responses),
    ("provider_responses", provider_responses),
];

fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a valid time")
        .with_timezone(&Utc)
}

/// Everything a user sees of an error: the one-line text and the exit code.
fn show(e: &Error) {
    let line = e.to_string();
    assert!(
        !line.contains('\n'),
        "an error line holds a newline: {line:?}"
    );
    assert!((1..=8).contains(&e.exit_code()));
}

/// Shows a tool result the way `tool`/`ask` do: summary, table, JSON.
fn present<T: Report>(out: &T) {
    let _ = out.summary();
    let (headers, rows) = out.table();
    for row in &rows {
        assert_eq!(row.len(), headers.len(), "a table row has the wrong width");
    }
    serde_json::to_value(out).expect("a tool result encodes as JSON");
}

// ------------------------------------------------------------------ config

/// `config.toml` text: parsing (with the line of any error), resolution into
/// settings and the checks each setting gets where it is used, and the
/// rewrite `devcontext config` does (which must stay a valid config).
pub fn config(data: &[u8]) {
    // read_file_config reads the file as UTF-8 text
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = match config::parse_file_config(text) {
        Ok(file) => file,
        Err((line, what)) => {
            assert!(line >= 1 && line <= text.split('\n').count(), "line {line}");
            assert!(!what.is_empty());
            return;
        }
    };
    match Settings::resolve(file, &Env::default(), &Overrides::default()) {
        Err(e) => show(&e),
        Ok(s) => {
            for url in [&s.github_api_url, &s.calendar_api_url, &s.slack_api_url] {
                let _ = net::secure_url(url, "API URL");
            }
            if let Some(base) = &s.model_base_url {
                let _ = net::secure_url(base, "model base URL");
            }
            if let Some(domain) = &s.auth0.domain {
                let _ = net::auth0_base(domain);
            }
            assert!(s.max_steps >= 1);
            assert!(s.model_temperature.is_none_or(|t| (0.0..=2.0).contains(&t)));
            let _ = Duration::from_secs(s.timeout_secs.max(120));
            let _ = s.has_tenant();
        }
    }
    match config::set_auth0(text, "tenant.us.auth0.com", "client-id") {
        Ok(out) => {
            let file = config::parse_file_config(&out)
                .unwrap_or_else(|e| panic!("the rewritten config does not parse: {e:?}\n{out}"));
            assert_eq!(file.auth0.domain.as_deref(), Some("tenant.us.auth0.com"));
            assert_eq!(file.auth0.client_id.as_deref(), Some("client-id"));
        }
        Err(config::SetError::Invalid(..)) => panic!("a valid config was refused"),
        Err(config::SetError::Encode(_)) => {}
    }
}

// ------------------------------------------------------------------ timespec

/// What users type for `--for`, `--since`/`--until`, `audit prune --before`
/// and `DEVCONTEXT_NOW`, with the arithmetic each command then does.
pub fn timespec(data: &[u8]) {
    // command-line arguments and environment values reach us as UTF-8
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let nows = [
        time("2026-11-28T12:00:00Z"),
        time("0000-01-01T00:00:00Z"),
        time("9999-12-31T23:59:59Z"),
    ];
    if let Ok(d) = timespec::parse_duration(text) {
        assert!(d.num_seconds() > 0 && d.num_seconds() <= 10 * 366 * 24 * 3600);
        for now in nows {
            // `perms grant --for`: expires_at_ms
            let _ = Clock::Fixed(now).now_ms() + d.num_milliseconds();
        }
    }
    for now in nows {
        if let Ok(t) = timespec::parse_time(text, now) {
            // `audit --since/--until` and `audit prune --before`
            let _ = t.timestamp_millis();
            let _ = t.to_rfc3339_opts(SecondsFormat::Secs, true);
        }
    }
    if let Ok(clock) = Clock::from_env(Some(text.to_string())) {
        let _ = clock.now_ms();
        let _ = timespec::parse_time("7d", clock.now());
        let _ = clock.now_ms() + timespec::parse_duration("520w").unwrap().num_milliseconds();
    }
}

// ------------------------------------------------------------------ tool arguments

/// A model's argument text for a tool call, through what `ask` does with it:
/// the agent's parse (a JSON object, or an error for the model), then each
/// registry tool's parse and validation and, for writes, the approval preview.
/// Whatever a write carries, its preview keeps the layout: no character a
/// terminal acts on, no row wider than the terminal, the target last.
fn preview_holds(p: &WritePreview) {
    for width in [0, 80, 120, 1000] {
        for full in [false, true] {
            let rows = approval::render(p, width, full);
            assert!(rows.iter().all(|r| !r.chars().any(sanitize::is_unsafe)));
            assert!(
                rows.iter()
                    .all(|r| r.chars().count() < width.clamp(40, 160))
            );
            let to = rows
                .iter()
                .position(|r| r.starts_with("══ to "))
                .expect("target");
            assert!(rows[to + 1..].iter().all(|r| r.starts_with("      ")));
            assert_eq!(rows.iter().filter(|r| r.starts_with("══ to ")).count(), 1);
        }
    }
}

pub fn tool_args(data: &[u8]) {
    // the model's arguments arrive as a JSON string, so as text
    let text = String::from_utf8_lossy(data);
    let args = match agent::parse_arguments(&text) {
        Ok(args) => args,
        Err(message) => {
            assert!(!message.is_empty());
            return;
        }
    };
    assert!(args.is_object(), "parse_arguments let through {args}");
    for tool in providers::registry().iter() {
        let spec = &tool.spec;
        match tool.validate(&args) {
            Ok(()) => match (spec.service, spec.name) {
                (Service::Github, "comment") => {
                    let a: github::CommentArgs = parse_args(args.clone()).expect("validated");
                    let r = github::plan_comment(&a);
                    preview_holds(&WritePreview {
                        tool: spec.full_name(),
                        fields: r
                            .fields
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.clone()))
                            .collect(),
                        target: r.target.clone(),
                        method: r.method.to_string(),
                        url: format!("https://api.github.com{}", r.path),
                    });
                }
                (Service::Slack, "post_message") => {
                    let a: slack::PostMessageArgs = parse_args(args.clone()).expect("validated");
                    preview_holds(&WritePreview {
                        tool: spec.full_name(),
                        fields: vec![("channel".into(), "C0FUZZ".into()), ("text".into(), a.text)],
                        target: format!("{} (C0FUZZ)", a.channel),
                        method: "POST".into(),
                        url: "https://slack.com/api/chat.postMessage".into(),
                    });
                }
                _ => {}
            },
            Err(e) => {
                show(&e);
                assert_eq!(
                    e.exit_code(),
                    2,
                    "{}: not a usage error: {e}",
                    spec.full_name()
                );
            }
        }
    }
}

// ------------------------------------------------------------------ HTTP answers

/// An HTTP answer as the fuzz input spells it: the status on the first line,
/// then `name: value` header lines, an empty line, and the body.
pub struct Answer<'a> {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: &'a [u8],
}

pub fn answer(data: &[u8]) -> Option<Answer<'_>> {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &data[data.len()..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let status = std::str::from_utf8(lines.next()?).ok()?.trim();
    let status = StatusCode::from_u16(status.parse().ok()?).ok()?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = HeaderName::from_bytes(line[..colon].trim_ascii());
        let value = HeaderValue::from_bytes(line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) = (name, value) {
            headers.append(name, value);
        }
    }
    Some(Answer {
        status,
        headers,
        body,
    })
}

/// Auth0's answers: the token endpoint (every grant, the Token Vault exchange
/// included) as a token or an OAuth error and every mapping of that error
/// (exchange, session, login, device polling), the device authorization
/// answer, the discovery document and the My Account API's answers.
pub fn auth0_responses(data: &[u8]) {
    let Some(a) = answer(data) else {
        return;
    };
    let retry_after = a.headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok());
    match read_token_answer::<TokenResponse>(a.status, retry_after, a.body) {
        Ok(t) => {
            assert!(a.status.is_success());
            let _ = t.refresh_token.is_some();
            let _ = vault::provider_token(t);
        }
        Err(TokenFailure::Other(e)) => show(&e),
        Err(TokenFailure::OAuth(e)) => {
            assert_eq!(e.status, a.status.as_u16());
            let _ = e.summary();
            // the vault's retry on 429
            let _ = Duration::from_secs(e.retry_after.unwrap_or(1));
            for service in Service::ALL {
                show(&vault::exchange_error(service, &e));
            }
            show(&auth::session_error(&e));
            for interval in [Duration::from_secs(5), Duration::MAX] {
                match login::device_poll_error(e.clone(), interval) {
                    Ok(next) => assert!(next >= interval),
                    Err(e) => show(&e),
                }
            }
            show(&login::login_error(TokenFailure::OAuth(e)));
        }
    }
    if let Ok(code) = read_token_answer::<DeviceCode>(a.status, retry_after, a.body) {
        if let Err(e) = code.verification_url() {
            show(&e);
        }
        assert!(code.poll_interval() >= Duration::from_secs(1));
        let _ = Instant::now() + code.lifetime(Duration::from_secs(600));
    }
    if a.status.is_success() {
        match Endpoints::from_discovery(a.body) {
            Ok(endpoints) => assert!(net::secure_url(&endpoints.token_endpoint, "t").is_ok()),
            Err(e) => show(&e),
        }
    }
    match connect::read_answer(a.status, a.body) {
        Ok(value) => match AccountsPage::read(value) {
            Ok(page) => {
                for account in &page.accounts {
                    let _ = account.service();
                }
            }
            Err(e) => show(&e),
        },
        Err(e) => show(&e),
    }
}

/// The providers' answers: the broker's body reading, each provider's error
/// interpretation (then redacted, as the broker does) and retry timing, and
/// every shaping function the tools apply to a successful answer.
pub fn provider_responses(data: &[u8]) {
    let Some(a) = answer(data) else {
        return;
    };
    let body = match read_body("fuzz", a.status, a.body) {
        Ok(body) => body,
        Err(e) => {
            show(&e);
            return;
        }
    };
    let headers = &a.headers;
    let providers: [&dyn ProviderHooks; 3] = [
        &github::GitHubHooks,
        &calendar::CalendarHooks,
        &slack::SlackHooks,
    ];
    for errors in providers {
        if let Some(e) = errors
            .interpret(a.status, headers, &body)
            .map(Error::redacted)
        {
            show(&e);
        }
        let _ = errors.is_unauthorized(a.status, &body);
    }
    let now = time("2026-11-28T12:00:00Z");
    for attempt in 1..=3 {
        let _ = retry_wait(headers, attempt, now.timestamp());
    }
    for limit in [1, 10, 50] {
        present(&github::shape_search(
            "is:open is:pr review-requested:@me",
            &body,
            limit,
        ));
        present(&github::shape_commits(
            "octocat", "acme/web", &body, headers, limit,
        ));
        present(&github::shape_events("octocat", &body, headers, limit));
        present(&github::shape_notifications(&body, headers, limit));
        let mentions = slack::shape_mentions(&body, limit);
        assert!(mentions.items.len() <= limit);
        serde_json::to_value(&mentions).expect("mentions encode");
    }
    let _ = github::has_next_page(headers);
    // Slack: a channel's history (or one message) with user names
    let names = BTreeMap::from([("U1".to_string(), "ana".to_string())]);
    let messages = body.get("messages").and_then(Value::as_array);
    for m in messages.into_iter().flatten().chain([&body]) {
        let m = slack::shape_message(m, &names);
        let _ = slack::ts_time(&m.ts);
    }
    // Google Calendar: the time-zone setting, then a day of events
    let zone = body.get("value").and_then(Value::as_str).unwrap_or("UTC");
    let items: Vec<Value> = body
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for now in [now, time("2026-03-29T00:30:00Z")] {
        let offset = calendar::fixed_offset(zone)
            .or_else(|| calendar::offset_from_events(&items, now))
            .unwrap_or_else(|| FixedOffset::east_opt(0).unwrap());
        for limit in [1, 20] {
            let day = calendar::shape_day(zone, offset, now, &items, limit);
            assert!(day.events.len() <= limit);
            present(&day);
        }
    }
    let _ = calendar::shape_event(&body);
}
