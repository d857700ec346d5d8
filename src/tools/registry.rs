//! A table of tools and the ways people and models name them. The built-in
//! table is `crate::providers::registry()`; front doors take a `&Registry`,
//! so a test can hand them a table with a tool of its own.

use super::tool::Tool;
use crate::error::{Error, Result};
use crate::perms::{Access, Subject};
use crate::service::Service;

/// Tools in display order; names are unique.
pub struct Registry {
    tools: Vec<Tool>,
}

impl Registry {
    /// A table of `tools`; panics on a repeated name (a declaration bug,
    /// caught by the unit tests of every table).
    pub fn new(tools: Vec<Tool>) -> Registry {
        for (i, t) in tools.iter().enumerate() {
            assert!(
                tools[..i]
                    .iter()
                    .all(|o| o.function_name() != t.function_name()),
                "{} is declared twice",
                t.full_name()
            );
        }
        Registry { tools }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tool> {
        self.tools.iter()
    }

    pub fn len(&self) -> usize {
        self.tools.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// Finds a tool by service and short name (`post_message` or `post-message`).
    pub fn find(&self, service: Service, name: &str) -> Result<&Tool> {
        let wanted = name.trim().replace('-', "_");
        self.tools
            .iter()
            .find(|t| t.spec.service == service && t.spec.name == wanted)
            .ok_or_else(|| {
                let names: Vec<_> = self
                    .tools
                    .iter()
                    .filter(|t| t.spec.service == service)
                    .map(|t| t.spec.name)
                    .collect();
                Error::usage(format!("unknown {service} tool '{name}'"))
                    .with_hint(format!("{service} tools: {}", names.join(", ")))
            })
    }

    /// Finds a tool by the function name a model used (`slack_post_message`).
    pub fn find_function(&self, name: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.function_name() == name)
    }

    /// Finds a tool by any name users write for it: `slack_post_message`,
    /// `slack.post_message` or `slack.post-message`.
    pub fn lookup(&self, name: &str) -> Result<&Tool> {
        let name = name.trim();
        if let Some(tool) = self.find_function(&name.replace('-', "_")) {
            return Ok(tool);
        }
        match name.split_once('.') {
            Some((service, tool)) => self.find(service.parse()?, tool),
            None => Err(Error::usage(format!("unknown tool '{name}'")).with_hint(
                "name tools as `devcontext tools` lists them, e.g. slack_post_message or slack.post_message",
            )),
        }
    }

    /// Parses `slack` or `slack.post_message` into a permission subject and,
    /// for a tool, its access kind.
    pub fn parse_subject(&self, text: &str) -> Result<(Subject, Option<Access>)> {
        match text.split_once('.') {
            None => Ok((Subject::service(text.parse()?), None)),
            Some((svc, tool)) => {
                let service: Service = svc.parse()?;
                let tool = self.find(service, tool)?;
                Ok((
                    Subject::tool(service, tool.spec.name),
                    Some(tool.spec.access),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::providers::registry;

    #[test]
    fn names_are_unique_and_valid_function_names() {
        let table = registry();
        for t in table.iter() {
            let name = t.function_name();
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            assert_eq!(table.find_function(&name), Some(t));
            assert_eq!(table.lookup(&t.full_name()).unwrap(), t);
            assert_eq!(table.lookup(&t.full_name().replace('_', "-")).unwrap(), t);
        }
        assert!(table.parse_subject("slack.post_message").unwrap().1 == Some(Access::Write));
        assert!(table.parse_subject("slack.nope").is_err());
        assert!(table.parse_subject("jira").is_err());
        let e = table.lookup("nope").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.hint.unwrap().contains("devcontext tools"));
    }

    #[test]
    #[should_panic(expected = "github.review_requests is declared twice")]
    fn a_name_declared_twice_is_refused() {
        let twice = crate::providers::github::tools()
            .into_iter()
            .chain(crate::providers::github::tools())
            .collect();
        Registry::new(twice);
    }

    #[test]
    fn every_tool_has_object_schemas_with_described_fields() {
        for t in registry().iter() {
            let s = t.input_schema();
            assert_eq!(s["type"], "object", "{}: {s}", t.full_name());
            assert!(s.get("$schema").is_none());
            assert!(!t.spec.endpoints.is_empty());
            for (name, p) in s["properties"].as_object().unwrap() {
                assert!(
                    p.get("description").is_some(),
                    "{}.{name} has no description: {s}",
                    t.full_name()
                );
            }
            let out = t.output_schema();
            assert_eq!(out["type"], "object", "{}: {out}", t.full_name());
            assert!(out.get("$schema").is_none());
            assert_eq!(t.annotations.read_only, t.spec.access == Access::Read);
        }
        let schema = |service, name| registry().find(service, name).unwrap().input_schema();
        let s = schema(Service::Github, "review_requests");
        assert_eq!(s["properties"]["limit"]["maximum"], 50);
        assert_eq!(s["properties"]["limit"]["default"], 10);
        assert_eq!(s["additionalProperties"], false);
        let s = schema(Service::Slack, "post_message");
        let required: Vec<&Value> = s["required"].as_array().unwrap().iter().collect();
        assert_eq!(required, ["channel", "text"]);
        let s = schema(Service::Calendar, "upcoming");
        assert_eq!(s["properties"]["days"]["maximum"], 14);
    }
}
