//! Fake GitHub REST API (under `/github`) with a developer's day of sample
//! data: PRs awaiting Dana's review, her own PRs, assigned work, recent
//! events, commits and notifications, plus issue comments as the one write.
//! Only provider tokens minted by the emulator are accepted.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::providers::{account_for_token, ago, paginate};
use crate::state::{App, ConnectedAccount, GITHUB};
use crate::wire::*;

type S = AxState<Arc<App>>;

const DOCS: &str = "https://docs.github.com/rest";

struct Item {
    repo: &'static str,
    number: u64,
    title: &'static str,
    body: &'static str,
    author: &'static str,
    is_pr: bool,
    draft: bool,
    open: bool,
    created_min: i64,
    updated_min: i64,
    comments: u64,
    labels: &'static [(&'static str, &'static str)],
    assignees: &'static [&'static str],
    reviewers: &'static [&'static str],
}

const ME: &str = "dana-dev";

const ITEMS: &[Item] = &[
    Item {
        repo: "acme/payments",
        number: 482,
        title: "Add idempotency keys to refund endpoint",
        body: "Refund requests are retried by clients; this adds an Idempotency-Key header and a unique index.",
        author: "sam-lee",
        is_pr: true,
        draft: false,
        open: true,
        created_min: 26 * 60,
        updated_min: 120,
        comments: 4,
        labels: &[("payments", "0e8a16"), ("needs-review", "fbca04")],
        assignees: &[],
        reviewers: &[ME, "li-wei"],
    },
    Item {
        repo: "acme/web",
        number: 1290,
        title: "Migrate checkout page to the new design system",
        body: "Replaces the legacy checkout components with design-system ones. Screenshots inside.",
        author: "priya-k",
        is_pr: true,
        draft: false,
        open: true,
        created_min: 50 * 60,
        updated_min: 5 * 60,
        comments: 7,
        labels: &[("frontend", "1d76db")],
        assignees: &[],
        reviewers: &[ME],
    },
    Item {
        repo: "acme/infra",
        number: 77,
        title: "Bump Terraform AWS provider to v5",
        body: "Upgrades hashicorp/aws to 5.40 and fixes the deprecated S3 bucket arguments.",
        author: "marco-r",
        is_pr: true,
        draft: false,
        open: true,
        created_min: 72 * 60,
        updated_min: 26 * 60,
        comments: 1,
        labels: &[("infra", "5319e7"), ("dependencies", "0366d6")],
        assignees: &[],
        reviewers: &[ME],
    },
    Item {
        repo: "acme/payments",
        number: 479,
        title: "Retry webhook deliveries with exponential backoff",
        body: "Failed webhook deliveries are retried with jittered exponential backoff, capped at 8 attempts.",
        author: ME,
        is_pr: true,
        draft: false,
        open: true,
        created_min: 22 * 60,
        updated_min: 3 * 60,
        comments: 2,
        labels: &[("payments", "0e8a16")],
        assignees: &[],
        reviewers: &["sam-lee"],
    },
    Item {
        repo: "acme/web",
        number: 1284,
        title: "Fix flaky login end-to-end test",
        body: "Waits for the session cookie instead of a fixed sleep.",
        author: ME,
        is_pr: true,
        draft: true,
        open: true,
        created_min: 4 * 24 * 60,
        updated_min: 20 * 60,
        comments: 0,
        labels: &[("tests", "c5def5")],
        assignees: &[],
        reviewers: &[],
    },
    Item {
        repo: "acme/infra",
        number: 75,
        title: "Rotate staging database credentials",
        body: "Moves the staging DB password to Vault with a 30-day rotation.",
        author: "marco-r",
        is_pr: true,
        draft: false,
        open: true,
        created_min: 5 * 24 * 60,
        updated_min: 8 * 60,
        comments: 3,
        labels: &[("security", "b60205")],
        assignees: &[ME],
        reviewers: &["priya-k"],
    },
    Item {
        repo: "acme/payments",
        number: 471,
        title: "Currency rounding error in invoice totals",
        body: "Invoices in EUR are off by one cent when line items have three decimals.",
        author: "li-wei",
        is_pr: false,
        draft: false,
        open: true,
        created_min: 6 * 24 * 60,
        updated_min: 4 * 60,
        comments: 5,
        labels: &[("bug", "d73a4a"), ("p1", "b60205")],
        assignees: &[ME],
        reviewers: &[],
    },
    Item {
        repo: "acme/web",
        number: 1270,
        title: "Add dark mode toggle to settings",
        body: "Adds a theme switch persisted in local storage.",
        author: ME,
        is_pr: true,
        draft: false,
        open: false,
        created_min: 9 * 24 * 60,
        updated_min: 3 * 24 * 60,
        comments: 6,
        labels: &[("frontend", "1d76db")],
        assignees: &[],
        reviewers: &["priya-k"],
    },
    Item {
        repo: "acme/web",
        number: 1295,
        title: "Checkout button misaligned on Safari",
        body: "On Safari 17 the pay button overlaps the total.",
        author: "priya-k",
        is_pr: false,
        draft: false,
        open: true,
        created_min: 30 * 60,
        updated_min: 6 * 60,
        comments: 1,
        labels: &[("bug", "d73a4a"), ("frontend", "1d76db")],
        assignees: &["priya-k"],
        reviewers: &[],
    },
];

