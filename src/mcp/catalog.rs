//! Which tools an MCP client sees, and how each is described to it. The tool
//! registry is the one source: the same names as in `ask`
//! (`github_review_requests`), the same input schemas, plus a title, an output
//! schema and the MCP annotations. Which tools are offered follows the
//! server's flags (`--read-only`, `--services`, `--tools`, `--exclude-tools`)
//! and, live, the permission store: a tool the user has blocked is not listed.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::perms::Access;
use crate::service::Service;
use crate::tools::{self, TOOLS, ToolSpec};

/// What the server was started to offer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// `--read-only`: write tools are neither listed nor callable.
    pub read_only: bool,
    /// `--services`: only these services (empty: all).
    pub services: Vec<Service>,
    /// `--tools`: only these tools (empty: all).
    pub tools: Vec<&'static ToolSpec>,
    /// `--exclude-tools`: never these.
    pub exclude: Vec<&'static ToolSpec>,
}

impl Selection {
    /// Builds a selection from the flags' words; tools may be named
    /// `slack_post_message`, `slack.post_message` or `slack.post-message`.
    pub fn parse(
        read_only: bool,
        services: &[String],
        tools: &[String],
        exclude: &[String],
    ) -> Result<Selection> {
        let services = services
            .iter()
            .map(|s| s.parse::<Service>())
            .collect::<Result<Vec<_>>>()?;
        Ok(Selection {
            read_only,
            services,
            tools: tools.iter().map(|t| lookup(t)).collect::<Result<_>>()?,
            exclude: exclude.iter().map(|t| lookup(t)).collect::<Result<_>>()?,
        })
    }

    /// True when the flags allow `spec` at all (permissions aside).
    pub fn allows(&self, spec: &ToolSpec) -> bool {
        (!self.read_only || spec.access == Access::Read)
            && (self.services.is_empty() || self.services.contains(&spec.service))
            && (self.tools.is_empty() || self.tools.contains(&spec))
            && !self.exclude.contains(&spec)
    }

    /// The tools the flags allow, in registry order.
    pub fn offered(&self) -> impl Iterator<Item = &'static ToolSpec> + '_ {
        TOOLS.iter().filter(|t| self.allows(t))
    }
}

/// Finds a tool by any of the names users write for it.
fn lookup(name: &str) -> Result<&'static ToolSpec> {
    let name = name.trim();
    if let Some(spec) = tools::find_function(&name.replace('-', "_")) {
        return Ok(spec);
    }
    match name.split_once('.') {
        Some((service, tool)) => tools::find(service.parse()?, tool),
        None => Err(Error::usage(format!("unknown tool '{name}'")).with_hint(
            "name tools as `devcontext tools` lists them, e.g. slack_post_message or slack.post_message",
        )),
    }
}

/// The MCP description of one tool.
pub fn describe(spec: &ToolSpec) -> Tool {
    let read = spec.access == Access::Read;
    // No tool deletes or overwrites anything: writes add a message or a
    // comment, so none is destructive; repeating one posts twice.
    let annotations = ToolAnnotations::with_title(title(spec))
        .read_only(read)
        .destructive(false)
        .idempotent(read)
        .open_world(true);
    let mut tool = Tool::new_with_raw(
        spec.function_name(),
        Some(description(spec).into()),
        Arc::new(object(spec.schema())),
    )
    .with_title(title(spec))
    .with_annotations(annotations);
    if let Some(schema) = tools::output_schema(spec) {
        tool = tool.with_raw_output_schema(Arc::new(object(schema)));
    }
    tool
}

/// "GitHub: review requests"
pub fn title(spec: &ToolSpec) -> String {
    format!(
        "{}: {}",
        spec.service.display_name(),
        spec.name.replace('_', " ")
    )
}

fn description(spec: &ToolSpec) -> String {
    match spec.access {
        Access::Read => format!("{} (read-only).", spec.description),
        Access::Write => format!(
            "{}. A write: the person approves each call (or a grant from `devcontext perms grant` covers it).",
            spec.description
        ),
    }
}

fn object(value: Value) -> JsonObject {
    match value {
        Value::Object(map) => map,
        _ => JsonObject::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sel: &Selection) -> Vec<String> {
        sel.offered().map(|t| t.function_name()).collect()
    }

    #[test]
    fn flags_narrow_the_offer() {
        let all = Selection::default();
        assert_eq!(names(&all).len(), TOOLS.len());

        let ro = Selection::parse(true, &[], &[], &[]).unwrap();
        assert!(!names(&ro).contains(&"slack_post_message".to_string()));
        assert!(!names(&ro).contains(&"github_comment".to_string()));
        assert!(names(&ro).contains(&"slack_unread".to_string()));

        let svc = Selection::parse(false, &["github".into(), "slack".into()], &[], &[]).unwrap();
        assert!(names(&svc).iter().all(|n| !n.starts_with("calendar_")));
        assert!(names(&svc).contains(&"slack_post_message".to_string()));

        let some = Selection::parse(
            false,
            &[],
            &["slack_unread".into(), "github.review-requests".into()],
            &["slack.unread".into()],
        )
        .unwrap();
        assert_eq!(names(&some), ["github_review_requests"]);
    }

    #[test]
    fn unknown_names_are_usage_errors() {
        let e = Selection::parse(false, &["jira".into()], &[], &[]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = Selection::parse(false, &[], &["nope".into()], &[]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.hint.unwrap().contains("devcontext tools"));
        let e = Selection::parse(false, &[], &[], &["slack.nope".into()]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn every_tool_is_described_with_annotations_and_schemas() {
        for spec in TOOLS {
            let tool = describe(spec);
            assert_eq!(tool.name, spec.function_name());
            assert_eq!(tool.input_schema.get("type"), Some(&Value::from("object")));
            let out = tool.output_schema.as_ref().expect("an output schema");
            assert_eq!(
                out.get("type"),
                Some(&Value::from("object")),
                "{}",
                spec.full_name()
            );
            let a = tool.annotations.as_ref().unwrap();
            let read = spec.access == Access::Read;
            assert_eq!(a.read_only_hint, Some(read));
            assert_eq!(a.destructive_hint, Some(false));
            assert_eq!(a.idempotent_hint, Some(read));
            assert_eq!(a.open_world_hint, Some(true));
            assert!(
                tool.title
                    .as_deref()
                    .unwrap()
                    .contains(spec.service.display_name())
            );
        }
    }
}
