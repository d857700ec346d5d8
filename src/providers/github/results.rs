//! What the GitHub tools return: compact, bounded results, with a summary
//! and a table for people.

use schemars::JsonSchema;
use serde::Serialize;

use crate::output::Column;
use crate::providers::plural;
use crate::tools::Report;

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

impl Report for IssueList {
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

impl Report for ActivityList {
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

impl Report for NotificationList {
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

impl Report for Comment {
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
