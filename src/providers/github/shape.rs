//! GitHub's answers shaped into the tools' results: only the fields worth
//! showing, long text cut, and the count of what was left out. Outside
//! input: never panics.

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::{Activity, ActivityList, Issue, IssueList, Notification, NotificationList};
use crate::providers::{MAX_TEXT, header, opt_s, plural, s, truncate};

/// Shapes a `/search/issues` answer.
pub fn shape_search(query: &str, body: &Value, limit: usize) -> IssueList {
    let raw = body
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let items: Vec<Issue> = raw.iter().take(limit).map(shape_issue).collect();
    let total = body
        .get("total_count")
        .and_then(Value::as_u64)
        .unwrap_or(raw.len() as u64)
        .max(items.len() as u64);
    IssueList {
        query: query.to_string(),
        total,
        omitted: total - items.len() as u64,
        incomplete: body
            .get("incomplete_results")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        items,
    }
}

fn shape_issue(v: &Value) -> Issue {
    let url = s(v, "html_url");
    Issue {
        repo: repo_of(v),
        number: v.get("number").and_then(Value::as_u64).unwrap_or(0),
        title: truncate(&s(v, "title"), MAX_TEXT),
        author: v.get("user").map(|u| s(u, "login")).unwrap_or_default(),
        kind: if v.get("pull_request").is_some_and(|p| !p.is_null()) {
            "pull_request"
        } else {
            "issue"
        },
        draft: v.get("draft").and_then(Value::as_bool).unwrap_or(false),
        comments: v.get("comments").and_then(Value::as_u64).unwrap_or(0),
        labels: v
            .get("labels")
            .and_then(Value::as_array)
            .map(|ls| ls.iter().map(|l| s(l, "name")).take(10).collect())
            .unwrap_or_default(),
        created_at: s(v, "created_at"),
        updated_at: s(v, "updated_at"),
        url,
    }
}

