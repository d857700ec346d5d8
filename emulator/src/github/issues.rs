//! GitHub issues and pull requests: their JSON, issue search with the
//! qualifiers devcontext sends, and posting a comment (the one write).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::data::{ITEMS, Item, ME};
use super::{
    DOCS, S, auth, finish, gh_base, link_header, not_found, page_params, repo_id, same_user,
    user_json, with_link,
};
use crate::providers::{ago, paginate};
use crate::state::App;
use crate::wire::*;

pub(super) fn issue_json(app: &App, it: &Item, anchor: DateTime<Utc>, me: &str) -> Value {
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
