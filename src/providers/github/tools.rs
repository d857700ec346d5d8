//! GitHub's tools, declared once: what each is, what it may call, how it runs.

use super as github;
use super::CommentArgs;
use crate::broker::ApiClient;
use crate::service::Service::Github;
use crate::tools::{Annotations, Tool, ToolSpec};

pub fn tools() -> Vec<Tool> {
    const SEARCH: &[&str] = &["GET /search/issues"];
    vec![
        Tool::read(
            ToolSpec::new(
                Github,
                "review_requests",
                "Open pull requests awaiting my review",
            )
            .endpoints(SEARCH),
            github::review_requests,
        ),
        Tool::read(
            ToolSpec::new(Github, "my_pull_requests", "Open pull requests I opened")
                .endpoints(SEARCH),
            github::my_pull_requests,
        ),
        Tool::read(
            ToolSpec::new(
                Github,
                "assigned",
                "Open issues and pull requests assigned to me",
            )
            .endpoints(SEARCH),
            github::assigned,
        ),
        Tool::read(
            ToolSpec::new(
                Github,
                "activity",
                "My recent commits and activity, optionally in one repository",
            )
            .endpoints(&[
                "GET /user",
                "GET /users/{username}/events",
                "GET /repos/{owner}/{repo}/commits",
            ]),
            github::activity,
        ),
        Tool::read(
            ToolSpec::new(Github, "notifications", "My unread GitHub notifications")
                .endpoints(&["GET /notifications"]),
            github::notifications,
        ),
        Tool::write(
            ToolSpec::new(
                Github,
                "comment",
                "Comment on a GitHub issue or pull request",
            )
            .endpoints(&["POST /repos/{owner}/{repo}/issues/{issue_number}/comments"]),
            Annotations::ADDS,
            async |_api: &ApiClient<'_>, args: &CommentArgs| Ok(github::plan_comment(args)),
            github::commented,
        ),
    ]
}
