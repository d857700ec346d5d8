//! What happened lately at GitHub: a repository's commits, a user's events
//! (pushes, comments, pull requests, reviews) and the notifications inbox.

use axum::extract::{Path, RawQuery, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::data::{COMMITS, ITEMS, ME, NOTIFICATIONS, REPOS};
use super::issues::issue_json;
use super::{
    S, auth, finish, gh_base, link_header, not_found, page_params, parse_time, repo_id, repo_json,
    same_user, user_id, user_json, with_link,
};
use crate::providers::{ago, paginate};
use crate::state::App;
use crate::wire::*;

fn sha(seed: &str) -> String {
    sha256_hex(seed.as_bytes())[..40].to_string()
}

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