const REPOS: [&str; 3] = ["acme/payments", "acme/web", "acme/infra"];

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

fn issue_json(app: &App, it: &Item, anchor: DateTime<Utc>, me: &str) -> Value {
    let api = gh_base(app);
    let kind = if it.is_pr { "pull" } else { "issues" };
    let html_url = format!("https://github.com/{}/{kind}/{}", it.repo, it.number);
    let login = |l: &str| {
        if l == ME {
            me.to_string()
        } else {
            l.to_string()
        }
    };
    let assignees: Vec<Value> = it.assignees.iter().map(|a| user_json(&login(a))).collect();
    let mut v = json!({
        "url": format!("{api}/repos/{}/issues/{}", it.repo, it.number),
        "repository_url": format!("{api}/repos/{}", it.repo),
        "comments_url": format!("{api}/repos/{}/issues/{}/comments", it.repo, it.number),
        "html_url": html_url,
        "id": 2_000_000_000u64 + repo_id(it.repo) * 10 + it.number,
        "node_id": format!("I_kwDOemu{}{}", repo_id(it.repo), it.number),
        "number": it.number,
        "title": it.title,
        "body": it.body,
        "user": user_json(&login(it.author)),
        "labels": it.labels.iter().enumerate().map(|(i, (name, color))| json!({
            "id": 4_000_000 + i as u64, "name": name, "color": color, "default": false,
        })).collect::<Vec<_>>(),
        "state": if it.open { "open" } else { "closed" },
        "state_reason": if it.open { Value::Null } else { json!("completed") },
        "locked": false,
        "assignee": assignees.first().cloned().unwrap_or(Value::Null),
        "assignees": assignees,
        "milestone": null,
        "comments": it.comments,
        "created_at": rfc3339_s(ago(anchor, it.created_min)),
        "updated_at": rfc3339_s(ago(anchor, it.updated_min)),
        "closed_at": if it.open { Value::Null } else { json!(rfc3339_s(ago(anchor, it.updated_min))) },
        "author_association": "MEMBER",
        "draft": it.draft,
        "score": 1.0,
    });
    if it.is_pr {
        v["pull_request"] = json!({
            "url": format!("{api}/repos/{}/pulls/{}", it.repo, it.number),
            "html_url": html_url,
            "diff_url": format!("{html_url}.diff"),
            "patch_url": format!("{html_url}.patch"),
            "merged_at": if it.open { Value::Null } else { json!(rfc3339_s(ago(anchor, it.updated_min))) },
        });
    } else if let Value::Object(m) = &mut v {
        m.remove("draft");
    }
    v
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

pub async fn search_issues(AxState(app): S, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let (acc, anchor) = match auth(&app, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let pairs = query_pairs(q.as_deref());
    let p: Params = pairs.iter().cloned().collect();
    let Some(query) = p.get("q").filter(|q| !q.trim().is_empty()) else {
        return finish(
            json_response(
                422,
                json!({
                    "message": "Validation Failed",
                    "errors": [{"resource": "Search", "field": "q", "code": "missing"}],
                    "documentation_url": DOCS,
                    "status": "422",
                }),
            ),
            &acc,
        );
    };
    let me = acc.identity.login.clone();
    let mut matched: Vec<&Item> = ITEMS.iter().collect();
    for tok in query.split_whitespace() {
        let tok = tok.trim_matches('"');
        if tok.starts_with('-') {
            continue; // negations are ignored
        }
        let Some((key, val)) = tok.split_once(':') else {
            let word = tok.to_lowercase();
            matched.retain(|it| {
                it.title.to_lowercase().contains(&word) || it.body.to_lowercase().contains(&word)
            });
            continue;
        };
        let val = val.trim_matches('"');
        match (key.to_lowercase().as_str(), val.to_lowercase().as_str()) {
            ("is" | "type", "pr" | "pull-request") => matched.retain(|it| it.is_pr),
            ("is" | "type", "issue") => matched.retain(|it| !it.is_pr),
            ("is" | "state", "open") => matched.retain(|it| it.open),
            ("is" | "state", "closed") => matched.retain(|it| !it.open),
            ("is", "merged") => matched.retain(|it| it.is_pr && !it.open),
            ("is", "unmerged") => matched.retain(|it| it.is_pr && it.open),
            ("is", "draft") | ("draft", "true") => matched.retain(|it| it.draft),
            ("draft", "false") => matched.retain(|it| !it.draft),
            ("review-requested" | "user-review-requested", _) => {
                matched.retain(|it| it.reviewers.iter().any(|r| same_user(val, r, &me)))
            }
            ("author", _) => matched.retain(|it| same_user(val, it.author, &me)),
            ("assignee", _) => {
                matched.retain(|it| it.assignees.iter().any(|a| same_user(val, a, &me)))
            }
            ("involves", _) => matched.retain(|it| {
                same_user(val, it.author, &me)
                    || it.assignees.iter().any(|a| same_user(val, a, &me))
                    || it.reviewers.iter().any(|r| same_user(val, r, &me))
            }),
            ("repo", v) => matched.retain(|it| it.repo.eq_ignore_ascii_case(v)),
            ("org" | "user", v) => matched.retain(|it| {
                it.repo
                    .split('/')
                    .next()
                    .is_some_and(|o| o.eq_ignore_ascii_case(v))
            }),
            ("label", v) => {
                matched.retain(|it| it.labels.iter().any(|(l, _)| l.eq_ignore_ascii_case(v)))
            }
            _ => {} // unknown qualifiers are ignored
        }
    }
    match p.get("sort").map(String::as_str) {
        Some("created") => matched.sort_by_key(|it| it.created_min),
        Some("comments") => matched.sort_by_key(|it| std::cmp::Reverse(it.comments)),
        _ => matched.sort_by_key(|it| it.updated_min),
    }
    if p.get("order").map(String::as_str) == Some("asc") {
        matched.reverse();
    }
    let (page, per_page) = page_params(&p);
    let total = matched.len();
    let (slice, last) = paginate(&matched, page, per_page);
    let items: Vec<Value> = slice
        .iter()
        .map(|it| issue_json(&app, it, anchor, &me))
        .collect();
    let link = link_header(
        &format!("{}/search/issues", gh_base(&app)),
        &pairs,
        page,
        last,
    );
    finish(
        with_link(
            json_response(
                200,
                json!({"total_count": total, "incomplete_results": false, "items": items}),
            ),
            link,
        ),
        &acc,
    )
}

fn sha(seed: &str) -> String {
    sha256_hex(seed.as_bytes())[..40].to_string()
}

/// (repo, minutes ago, author login, author name, email, message)
const COMMITS: &[(&str, i64, &str, &str, &str, &str)] = &[
    (
        "acme/payments",
        40,
        ME,
        "Dana Developer",
        "dana@example.com",
        "Add jitter to webhook retry backoff",
    ),
    (
        "acme/payments",
        45,
        ME,
        "Dana Developer",
        "dana@example.com",
        "Cap webhook retries at 8 attempts",
    ),
    (
        "acme/payments",
        180,
        "sam-lee",
        "Sam Lee",
        "sam@example.com",
        "Add idempotency key column to refunds",
    ),
    (
        "acme/payments",
        22 * 60,
        ME,
        "Dana Developer",
        "dana@example.com",
        "Retry webhook deliveries with exponential backoff",
    ),
    (
        "acme/payments",
        2 * 24 * 60,
        "li-wei",
        "Li Wei",
        "li@example.com",
        "Add failing test for EUR invoice rounding",
    ),
    (
        "acme/web",
        5 * 60,
        "priya-k",
        "Priya Kumar",
        "priya@example.com",
        "Swap checkout buttons to design-system components",
    ),
    (
        "acme/web",
        20 * 60,
        ME,
        "Dana Developer",
        "dana@example.com",
        "Stabilise login e2e selectors",
    ),
    (
        "acme/web",
        2 * 24 * 60,
        "priya-k",
        "Priya Kumar",
        "priya@example.com",
        "Add design tokens package",
    ),
    (
        "acme/infra",
        8 * 60,
        "marco-r",
        "Marco Rossi",
        "marco@example.com",
        "Rotate staging DB credentials via Vault",
    ),
    (
        "acme/infra",
        26 * 60,
        "marco-r",
        "Marco Rossi",
        "marco@example.com",
        "Bump hashicorp/aws to 5.40",
    ),
];

fn commit_json(
    app: &App,
    c: &(&str, i64, &str, &str, &str, &str),
    anchor: DateTime<Utc>,
    me: &str,
) -> Value {
    let (repo, min, login, name, email, msg) = *c;
    let s = sha(&format!("{repo}{msg}"));
    let date = rfc3339_s(ago(anchor, min));
    let login = if login == ME { me } else { login };
    let api = gh_base(app);
    let person = json!({"name": name, "email": email, "date": date});
    json!({
        "sha": s,
        "node_id": format!("C_emu{}", &s[..12]),
        "url": format!("{api}/repos/{repo}/commits/{s}"),
        "html_url": format!("https://github.com/{repo}/commit/{s}"),
        "commit": {
            "author": person,
            "committer": person,
            "message": msg,
            "comment_count": 0,
            "url": format!("{api}/repos/{repo}/git/commits/{s}"),
        },
        "author": user_json(login),
        "committer": user_json(login),
        "parents": [],
    })
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

pub async fn commits(
    AxState(app): S,
    headers: HeaderMap,
    Path((owner, repo)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    let (acc, anchor) = match auth(&app, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let full = format!("{owner}/{repo}");
    if !REPOS.iter().any(|r| r.eq_ignore_ascii_case(&full)) {
        return finish(not_found(), &acc);
    }
    let pairs = query_pairs(q.as_deref());
    let p: Params = pairs.iter().cloned().collect();
    let me = acc.identity.login.clone();
    let since = p.get("since").and_then(|s| parse_time(s));
    let until = p.get("until").and_then(|s| parse_time(s));
    let list: Vec<Value> = COMMITS
        .iter()
        .filter(|c| c.0.eq_ignore_ascii_case(&full))
        .filter(|c| match p.get("author") {
            Some(a) => same_user(a, c.2, &me) || a.eq_ignore_ascii_case(c.4),
            None => true,
        })
        .filter(|c| since.is_none_or(|s| ago(anchor, c.1) >= s))
        .filter(|c| until.is_none_or(|u| ago(anchor, c.1) <= u))
        .map(|c| commit_json(&app, c, anchor, &me))
        .collect();
    let (page, per_page) = page_params(&p);
    let (slice, last) = paginate(&list, page, per_page);
    let link = link_header(
        &format!("{}/repos/{full}/commits", gh_base(&app)),
        &pairs,
        page,
        last,
    );
    finish(with_link(json_response(200, json!(slice)), link), &acc)
}

pub async fn events(
    AxState(app): S,
    headers: HeaderMap,
    Path(login): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let (acc, anchor) = match auth(&app, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let pairs = query_pairs(q.as_deref());
    let p: Params = pairs.iter().cloned().collect();
    let me = acc.identity.login.clone();
    let mut list: Vec<Value> = Vec::new();
    if login.eq_ignore_ascii_case(&me) {
        let actor = json!({
            "id": user_id(ME), "login": me, "display_login": me,
            "url": format!("https://api.github.com/users/{me}"),
            "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?", user_id(ME)),
        });
        let repo = |r: &str| json!({"id": repo_id(r), "name": r, "url": format!("{}/repos/{r}", gh_base(&app))});
        let item = |r: &str, n: u64| ITEMS.iter().find(|i| i.repo == r && i.number == n);
        let push = |id: u64, r: &str, min: i64, branch: &str, msgs: &[&str]| {
            let commits: Vec<Value> = msgs
                .iter()
                .map(|m| json!({
                    "sha": sha(&format!("{r}{m}")),
                    "author": {"email": "dana@example.com", "name": "Dana Developer"},
                    "message": m, "distinct": true,
                    "url": format!("{}/repos/{r}/commits/{}", gh_base(&app), sha(&format!("{r}{m}"))),
                }))
                .collect();
            json!({
                "id": id.to_string(), "type": "PushEvent", "actor": actor, "repo": repo(r),
                "payload": {
                    "repository_id": repo_id(r), "push_id": id * 3, "size": msgs.len(),
                    "distinct_size": msgs.len(), "ref": format!("refs/heads/{branch}"),
                    "head": commits.first().map(|c| c["sha"].clone()).unwrap_or(Value::Null),
                    "before": sha(&format!("before{id}")), "commits": commits,
                },
                "public": false, "created_at": rfc3339_s(ago(anchor, min)),
            })
        };
        list.push(push(
            41_000_009,
            "acme/payments",
            40,
            "webhook-retries",
            &[
                "Cap webhook retries at 8 attempts",
                "Add jitter to webhook retry backoff",
            ],
        ));
        if let Some(it) = item("acme/payments", 471) {
            list.push(json!({
                "id": "41000008", "type": "IssueCommentEvent", "actor": actor, "repo": repo(it.repo),
                "payload": {
                    "action": "created",
                    "issue": issue_json(&app, it, anchor, &me),
                    "comment": {
                        "id": 1_800_000_471u64, "body": "Reproduced with EUR invoices, fix incoming today.",
                        "html_url": format!("https://github.com/{}/issues/{}#issuecomment-1800000471", it.repo, it.number),
                        "user": user_json(&me), "created_at": rfc3339_s(ago(anchor, 4 * 60)),
                    },
                },
                "public": false, "created_at": rfc3339_s(ago(anchor, 4 * 60)),
            }));
        }
        list.push(push(
            41_000_007,
            "acme/web",
            20 * 60,
            "fix-flaky-login-e2e",
            &["Stabilise login e2e selectors"],
        ));
        if let Some(it) = item("acme/payments", 479) {
            list.push(json!({
                "id": "41000006", "type": "PullRequestEvent", "actor": actor, "repo": repo(it.repo),
                "payload": {
                    "action": "opened", "number": it.number,
                    "pull_request": {
                        "number": it.number, "title": it.title, "state": "open", "draft": false,
                        "html_url": format!("https://github.com/{}/pull/{}", it.repo, it.number),
                        "url": format!("{}/repos/{}/pulls/{}", gh_base(&app), it.repo, it.number),
                        "user": user_json(&me),
                    },
                },
                "public": false, "created_at": rfc3339_s(ago(anchor, 22 * 60)),
            }));
        }
        list.push(push(
            41_000_005,
            "acme/payments",
            22 * 60 + 5,
            "webhook-retries",
            &["Retry webhook deliveries with exponential backoff"],
        ));
        if let Some(it) = item("acme/web", 1290) {
            list.push(json!({
                "id": "41000004", "type": "IssueCommentEvent", "actor": actor, "repo": repo(it.repo),
                "payload": {
                    "action": "created",
                    "issue": issue_json(&app, it, anchor, &me),
                    "comment": {
                        "id": 1_800_001_290u64, "body": "Looks great on Chrome; checking Safari next.",
                        "html_url": format!("https://github.com/{}/pull/{}#issuecomment-1800001290", it.repo, it.number),
                        "user": user_json(&me), "created_at": rfc3339_s(ago(anchor, 28 * 60)),
                    },
                },
                "public": false, "created_at": rfc3339_s(ago(anchor, 28 * 60)),
            }));
        }
        if let Some(it) = item("acme/infra", 77) {
            list.push(json!({
                "id": "41000003", "type": "PullRequestReviewEvent", "actor": actor, "repo": repo(it.repo),
                "payload": {
                    "action": "created",
                    "review": {"id": 2_100_000_077u64, "state": "commented", "body": "One question about the S3 lifecycle rules.",
                        "submitted_at": rfc3339_s(ago(anchor, 30 * 60))},
                    "pull_request": {
                        "number": it.number, "title": it.title, "state": "open",
                        "html_url": format!("https://github.com/{}/pull/{}", it.repo, it.number),
                        "user": user_json(it.author),
                    },
                },
                "public": false, "created_at": rfc3339_s(ago(anchor, 30 * 60)),
            }));
        }
    }
    let (page, per_page) = page_params(&p);
    let (slice, last) = paginate(&list, page, per_page);
    let link = link_header(
        &format!("{}/users/{login}/events", gh_base(&app)),
        &pairs,
        page,
        last,
    );
    finish(with_link(json_response(200, json!(slice)), link), &acc)
}

/// (id, reason, unread, repo, number, minutes ago)
const NOTIFICATIONS: &[(&str, &str, bool, &str, u64, i64)] = &[
    ("9001", "review_requested", true, "acme/payments", 482, 120),
    ("9003", "mention", true, "acme/payments", 471, 4 * 60),
    ("9002", "review_requested", true, "acme/web", 1290, 5 * 60),
    ("9005", "subscribed", true, "acme/web", 1295, 6 * 60),
    ("9004", "assign", true, "acme/infra", 75, 8 * 60),
    ("9006", "review_requested", false, "acme/infra", 77, 26 * 60),
];

pub async fn notifications(AxState(app): S, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let (acc, anchor) = match auth(&app, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let pairs = query_pairs(q.as_deref());
    let p: Params = pairs.iter().cloned().collect();
    let all = p.get("all").map(String::as_str) == Some("true");
    let participating = p.get("participating").map(String::as_str) == Some("true");
    let since = p.get("since").and_then(|s| parse_time(s));
    let before = p.get("before").and_then(|s| parse_time(s));
    let api = gh_base(&app);
    let list: Vec<Value> = NOTIFICATIONS
        .iter()
        .filter(|n| all || n.2)
        .filter(|n| !participating || n.1 != "subscribed")
        .filter(|n| since.is_none_or(|s| ago(anchor, n.5) >= s))
        .filter(|n| before.is_none_or(|b| ago(anchor, n.5) < b))
        .filter_map(|n| {
            let it = ITEMS.iter().find(|i| i.repo == n.3 && i.number == n.4)?;
            let kind = if it.is_pr { "pulls" } else { "issues" };
            Some(json!({
                "id": n.0,
                "unread": n.2,
                "reason": n.1,
                "updated_at": rfc3339_s(ago(anchor, n.5)),
                "last_read_at": if n.2 { Value::Null } else { json!(rfc3339_s(ago(anchor, n.5 - 10))) },
                "subject": {
                    "title": it.title,
                    "url": format!("{api}/repos/{}/{kind}/{}", it.repo, it.number),
                    "latest_comment_url": format!("{api}/repos/{}/issues/{}", it.repo, it.number),
                    "type": if it.is_pr { "PullRequest" } else { "Issue" },
                },
                "repository": repo_json(it.repo),
                "url": format!("{api}/notifications/threads/{}", n.0),
                "subscription_url": format!("{api}/notifications/threads/{}/subscription", n.0),
            }))
        })
        .collect();
    let (page, per_page) = page_params(&p);
    let (slice, last) = paginate(&list, page, per_page);
    let link = link_header(&format!("{api}/notifications"), &pairs, page, last);
    finish(with_link(json_response(200, json!(slice)), link), &acc)
}

pub async fn create_comment(
    AxState(app): S,
    headers: HeaderMap,
    Path((owner, repo, number)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let (acc, _) = match auth(&app, &headers) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let full = format!("{owner}/{repo}");
    let Some(it) = number.parse::<u64>().ok().and_then(|n| {
        ITEMS
            .iter()
            .find(|i| i.repo.eq_ignore_ascii_case(&full) && i.number == n)
    }) else {
        return finish(not_found(), &acc);
    };
    let text = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("body").and_then(Value::as_str).map(str::to_string))
        .filter(|b| !b.is_empty());
    let Some(text) = text else {
        return finish(
            json_response(
                422,
                json!({
                    "message": "Invalid request.\n\n\"body\" wasn't supplied.",
                    "documentation_url": DOCS,
                    "status": "422",
                }),
            ),
            &acc,
        );
    };
    let mut st = app.lock();
    let id = st.next_comment_id;
    st.next_comment_id += 1;
    let now = rfc3339_s(st.now());
    let kind = if it.is_pr { "pull" } else { "issues" };
    let html_url = format!(
        "https://github.com/{}/{kind}/{}#issuecomment-{id}",
        it.repo, it.number
    );
    let api = gh_base(&app);
    let comment = json!({
        "id": id,
        "node_id": format!("IC_emu{id}"),
        "url": format!("{api}/repos/{}/issues/comments/{id}", it.repo),
        "html_url": html_url,
        "issue_url": format!("{api}/repos/{}/issues/{}", it.repo, it.number),
        "body": text,
        "user": user_json(&acc.identity.login),
        "created_at": now,
        "updated_at": now,
        "author_association": "MEMBER",
    });
    st.writes.push(json!({
        "service": "github",
        "kind": "issue_comment",
        "repo": it.repo,
        "number": it.number,
        "body": text,
        "at": now,
        "html_url": comment["html_url"],
    }));
    drop(st);
    let mut r = (StatusCode::CREATED, axum::Json(comment)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{api}/repos/{}/issues/comments/{id}", it.repo)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    finish(r, &acc)
}

pub async fn fallback(AxState(app): S, headers: HeaderMap) -> Response {
    match auth(&app, &headers) {
        Ok((acc, _)) => finish(not_found(), &acc),
        Err(r) => r,
    }
}
