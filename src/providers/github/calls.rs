//! The GitHub tools' requests: the searches, my activity, notifications, and
//! the planned comment (the one write), with paths built only from checked
//! or encoded parts.

use reqwest::Method;
use serde_json::Value;

use super::{
    ActivityArgs, ActivityList, Comment, CommentArgs, IssueList, NotificationList,
    NotificationsArgs, SearchArgs, shape_commits, shape_events, shape_notifications, shape_search,
};
use crate::broker::{ApiClient, ApiResponse, BodyFormat, WriteRequest};
use crate::error::{Error, Result};
use crate::providers::s;

/// Which search a search tool runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    ReviewRequests,
    MyPullRequests,
    Assigned,
}

/// The search query for a tool (`is:open is:pr review-requested:@me repo:acme/web`).
pub fn search_query(kind: SearchKind, repo: Option<&str>) -> String {
    let mut q = match kind {
        SearchKind::ReviewRequests => "is:open is:pr review-requested:@me",
        SearchKind::MyPullRequests => "is:open is:pr author:@me",
        SearchKind::Assigned => "is:open assignee:@me",
    }
    .to_string();
    if let Some(r) = repo {
        q.push_str(" repo:");
        q.push_str(r);
    }
    q
}

pub async fn review_requests(api: ApiClient<'_>, args: SearchArgs) -> Result<IssueList> {
    search(api, SearchKind::ReviewRequests, args).await
}

pub async fn my_pull_requests(api: ApiClient<'_>, args: SearchArgs) -> Result<IssueList> {
    search(api, SearchKind::MyPullRequests, args).await
}

pub async fn assigned(api: ApiClient<'_>, args: SearchArgs) -> Result<IssueList> {
    search(api, SearchKind::Assigned, args).await
}

pub async fn search(api: ApiClient<'_>, kind: SearchKind, args: SearchArgs) -> Result<IssueList> {
    let query = search_query(kind, args.repo.as_deref());
    let r = api
        .get(
            "/search/issues",
            &[
                ("q", query.clone()),
                ("sort", "updated".into()),
                ("order", "desc".into()),
                ("per_page", args.limit.to_string()),
            ],
        )
        .await?;
    Ok(shape_search(&query, &r.body, args.limit as usize))
}

/// One path segment from outside data (a login from GitHub, a repository
/// the model named), percent-encoded; one that would change the path
/// (`..`, `/`, empty) is refused before any request.
fn segment(value: &str, what: &str) -> Result<String> {
    crate::net::path_segment(value).map_err(|why| {
        Error::upstream(format!("{what}: {why}; refusing to build the request")).with_hint(
            "`devcontext audit --decision error --limit 5` shows the call; report it if it repeats",
        )
    })
}

/// `/repos/OWNER/NAME` with both parts checked and encoded.
fn repo_path(repo: &str) -> Result<String> {
    let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
    Ok(format!(
        "/repos/{}/{}",
        segment(owner, "repository owner")?,
        segment(name, "repository name")?
    ))
}

pub async fn activity(api: ApiClient<'_>, args: ActivityArgs) -> Result<ActivityList> {
    let me = api.get("/user", &[]).await?;
    let login = s(&me.body, "login");
    if login.is_empty() {
        return Err(Error::upstream("GitHub's /user answer has no login"));
    }
    let per_page = args.limit.to_string();
    match &args.repo {
        Some(repo) => {
            let r = api
                .get(
                    &format!("{}/commits", repo_path(repo)?),
                    &[("author", login.clone()), ("per_page", per_page)],
                )
                .await?;
            Ok(shape_commits(
                &login,
                repo,
                &r.body,
                &r.headers,
                args.limit as usize,
            ))
        }
        None => {
            let r = api
                .get(
                    &format!("/users/{}/events", segment(&login, "GitHub login")?),
                    &[("per_page", per_page)],
                )
                .await?;
            Ok(shape_events(
                &login,
                &r.body,
                &r.headers,
                args.limit as usize,
            ))
        }
    }
}

/// Notifications are fetched a full page at a time so the count of those left out is known.
const NOTIFICATIONS_PAGE: u32 = 50;

pub async fn notifications(
    api: ApiClient<'_>,
    args: NotificationsArgs,
) -> Result<NotificationList> {
    let mut query = vec![("per_page", NOTIFICATIONS_PAGE.to_string())];
    if args.participating {
        query.push(("participating", "true".into()));
    }
    let r = api.get("/notifications", &query).await?;
    Ok(shape_notifications(
        &r.body,
        &r.headers,
        args.limit as usize,
    ))
}

/// Plans `github.comment`: the repository and number the request uses are
/// the target the person approves. `repo` passed [`check_repo`](crate::providers::check_repo) (letters,
/// digits, `-`, `_`, `.`; never `.` or `..`), so its two parts are path
/// segments that need no encoding and cannot change the path.
pub fn plan_comment(args: &CommentArgs) -> WriteRequest {
    WriteRequest {
        target: format!("{}#{}", args.repo, args.number),
        method: Method::POST,
        path: format!("/repos/{}/issues/{}/comments", args.repo, args.number),
        format: BodyFormat::Json,
        fields: vec![("body", args.body.clone())],
    }
}

/// What a comment gives back, from GitHub's answer.
pub fn commented(args: &CommentArgs, _request: &WriteRequest, answer: &ApiResponse) -> Comment {
    Comment {
        repo: args.repo.clone(),
        number: args.number,
        id: answer.body.get("id").and_then(Value::as_u64).unwrap_or(0),
        url: s(&answer.body, "html_url"),
        created_at: s(&answer.body, "created_at"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_from_outside_data_are_encoded_or_refused() {
        assert_eq!(repo_path("acme/web").unwrap(), "/repos/acme/web");
        assert_eq!(segment("dana r", "login").unwrap(), "dana%20r");
        for bad in ["..", "a/b", ""] {
            let e = segment(bad, "GitHub login").unwrap_err();
            assert_eq!(e.exit_code(), 5);
        }
        assert!(repo_path("acme/..").is_err());
        assert!(repo_path("acme").is_err());
    }

    #[test]
    fn queries_use_the_search_api_qualifiers() {
        assert_eq!(
            search_query(SearchKind::ReviewRequests, Some("acme/web")),
            "is:open is:pr review-requested:@me repo:acme/web"
        );
        assert_eq!(
            search_query(SearchKind::MyPullRequests, None),
            "is:open is:pr author:@me"
        );
        assert_eq!(
            search_query(SearchKind::Assigned, None),
            "is:open assignee:@me"
        );
    }

    #[test]
    fn a_comment_targets_the_repository_and_number_it_posts_to() {
        let a = CommentArgs {
            repo: "acme/web".into(),
            number: 12,
            body: "LGTM".into(),
        };
        let r = plan_comment(&a);
        assert_eq!(r.target, "acme/web#12");
        assert_eq!(r.method, Method::POST);
        assert_eq!(r.path, "/repos/acme/web/issues/12/comments");
        assert_eq!(r.fields, [("body", "LGTM".to_string())]);
    }
}
