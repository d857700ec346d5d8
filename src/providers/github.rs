//! GitHub tools: pull requests awaiting my review, that I opened, work
//! assigned to me (all from the search API: `/issues` has no review-request
//! filter), my recent activity or commits, unread notifications, and a
//! comment on an issue or pull request (the one write).

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    MAX_TEXT, ToolArgs, ToolOutput, check_limit, check_repo, check_text, default_limit,
    generic_status, header, opt_s, plural, s, truncate,
};
use crate::broker::{ApiClient, ApiResponse, BodyFormat, ProviderErrors, WriteRequest};
use crate::error::{Error, Result};
use crate::output::Column;

/// Longest comment body accepted (GitHub's own limit is 65,536 characters).
pub const MAX_COMMENT: usize = 65_536;

// ---------------------------------------------------------------- arguments

/// Arguments of the search-based tools (review requests, my pull requests, assigned).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// Only this repository, as owner/name (e.g. acme/web)
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$"))]
    pub repo: Option<String>,
    /// Most items to return (1-50)
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

impl ToolArgs for SearchArgs {
    fn validate(&self) -> Result<()> {
        if let Some(r) = &self.repo {
            check_repo("repo", r)?;
        }
        check_limit(self.limit)
    }
}

/// Arguments of `github.activity`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityArgs {
    /// Only my commits in this repository, as owner/name (otherwise: all my recent activity)
    #[serde(default)]
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$"))]
    pub repo: Option<String>,
    /// Most items to return (1-50)
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

impl ToolArgs for ActivityArgs {
    fn validate(&self) -> Result<()> {
        if let Some(r) = &self.repo {
            check_repo("repo", r)?;
        }
        check_limit(self.limit)
    }
}

/// Arguments of `github.notifications`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationsArgs {
    /// Only notifications in which I am directly involved (mentioned, assigned, review requested)
    #[serde(default)]
    pub participating: bool,
    /// Most items to return (1-50)
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 50))]
    pub limit: u32,
}

impl ToolArgs for NotificationsArgs {
    fn validate(&self) -> Result<()> {
        check_limit(self.limit)
    }
}

/// Arguments of `github.comment`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentArgs {
    /// The repository, as owner/name (e.g. acme/web)
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$"))]
    pub repo: String,
    /// The issue or pull request number
    #[schemars(range(min = 1))]
    pub number: u64,
    /// The comment text (Markdown)
    #[schemars(length(min = 1, max = 65536))]
    pub body: String,
}

impl ToolArgs for CommentArgs {
    fn validate(&self) -> Result<()> {
        check_repo("repo", &self.repo)?;
        if self.number == 0 {
            return Err(Error::usage(
                "number must be a positive issue or pull request number",
            ));
        }
        check_text("body", &self.body, MAX_COMMENT)
    }
}

// ---------------------------------------------------------------- results

/// One issue or pull request from the search API.
#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Issue {
    pub repo: String,
    pub number: u64,
    pub title: String,
    pub url: String,
    pub author: String,
    /// `pull_request` or `issue`
    pub kind: &'static str,
    pub draft: bool,
    pub comments: u64,
    pub labels: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Search results: the first `limit` items, the total GitHub reports, and how many were left out.
#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct IssueList {
    pub query: String,
    pub total: u64,
    pub omitted: u64,
    /// GitHub timed out and the counts may be low.
    pub incomplete: bool,
    pub items: Vec<Issue>,
}

impl ToolOutput for IssueList {
    fn summary(&self) -> String {
        let prs = self.items.iter().all(|i| i.kind == "pull_request");
        let n = self.total as usize;
        if prs {
            plural(n, "pull request", "pull requests")
        } else {
            plural(n, "issue or pull request", "issues and pull requests")
        }
    }

    fn table(&self) -> (Vec<Column>, Vec<Vec<String>>) {
        let rows = self
            .items
            .iter()
            .map(|i| {
                vec![
                    format!("{}#{}", i.repo, i.number),
                    if i.draft {
                        format!("{} (draft)", i.title)
                    } else {
                        i.title.clone()
                    },
                    i.author.clone(),
                    i.updated_at.clone(),
                    i.url.clone(),
                ]
            })
            .collect();
        (
            vec![
                Column::text("item", 0),
                Column::text("title", 0),
                Column::text("author", 1),
                Column::time("updated", 2),
                Column::text("url", 3),
            ],
            rows,
        )
    }
}

