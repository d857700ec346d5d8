//! Fake GitHub REST API (under `/github`) with a developer's day of sample
//! data: PRs awaiting Dana's review, her own PRs, assigned work, recent
//! events, commits and notifications, plus issue comments as the one write.
//! Only provider tokens minted by the emulator are accepted.
//!
//! This module holds what every endpoint shares (authentication, GitHub's
//! headers and errors, pagination and `Link`, user and repository JSON), the
//! `/user` endpoint and the fallback; the sample data is in `data`, search and
//! comments in `issues`, commits, events and notifications in `activity`.

mod activity;
mod data;
mod issues;

pub use activity::{commits, events, notifications};
pub use issues::{create_comment, search_issues};

use std::sync::Arc;

use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::providers::account_for_token;
use crate::state::{App, ConnectedAccount, GITHUB};
use crate::wire::*;
use data::ME;

type S = AxState<Arc<App>>;

const DOCS: &str = "https://docs.github.com/rest";

fn user_id(login: &str) -> u64 {
    match login {
        ME => 583_231,
        _ => 100_000 + login.bytes().map(u64::from).sum::<u64>() * 37,
    }
}

fn user_json(login: &str) -> Value {
    json!({
        "login": login,
        "id": user_id(login),
        "node_id": format!("MDQ6VXNlcj{}", user_id(login)),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", user_id(login)),
        "url": format!("https://api.github.com/users/{login}"),
        "html_url": format!("https://github.com/{login}"),
        "type": "User",
        "site_admin": false,
    })
}

fn repo_id(full: &str) -> u64 {
    match full {
        "acme/payments" => 610_001,
        "acme/web" => 610_002,
        _ => 610_003,
    }
}

fn repo_json(full: &str) -> Value {
    let owner = full.split('/').next().unwrap_or("acme");
    json!({
        "id": repo_id(full),
        "name": full.split('/').nth(1).unwrap_or(full),
        "full_name": full,
        "private": true,
        "owner": user_json(owner),
        "html_url": format!("https://github.com/{full}"),
    })
}

fn gh_base(app: &App) -> String {
    format!("{}/github", app.base)
}

/// Common GitHub response headers (scopes, media type, rate limit).
fn finish(mut r: Response, acc: &ConnectedAccount) -> Response {
    let h = r.headers_mut();
    let scopes = acc.scopes.join(", ");
    if let Ok(v) = HeaderValue::from_str(&scopes) {
        h.insert("x-oauth-scopes", v);
    }
    h.insert("x-accepted-oauth-scopes", HeaderValue::from_static("repo"));
    h.insert(
        "x-github-media-type",
        HeaderValue::from_static("github.v3; format=json"),
    );
    h.insert("x-ratelimit-limit", HeaderValue::from_static("5000"));
    h.insert("x-ratelimit-remaining", HeaderValue::from_static("4987"));
    h.insert("x-ratelimit-used", HeaderValue::from_static("13"));
    h.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
    r
}

fn bad_credentials() -> Response {
    json_response(
        401,
        json!({"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}),
    )
}

fn not_found() -> Response {
    json_response(
        404,
        json!({"message": "Not Found", "documentation_url": DOCS, "status": "404"}),
    )
}

/// Authenticates and returns (account, anchor) or the 401 answer.
fn auth(app: &App, headers: &HeaderMap) -> Result<(ConnectedAccount, DateTime<Utc>), Response> {
    account_for_token(app, headers, None, GITHUB).ok_or_else(bad_credentials)
}

fn page_params(p: &Params) -> (usize, usize) {
    let per_page = p
        .get("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30usize)
        .clamp(1, 100);
    let page = p
        .get("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1usize)
        .max(1);
    (page, per_page)
}

/// GitHub-style `Link` header for a paginated list.
fn link_header(url: &str, pairs: &[(String, String)], page: usize, last: usize) -> Option<String> {
    if last <= 1 {
        return None;
    }
    let mk = |p: usize| {
        let mut q: Vec<(String, String)> =
            pairs.iter().filter(|(k, _)| k != "page").cloned().collect();
        q.push(("page".into(), p.to_string()));
        let qs = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(q)
            .finish();
        format!("{url}?{qs}")
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("<{}>; rel=\"prev\"", mk(page - 1)));
    }
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", mk(page + 1)));
        links.push(format!("<{}>; rel=\"last\"", mk(last)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"first\"", mk(1)));
    }
    Some(links.join(", "))
}

fn with_link(mut r: Response, link: Option<String>) -> Response {
    if let Some(l) = link
        && let Ok(v) = HeaderValue::from_str(&l)
    {
        r.headers_mut().insert(header::LINK, v);
    }
    r
}

pub async fn user(AxState(app): S, headers: HeaderMap) -> Response {
    let (acc, _) = match auth(&app, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let login = &acc.identity.login;
    let mut u = user_json(login);
    if let Value::Object(m) = &mut u {
        let id: u64 = acc
            .identity
            .provider_user_id
            .parse()
            .unwrap_or(user_id(login));
        m.insert("id".into(), json!(id));
        m.insert(
            "name".into(),
            json!(if login == ME {
                "Dana Developer"
            } else {
                login.as_str()
            }),
        );
        m.insert("company".into(), json!("@acme"));
        m.insert("blog".into(), json!(""));
        m.insert("location".into(), json!("Berlin"));
        m.insert("email".into(), json!(acc.identity.email));
        m.insert("bio".into(), json!("Backend engineer, payments team"));
        m.insert("public_repos".into(), json!(12));
        m.insert("followers".into(), json!(48));
        m.insert("following".into(), json!(20));
        m.insert("created_at".into(), json!("2017-03-02T10:11:12Z"));
        m.insert("updated_at".into(), json!("2026-01-10T09:00:00Z"));
    }
    finish(json_response(200, u), &acc)
}

/// Does `who` (from a qualifier, `@me` resolved) equal `login` (sample data uses `dana-dev` for the user)?
fn same_user(qual: &str, data_login: &str, me: &str) -> bool {
    let q = if qual == "@me" { me } else { qual };
    let d = if data_login == ME { me } else { data_login };
    q.eq_ignore_ascii_case(d)
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
}

pub async fn fallback(AxState(app): S, headers: HeaderMap) -> Response {
    match auth(&app, &headers) {
        Ok((acc, _)) => finish(not_found(), &acc),
        Err(r) => r,
    }
}
