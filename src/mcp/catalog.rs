//! Which tools an MCP client sees, and how each is described to it. The tool
//! registry is the one source: the same names as in `ask`
//! (`github_review_requests`), the same input schemas, plus a title, an output
//! schema and the MCP annotations. Which tools are offered follows the
//! server's flags (`--read-only`, `--services`, `--tools`, `--exclude-tools`)
//! and, live, the permission store: a tool the user has blocked is not listed.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool as McpTool, ToolAnnotations};
use serde_json::Value;

use crate::error::Result;
use crate::perms::Access;
use crate::service::Service;
use crate::tools::{Registry, Tool, ToolSpec};

/// What the server was started to offer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// `--read-only`: write tools are neither listed nor callable.
    pub read_only: bool,
    /// `--services`: only these services (empty: all).
    pub services: Vec<Service>,
    /// `--tools`: only these tools, by function name (empty: all).
    pub tools: Vec<String>,
    /// `--exclude-tools`: never these, by function name.
    pub exclude: Vec<String>,
}

impl Selection {
    /// Builds a selection from the flags' words; tools may be named
    /// `slack_post_message`, `slack.post_message` or `slack.post-message`.
    pub fn parse(
        registry: &Registry,
        read_only: bool,
        services: &[String],
        tools: &[String],
        exclude: &[String],
    ) -> Result<Selection> {
        let services = services
            .iter()
            .map(|s| s.parse::<Service>())
            .collect::<Result<Vec<_>>>()?;
        let names = |words: &[String]| {
            words
                .iter()
                .map(|t| registry.lookup(t).map(Tool::function_name))
                .collect::<Result<Vec<_>>>()
        };
        Ok(Selection {
            read_only,
            services,
            tools: names(tools)?,
            exclude: names(exclude)?,
        })
    }

    /// True when the flags allow `tool` at all (permissions aside).
    pub fn allows(&self, tool: &Tool) -> bool {
        let spec = &tool.spec;
        let name = tool.function_name();
        (!self.read_only || spec.access == Access::Read)
            && (self.services.is_empty() || self.services.contains(&spec.service))
            && (self.tools.is_empty() || self.tools.contains(&name))
            && !self.exclude.contains(&name)
    }

    /// The tools of `registry` the flags allow, in table order.
    pub fn offered<'r>(&self, registry: &'r Registry) -> impl Iterator<Item = &'r Tool> {
        registry.iter().filter(|t| self.allows(t))
    }
}

/// The MCP description of one tool: its input and output schemas and the
/// annotations its declaration gives.
pub fn describe(tool: &Tool) -> McpTool {
    let a = tool.annotations;
    let annotations = ToolAnnotations::with_title(title(&tool.spec))
        .read_only(a.read_only)
        .destructive(a.destructive)
        .idempotent(a.idempotent)
        .open_world(a.open_world);
    McpTool::new_with_raw(
        tool.function_name(),
        Some(description(&tool.spec).into()),
        Arc::new(object(tool.input_schema())),
    )
    .with_title(title(&tool.spec))
    .with_annotations(annotations)
    .with_raw_output_schema(Arc::new(object(tool.output_schema())))
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
    use crate::providers::registry;

    fn names(sel: &Selection) -> Vec<String> {
        sel.offered(registry()).map(|t| t.function_name()).collect()
    }

    fn parse(
        ro: bool,
        services: &[String],
        tools: &[String],
        exclude: &[String],
    ) -> Result<Selection> {
        Selection::parse(registry(), ro, services, tools, exclude)
    }

    #[test]
    fn flags_narrow_the_offer() {
        let all = Selection::default();
        assert_eq!(names(&all).len(), registry().len());

        let ro = parse(true, &[], &[], &[]).unwrap();
        assert!(!names(&ro).contains(&"slack_post_message".to_string()));
        assert!(!names(&ro).contains(&"github_comment".to_string()));
        assert!(names(&ro).contains(&"slack_unread".to_string()));

        let svc = parse(false, &["github".into(), "slack".into()], &[], &[]).unwrap();
        assert!(names(&svc).iter().all(|n| !n.starts_with("calendar_")));
        assert!(names(&svc).contains(&"slack_post_message".to_string()));

        let some = parse(
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
        let e = parse(false, &["jira".into()], &[], &[]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let e = parse(false, &[], &["nope".into()], &[]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.hint.unwrap().contains("devcontext tools"));
        let e = parse(false, &[], &[], &["slack.nope".into()]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn every_tool_is_described_with_annotations_and_schemas() {
        for t in registry().iter() {
            let spec = &t.spec;
            let tool = describe(t);
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