/// `owner/name` from `repository_url` (`.../repos/acme/web`) or the html URL.
fn repo_of(v: &Value) -> String {
    if let Some(u) = opt_s(v, "repository_url")
        && let Some(i) = u.rfind("/repos/")
    {
        return u[i + "/repos/".len()..].to_string();
    }
    let html = s(v, "html_url");
    html.trim_start_matches("https://github.com/")
        .splitn(3, '/')
        .take(2)
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a `Link` header names a next page.
pub fn has_next_page(headers: &HeaderMap) -> bool {
    header(headers, "link").is_some_and(|l| l.contains("rel=\"next\""))
}

pub fn shape_commits(
    login: &str,
    repo: &str,
    body: &Value,
    headers: &HeaderMap,
    limit: usize,
) -> ActivityList {
    let raw = body.as_array().cloned().unwrap_or_default();
    let items: Vec<Activity> = raw
        .iter()
        .take(limit)
        .map(|c| {
            let commit = c.get("commit").cloned().unwrap_or(Value::Null);
            let message = s(&commit, "message");
            let first_line = message.lines().next().unwrap_or_default();
            Activity {
                kind: "commit".into(),
                repo: repo.to_string(),
                summary: format!(
                    "{} {}",
                    s(c, "sha").chars().take(7).collect::<String>(),
                    truncate(first_line, MAX_TEXT)
                ),
                url: opt_s(c, "html_url"),
                at: commit
                    .get("author")
                    .map(|a| s(a, "date"))
                    .unwrap_or_default(),
            }
        })
        .collect();
    ActivityList {
        user: login.to_string(),
        repo: Some(repo.to_string()),
        omitted: (raw.len() - items.len()) as u64,
        more: has_next_page(headers),
        items,
    }
}

pub fn shape_events(login: &str, body: &Value, headers: &HeaderMap, limit: usize) -> ActivityList {
    let raw = body.as_array().cloned().unwrap_or_default();
    let items: Vec<Activity> = raw.iter().take(limit).map(shape_event).collect();
    ActivityList {
        user: login.to_string(),
        repo: None,
        omitted: (raw.len() - items.len()) as u64,
        more: has_next_page(headers),
        items,
    }
}

fn shape_event(e: &Value) -> Activity {
    let kind = s(e, "type");
    let repo = e.get("repo").map(|r| s(r, "name")).unwrap_or_default();
    let p = e.get("payload").cloned().unwrap_or(Value::Null);
    let item_title = |key: &str| {
        p.get(key)
            .map(|i| {
                (
                    format!(
                        "#{} {}",
                        i.get("number").and_then(Value::as_u64).unwrap_or(0),
                        s(i, "title")
                    ),
                    opt_s(i, "html_url"),
                )
            })
            .unwrap_or_default()
    };
    let (summary, url) = match kind.as_str() {
        "PushEvent" => {
            let commits = p.get("commits").and_then(Value::as_array);
            let n = commits
                .map(Vec::len)
                .or(p.get("size").and_then(Value::as_u64).map(|n| n as usize))
                .unwrap_or(0);
            let branch = s(&p, "ref").trim_start_matches("refs/heads/").to_string();
            let last = commits
                .and_then(|c| c.first())
                .map(|c| s(c, "message"))
                .unwrap_or_default();
            let first_line = last.lines().next().unwrap_or_default().to_string();
            (
                format!(
                    "pushed {} to {branch}: {first_line}",
                    plural(n, "commit", "commits")
                ),
                None,
            )
        }
        "PullRequestEvent" => {
            let (t, u) = item_title("pull_request");
            (format!("{} pull request {t}", s(&p, "action")), u)
        }
        "PullRequestReviewEvent" => {
            let (t, u) = item_title("pull_request");
            let state = p.get("review").map(|r| s(r, "state")).unwrap_or_default();
            (format!("reviewed ({state}) {t}"), u)
        }
        "PullRequestReviewCommentEvent" => {
            let (t, u) = item_title("pull_request");
            (format!("commented on the review of {t}"), u)
        }
        "IssueCommentEvent" => {
            let (t, _) = item_title("issue");
            let url = p.get("comment").and_then(|c| opt_s(c, "html_url"));
            (format!("commented on {t}"), url)
        }
        "IssuesEvent" => {
            let (t, u) = item_title("issue");
            (format!("{} issue {t}", s(&p, "action")), u)
        }
        "CreateEvent" | "DeleteEvent" => {
            let verb = if kind == "CreateEvent" {
                "created"
            } else {
                "deleted"
            };
            (
                format!("{verb} {} {}", s(&p, "ref_type"), s(&p, "ref")),
                None,
            )
        }
        other => (other.trim_end_matches("Event").to_lowercase(), None),
    };
    Activity {
        kind,
        repo,
        summary: truncate(&summary, MAX_TEXT),
        url,
        at: s(e, "created_at"),
    }
}

pub fn shape_notifications(body: &Value, headers: &HeaderMap, limit: usize) -> NotificationList {
    let raw = body.as_array().cloned().unwrap_or_default();
    let items: Vec<Notification> = raw
        .iter()
        .filter(|n| n.get("unread").and_then(Value::as_bool).unwrap_or(true))
        .take(limit)
        .map(|n| {
            let subject = n.get("subject").cloned().unwrap_or(Value::Null);
            let repo = n
                .get("repository")
                .map(|r| s(r, "full_name"))
                .unwrap_or_default();
            Notification {
                url: opt_s(&subject, "url").map(|u| api_to_html(&u)),
                title: truncate(&s(&subject, "title"), MAX_TEXT),
                kind: s(&subject, "type"),
                reason: s(n, "reason"),
                updated_at: s(n, "updated_at"),
                repo,
            }
        })
        .collect();
    let unread = raw
        .iter()
        .filter(|n| n.get("unread").and_then(Value::as_bool).unwrap_or(true))
        .count();
    NotificationList {
        omitted: (unread - items.len()) as u64,
        more: has_next_page(headers),
        items,
    }
}

/// `https://api.github.com/repos/acme/web/pulls/1` -> `https://github.com/acme/web/pull/1`.
pub fn api_to_html(url: &str) -> String {
    let Some(i) = url.find("/repos/") else {
        return url.to_string();
    };
    let rest = &url[i + "/repos/".len()..];
    let rest = rest.replacen("/pulls/", "/pull/", 1);
    format!("https://github.com/{rest}")
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderMap;
    use serde_json::json;

    use super::*;
    use crate::providers::github::tests::headers;
    use crate::tools::Report;

    #[test]
    fn search_results_are_compact_and_count_what_is_left_out() {
        let long = "t".repeat(1000);
        let body = json!({
            "total_count": 7,
            "incomplete_results": false,
            "items": [
                {"number": 482, "title": "Add idempotency keys", "html_url": "https://github.com/acme/payments/pull/482",
                 "repository_url": "https://api.github.com/repos/acme/payments", "user": {"login": "sam-lee", "id": 1},
                 "pull_request": {"url": "x"}, "draft": false, "comments": 4, "labels": [{"name": "payments"}],
                 "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z", "body": "long body not kept"},
                {"number": 9, "title": long, "html_url": "https://github.com/acme/web/issues/9",
                 "user": {"login": "li"}, "comments": 0, "labels": [],
                 "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z"},
                {"number": 10, "title": "third"}
            ]
        });
        let list = shape_search("q", &body, 2);
        assert_eq!(list.total, 7);
        assert_eq!(list.omitted, 5);
        assert_eq!(list.items.len(), 2);
        let first = &list.items[0];
        assert_eq!(first.repo, "acme/payments");
        assert_eq!(first.author, "sam-lee");
        assert_eq!(first.kind, "pull_request");
        assert_eq!(first.labels, vec!["payments"]);
        let second = &list.items[1];
        assert_eq!(second.repo, "acme/web");
        assert_eq!(second.kind, "issue");
        assert_eq!(second.title.chars().count(), MAX_TEXT);
        let v = serde_json::to_value(&list).unwrap();
        assert!(
            v.to_string().find("long body").is_none(),
            "bodies are not copied"
        );
        assert_eq!(list.summary(), "7 issues and pull requests");
    }

    #[test]
    fn events_and_commits_become_one_line_activity() {
        let body = json!([
            {"type": "PushEvent", "repo": {"name": "acme/payments"}, "created_at": "2026-01-02T10:00:00Z",
             "payload": {"ref": "refs/heads/webhook-retries", "commits": [{"message": "Cap retries\n\nbody"}, {"message": "b"}]}},
            {"type": "PullRequestEvent", "repo": {"name": "acme/payments"}, "created_at": "2026-01-02T09:00:00Z",
             "payload": {"action": "opened", "pull_request": {"number": 479, "title": "Retry webhooks", "html_url": "https://github.com/acme/payments/pull/479"}}},
            {"type": "WatchEvent", "repo": {"name": "x/y"}, "created_at": "2026-01-01T00:00:00Z", "payload": {}}
        ]);
        let h = headers(&[(
            "link",
            "<https://api.github.com/user/1/events?page=2>; rel=\"next\"",
        )]);
        let list = shape_events("dana", &body, &h, 2);
        assert_eq!(list.items.len(), 2);
        assert_eq!(list.omitted, 1);
        assert!(list.more);
        assert_eq!(
            list.items[0].summary,
            "pushed 2 commits to webhook-retries: Cap retries"
        );
        assert_eq!(
            list.items[1].summary,
            "opened pull request #479 Retry webhooks"
        );
        assert_eq!(
            list.items[1].url.as_deref(),
            Some("https://github.com/acme/payments/pull/479")
        );

        let commits = json!([{"sha": "abcdef1234567", "html_url": "https://github.com/a/b/commit/abc",
            "commit": {"message": "Fix it\n\nlong", "author": {"date": "2026-01-02T00:00:00Z"}}}]);
        let list = shape_commits("dana", "a/b", &commits, &HeaderMap::new(), 10);
        assert_eq!(list.items[0].summary, "abcdef1 Fix it");
        assert!(!list.more);
        assert_eq!(list.summary(), "1 commit");
    }

    #[test]
    fn notifications_keep_unread_and_link_to_the_web() {
        let body = json!([
            {"unread": true, "reason": "review_requested", "updated_at": "t1",
             "subject": {"title": "PR", "url": "https://api.github.com/repos/acme/web/pulls/1290", "type": "PullRequest"},
             "repository": {"full_name": "acme/web"}},
            {"unread": false, "reason": "subscribed", "updated_at": "t0",
             "subject": {"title": "old", "type": "Issue"}, "repository": {"full_name": "acme/web"}},
            {"unread": true, "reason": "mention", "updated_at": "t2",
             "subject": {"title": "Bug", "url": "https://api.github.com/repos/acme/pay/issues/4", "type": "Issue"},
             "repository": {"full_name": "acme/pay"}}
        ]);
        let list = shape_notifications(&body, &HeaderMap::new(), 1);
        assert_eq!(list.items.len(), 1);
        assert_eq!(list.omitted, 1);
        assert_eq!(
            list.items[0].url.as_deref(),
            Some("https://github.com/acme/web/pull/1290")
        );
        assert_eq!(list.summary(), "2 unread notifications");
    }
}
