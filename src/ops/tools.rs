//! The tool table as the `tools` and `tool` commands use it: the catalog with
//! each tool's live permission, one call through the broker, and what a
//! result left out because of its limit.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::app::App;
use crate::approval::Approver;
use crate::error::Result;
use crate::perms::{self, Access, Verdict};

use crate::service::Service;
use crate::session;
use crate::tools::{Registry, Tool, ToolResult, ToolSpec};

/// One row of `devcontext tools --json` (stable field names).
#[derive(Debug, Serialize)]
pub struct ToolRow {
    /// `slack.post_message`
    pub tool: String,
    /// The function name the model sees (`slack_post_message`).
    pub function: String,
    pub service: Service,
    pub name: &'static str,
    pub access: Access,
    /// allowed, ask or blocked, with the reason.
    pub permission: Permission,
    pub description: &'static str,
    pub endpoints: &'static [&'static str],
    /// The JSON Schema of the arguments.
    pub parameters: Value,
}

#[derive(Debug, Serialize)]
pub struct Permission {
    pub decision: &'static str,
    pub reason: String,
}

/// Every tool of `table`, with what the rules say about it now.
pub fn catalog(app: &App, table: &Registry) -> Vec<ToolRow> {
    table
        .iter()
        .map(|tool| (tool, &tool.spec))
        .map(|(tool, t)| ToolRow {
            tool: t.full_name(),
            function: t.function_name(),
            service: t.service,
            name: t.name,
            access: t.access,
            permission: permission(app, t),
            description: t.description,
            endpoints: t.endpoints,
            parameters: tool.input_schema(),
        })
        .collect()
}

fn permission(app: &App, spec: &ToolSpec) -> Permission {
    // A read-only look at the rules: perms::check never audits (the broker does).
    let verdict = perms::check(
        &app.paths.permissions_db(),
        spec.service,
        spec.name,
        spec.access,
        app.clock.now_ms(),
    );
    let decision = match &verdict {
        Verdict::Allow { .. } => "allowed",
        Verdict::Ask { .. } => "ask",
        Verdict::Deny { .. } => "blocked",
    };
    Permission {
        decision,
        reason: verdict.reason().to_string(),
    }
}

/// Runs one tool with checked arguments through the broker (command "tool");
/// writes are approved by `approver`.
pub fn call(
    app: &App,
    tool: &Tool,
    args: Value,
    approver: Arc<dyn Approver>,
) -> Result<ToolResult> {
    let broker = session::open_broker(app, "tool", approver)?;
    super::block_on(tool.run(&broker, args))?
}

/// What a result left out because of its limit.
#[derive(Debug, PartialEq, Eq)]
pub enum LeftOut {
    /// `omitted` counts say how many: `total` in all.
    Counted { total: u64 },
    /// More pages exist; how many is not known.
    More,
}

/// Whether `value` (of which `shown` items were shown, asked with `limit`)
/// left items out, and how to see more (`raise --limit, up to 50`).
pub fn left_out(value: &Value, shown: u64, limit: Option<u64>) -> Option<(LeftOut, String)> {
    let (omitted, more) = count_left_out(value);
    let max = crate::providers::MAX_LIMIT as u64;
    let how = match limit.unwrap_or(crate::providers::DEFAULT_LIMIT as u64) {
        l if l < max => format!("raise --limit, up to {max}"),
        _ => "narrow the request to see the rest".to_string(),
    };
    if omitted > 0 {
        Some((
            LeftOut::Counted {
                total: shown + omitted,
            },
            how,
        ))
    } else if more {
        Some((LeftOut::More, how))
    } else {
        None
    }
}

/// Items a result left out because of its limit: every `omitted` count in it
/// (a list's, each conversation's), and whether more pages exist.
fn count_left_out(value: &Value) -> (u64, bool) {
    match value {
        Value::Object(m) => m.iter().fold((0, false), |(n, more), (k, v)| {
            let (vn, vmore) = match (k.as_str(), v) {
                ("omitted", Value::Number(x)) => (x.as_u64().unwrap_or(0), false),
                ("more", Value::Bool(b)) => (0, *b),
                _ => count_left_out(v),
            };
            (n + vn, more || vmore)
        }),
        Value::Array(a) => a
            .iter()
            .map(count_left_out)
            .fold((0, false), |(n, more), (vn, vm)| (n + vn, more || vm)),
        _ => (0, false),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn omitted_counts_add_up_and_more_pages_are_said() {
        let v = json!({"items": [1, 2], "omitted": 3, "conversations": [{"omitted": 2}]});
        assert_eq!(
            left_out(&v, 2, Some(2)),
            Some((
                LeftOut::Counted { total: 7 },
                "raise --limit, up to 50".into()
            ))
        );
        let v = json!({"items": [1], "more": true});
        assert_eq!(
            left_out(&v, 1, Some(50)),
            Some((LeftOut::More, "narrow the request to see the rest".into()))
        );
        assert_eq!(left_out(&json!({"items": [], "omitted": 0}), 0, None), None);
    }
}