/// One entry of my activity (an event, or a commit when a repository is given).
#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Activity {
    /// `PushEvent`, `PullRequestEvent`, ..., or `commit`
    pub kind: String,
    pub repo: String,
    /// What happened, in one line.
    pub summary: String,
    pub url: Option<String>,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct ActivityList {
    pub user: String,
    pub repo: Option<String>,
    pub omitted: u64,
    /// More exist on further pages.
    pub more: bool,
    pub items: Vec<Activity>,
}

impl ToolOutput for ActivityList {
    fn summary(&self) -> String {
        if self.repo.is_some() {
            plural(self.items.len(), "commit", "commits")
        } else {
            plural(self.items.len(), "activity item", "activity items")
        }
    }

    fn table(&self) -> (Vec<Column>, Vec<Vec<String>>) {
        let rows = self
            .items
            .iter()
            .map(|a| {
                vec![
                    a.at.clone(),
                    a.kind.clone(),
                    a.repo.clone(),
                    a.summary.clone(),
                ]
            })
            .collect();
        (
            vec![
                Column::time("time", 0),
                Column::text("kind", 2),
                Column::text("repo", 1),
                Column::text("summary", 0),
            ],
            rows,
        )
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Notification {
    pub repo: String,
    pub title: String,
    /// `PullRequest`, `Issue`, `Release`, ...
    pub kind: String,
    /// Why I got it: `review_requested`, `mention`, `assign`, ...
    pub reason: String,
    pub url: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct NotificationList {
    pub omitted: u64,
    /// More exist on further pages.
    pub more: bool,
    pub items: Vec<Notification>,
}

impl ToolOutput for NotificationList {
    fn summary(&self) -> String {
        let n = self.items.len() + self.omitted as usize;
        let more = if self.more { "+" } else { "" };
        format!(
            "{}{more}",
            plural(n, "unread notification", "unread notifications")
        )
    }

    fn table(&self) -> (Vec<Column>, Vec<Vec<String>>) {
        let rows = self
            .items
            .iter()
            .map(|n| {
                vec![
                    n.updated_at.clone(),
                    n.repo.clone(),
                    n.reason.clone(),
                    n.title.clone(),
                    n.url.clone().unwrap_or_default(),
                ]
            })
            .collect();
        (
            vec![
                Column::time("updated", 1),
                Column::text("repo", 1),
                Column::text("reason", 2),
                Column::text("title", 0),
                Column::text("url", 3),
            ],
            rows,
        )
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
pub struct Comment {
    pub repo: String,
    pub number: u64,
    pub id: u64,
    pub url: String,
    pub created_at: String,
}

impl ToolOutput for Comment {
    fn summary(&self) -> String {
        format!("commented on {}#{}", self.repo, self.number)
    }

    fn table(&self) -> (Vec<Column>, Vec<Vec<String>>) {
        (
            vec![
                Column::text("item", 0),
                Column::text("comment", 0),
                Column::time("created", 1),
            ],
            vec![vec![
                format!("{}#{}", self.repo, self.number),
                self.url.clone(),
                self.created_at.clone(),
            ]],
        )
    }
}

// ---------------------------------------------------------------- calls

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
            &GitHubErrors,
        )
        .await?;
    Ok(shape_search(&query, &r.body, args.limit as usize))
}

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
    let me = api.get("/user", &[], &GitHubErrors).await?;
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
                    &GitHubErrors,
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
                    &GitHubErrors,
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
    let r = api.get("/notifications", &query, &GitHubErrors).await?;
    Ok(shape_notifications(
        &r.body,
        &r.headers,
        args.limit as usize,
    ))
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

/// Plans `github.comment`: the repository and number the request uses are
/// the target the person approves. `repo` passed [`check_repo`] (letters,
/// digits, `-`, `_`, `.`; never `.` or `..`), so its two parts are path
/// segments that need no encoding and cannot change the path.
pub fn plan_comment(args: &CommentArgs) -> WriteRequest {
    WriteRequest {
        target: format!("{}#{}", args.repo, args.number),
        method: Method::POST,
        path: format!("/repos/{}/issues/{}/comments", args.repo, args.number),
        format: BodyFormat::Json,
        fields: vec![("body", args.body.clone())],
        errors: &GitHubErrors,
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

// ---------------------------------------------------------------- errors

/// How GitHub's REST API reports failures.
pub struct GitHubErrors;

impl ProviderErrors for GitHubErrors {
    fn interpret(&self, status: StatusCode, headers: &HeaderMap, body: &Value) -> Option<Error> {
        if status.is_success() {
            return None;
        }
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Some(match status.as_u16() {
            401 => Error::upstream(format!(
                "GitHub rejected the token (HTTP 401{})",
                if message.is_empty() {
                    String::new()
                } else {
                    format!(" {message}")
                }
            )),
            403 | 429 if rate_limited(headers, &message) || status.as_u16() == 429 => {
                let when = header(headers, "retry-after")
                    .map(|s| format!("; retry after {s} s"))
                    .unwrap_or_default();
                Error::upstream(format!(
                    "GitHub rate limit reached (HTTP {}): {}{when}",
                    status.as_u16(),
                    if message.is_empty() {
                        "too many requests"
                    } else {
                        &message
                    }
                ))
                .with_hint("wait a minute and try again")
            }
            403 => match missing_scopes(headers) {
                Some(scopes) => Error::upstream(format!(
                    "GitHub refused: the token lacks the scope {scopes} ({message})"
                ))
                .with_hint(format!(
                    "run `devcontext connect github --scopes {}` to grant it",
                    scopes.replace(' ', "")
                )),
                None if message.contains("Resource not accessible") => {
                    Error::upstream(format!("GitHub refused: {message}")).with_hint(
                        "the GitHub App lacks a permission or is not installed on this repository; \
                     update the app, then run `devcontext connect github`",
                    )
                }
                None => Error::upstream(format!(
                    "GitHub refused the request (HTTP 403): {message}"
                ))
                .with_hint(
                    "the GitHub App may lack a permission or not be installed where it is needed; \
                             update the app, then run `devcontext connect github`",
                ),
            },
            404 => Error::upstream(format!(
                "GitHub: not found (HTTP 404{})",
                if message.is_empty() || message == "Not Found" {
                    String::new()
                } else {
                    format!(": {message}")
                }
            ))
            .with_hint(
                "check the repository and number; private repositories also answer 404 \
                 when the GitHub App cannot see them",
            ),
            422 => Error::upstream(format!(
                "GitHub rejected the request as invalid (HTTP 422): {}",
                validation_message(&message, body)
            ))
            .with_hint(
                "check the tool's arguments (`devcontext tool github TOOL --help`); \
                 GitHub names the field it refused",
            ),
            _ => generic_status("GitHub", status, &message),
        })
    }
}

/// Secondary (or primary) rate limits: 403 with remaining 0, a Retry-After, or the message.
fn rate_limited(headers: &HeaderMap, message: &str) -> bool {
    header(headers, "x-ratelimit-remaining") == Some("0")
        || header(headers, "retry-after").is_some()
        || message.to_lowercase().contains("rate limit")
}

/// Scopes the endpoint accepts that the token does not have (classic OAuth tokens).
fn missing_scopes(headers: &HeaderMap) -> Option<String> {
    let accepted = header(headers, "x-accepted-oauth-scopes")?;
    let have: Vec<&str> = header(headers, "x-oauth-scopes")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .collect();
    let wanted: Vec<&str> = accepted
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if wanted.is_empty() || wanted.iter().any(|w| have.contains(w)) {
        return None;
    }
    Some(wanted.join(", "))
}

/// "Validation Failed: q is missing" from GitHub's `errors` list.
fn validation_message(message: &str, body: &Value) -> String {
    let details: Vec<String> = body
        .get("errors")
        .and_then(Value::as_array)
        .map(|errs| {
            errs.iter()
                .map(|e| match e {
                    Value::String(s) => s.clone(),
                    _ => opt_s(e, "message").unwrap_or_else(|| {
                        format!("{} {}", s(e, "field"), s(e, "code"))
                            .trim()
                            .to_string()
                    }),
                })
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let message = if message.is_empty() {
        "Validation Failed"
    } else {
        message
    };
    if details.is_empty() {
        truncate(message, 300)
    } else {
        truncate(&format!("{message}: {}", details.join("; ")), 300)
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;
    use serde_json::json;

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
    use crate::providers::parse_args;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn search_args_validate_before_any_call() {
        let a: SearchArgs = parse_args(json!({})).unwrap();
        assert_eq!((a.repo, a.limit), (None, 10));
        let a: SearchArgs = parse_args(json!({"repo": "acme/web", "limit": 5})).unwrap();
        assert_eq!(a.repo.as_deref(), Some("acme/web"));
        let e = parse_args::<SearchArgs>(json!({"repo": "acme"})).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.message
                .contains("repo must be a repository as owner/name")
        );
        let e = parse_args::<SearchArgs>(json!({"limit": 500})).unwrap_err();
        assert!(
            e.message.contains("limit must be between 1 and 50"),
            "{}",
            e.message
        );
        let e = parse_args::<SearchArgs>(json!({"lmit": 5})).unwrap_err();
        assert!(e.message.contains("unknown field `lmit`"), "{}", e.message);
        let e = parse_args::<SearchArgs>(json!({"limit": "five"})).unwrap_err();
        assert!(e.message.contains("invalid type"), "{}", e.message);
        let e = parse_args::<CommentArgs>(json!({"repo": "a/b", "number": 3})).unwrap_err();
        assert!(e.message.contains("missing field `body`"), "{}", e.message);
        let e = parse_args::<CommentArgs>(json!({"repo": "a/b", "number": 3, "body": " "}))
            .unwrap_err();
        assert!(
            e.message.contains("body must not be empty"),
            "{}",
            e.message
        );
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

    #[test]
    fn errors_are_read_from_github_answers() {
        let e = GitHubErrors
            .interpret(
                StatusCode::UNAUTHORIZED,
                &HeaderMap::new(),
                &json!({"message": "Bad credentials"}),
            )
            .unwrap();
        assert_eq!(e.exit_code(), 5);
        assert!(e.message.contains("Bad credentials"));

        let h = headers(&[
            ("x-accepted-oauth-scopes", "repo"),
            ("x-oauth-scopes", "read:user"),
        ]);
        let e = GitHubErrors
            .interpret(
                StatusCode::FORBIDDEN,
                &h,
                &json!({"message": "Must have admin rights"}),
            )
            .unwrap();
        assert!(e.message.contains("lacks the scope repo"), "{}", e.message);
        assert!(
            e.hint
                .unwrap()
                .contains("devcontext connect github --scopes repo")
        );

        let h = headers(&[("x-ratelimit-remaining", "0"), ("retry-after", "30")]);
        let e = GitHubErrors
            .interpret(
                StatusCode::FORBIDDEN,
                &h,
                &json!({"message": "You have exceeded a secondary rate limit"}),
            )
            .unwrap();
        assert!(e.message.contains("rate limit"), "{}", e.message);

        let e = GitHubErrors
            .interpret(
                StatusCode::NOT_FOUND,
                &HeaderMap::new(),
                &json!({"message": "Not Found"}),
            )
            .unwrap();
        assert!(e.message.contains("not found"));

        let e = GitHubErrors
            .interpret(
                StatusCode::UNPROCESSABLE_ENTITY,
                &HeaderMap::new(),
                &json!({"message": "Validation Failed", "errors": [{"resource": "Search", "field": "q", "code": "missing"}]}),
            )
            .unwrap();
        assert_eq!(
            e.message,
            "GitHub rejected the request as invalid (HTTP 422): Validation Failed: q missing"
        );

        let e = GitHubErrors
            .interpret(StatusCode::BAD_GATEWAY, &HeaderMap::new(), &Value::Null)
            .unwrap();
        assert!(e.message.contains("server error"));
        assert!(
            GitHubErrors
                .interpret(StatusCode::OK, &HeaderMap::new(), &json!([]))
                .is_none()
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
