//! `devcontext tools [--json]` and `devcontext tool SERVICE TOOL [FLAGS]`.
//!
//! The registry (src/tools) is the single source: the list, each tool's
//! flags (derived at run time from its argument JSON Schema) and its `--help`.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::app::App;
use crate::approval::Policy;
use crate::cli::ToolCallArgs;
use crate::error::{Error, Result};
use crate::output::{self, Cell, Color, Column, Table};
use crate::perms::{self, Access, Verdict};
use crate::providers;
use crate::service::Service;
use crate::session;
use crate::tools::{ToolSpec, flags};

/// One row of `devcontext tools --json` (stable field names).
#[derive(Debug, Serialize)]
struct ToolRow {
    /// `slack.post_message`
    tool: String,
    /// The function name the model sees (`slack_post_message`).
    function: String,
    service: Service,
    name: &'static str,
    access: Access,
    /// allowed, ask or blocked, with the reason.
    permission: Permission,
    description: &'static str,
    endpoints: &'static [&'static str],
    /// The JSON Schema of the arguments.
    parameters: Value,
}

#[derive(Debug, Serialize)]
struct Permission {
    decision: &'static str,
    reason: String,
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

pub fn list(app: &App, json: bool) -> Result<()> {
    let rows: Vec<ToolRow> = providers::registry()
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
        .collect();
    if json {
        return output::print_json(&rows);
    }
    let mut table = Table::new(&[
        Column::text("tool", 0),
        Column::text("access", 1),
        Column::text("permission", 0),
        Column::text("description", 2),
    ]);
    for r in &rows {
        let permission = Cell::from(r.permission.decision);
        let permission = match r.permission.decision {
            "allowed" => permission.color(Color::Green),
            "blocked" => permission.color(Color::Red),
            _ => permission.color(Color::Yellow),
        };
        table.row([
            Cell::from(r.tool.clone()),
            Cell::from(r.access.as_str()),
            permission,
            Cell::from(r.description),
        ]);
    }
    output::print_table(&table, &app.ui.style(app.clock.now()))
}

pub fn call(app: &App, args: ToolCallArgs) -> Result<()> {
    let mut flags = args.flags.clone();
    let mut tool = args.tool.clone();
    // `SERVICE.TOOL` in one word (as `devcontext tools` lists them): what clap
    // took for the tool is then the first flag. A flag is never a tool name.
    let (service, dotted) = match args.service.as_deref().map(|s| s.split_once('.')) {
        Some(Some((service, name))) => (Some(service.to_string()), Some(name.to_string())),
        _ => (args.service.clone(), None),
    };
    if dotted.is_some() || tool.as_deref().is_some_and(|t| t.starts_with('-')) {
        if let Some(first) = tool.take() {
            flags.insert(0, first);
        }
        tool = dotted;
    }
    let help = args.help || flags.iter().any(|f| f == "--help" || f == "-h");
    let (service, tool) = match (service, tool) {
        (Some(service), Some(tool)) => (service, tool),
        (Some(service), None) if !help => {
            let service: Service = service.parse()?;
            let names: Vec<_> = providers::registry()
                .iter()
                .filter(|t| t.spec.service == service)
                .map(|t| t.spec.name)
                .collect();
            return Err(
                Error::usage(format!("which {service} tool? none was named")).with_hint(format!(
                    "run `devcontext tool {service} TOOL`; {service} tools: {}",
                    names.join(", ")
                )),
            );
        }
        // `devcontext tool --help` or `devcontext tool github --help`.
        _ => return print_tool_help(),
    };
    let service: Service = service.parse()?;
    let tool = providers::registry().find(service, &tool)?;
    let spec = &tool.spec;
    let schema = tool.input_schema();
    if args.help {
        flags.push("--help".into());
    }
    let (tool_args, extra) =
        flags::parse_flags(spec, &schema, &flags).map_err(flags::hint(spec))?;
    if extra.help {
        print!("{}", flags::help_text(spec, &schema));
        return Ok(());
    }
    // Bad arguments fail here, before any session, permission check or request.
    tool.validate(&tool_args).map_err(flags::hint(spec))?;
    let json = args.json || extra.json;
    let yes = args.yes || extra.yes;
    let broker = session::open_broker(app, "tool", Arc::new(Policy::detect(yes)))?;
    let limit = tool_args.get("limit").and_then(Value::as_u64);
    let result = super::block_on(tool.run(&broker, tool_args))??;
    if json {
        output::print_json(&result.value)?;
        note_truncation(&result.value, result.table.rows.len() as u64, limit);
        return Ok(());
    }
    output::line(&result.summary)?;
    if !result.table.rows.is_empty() {
        let mut table = Table::new(&result.table.headers);
        for row in &result.table.rows {
            table.row(row.iter().map(String::as_str));
        }
        output::print_table(&table, &app.ui.style(app.clock.now()))?;
    }
    note_truncation(&result.value, result.table.rows.len() as u64, limit);
    Ok(())
}

/// Items a result left out because of its limit: every `omitted` count in it
/// (a list's, each conversation's), and whether more pages exist.
fn left_out(value: &Value) -> (u64, bool) {
    match value {
        Value::Object(m) => m.iter().fold((0, false), |(n, more), (k, v)| {
            let (vn, vmore) = match (k.as_str(), v) {
                ("omitted", Value::Number(x)) => (x.as_u64().unwrap_or(0), false),
                ("more", Value::Bool(b)) => (0, *b),
                _ => left_out(v),
            };
            (n + vn, more || vmore)
        }),
        Value::Array(a) => a
            .iter()
            .map(left_out)
            .fold((0, false), |(n, more), (vn, vm)| (n + vn, more || vm)),
        _ => (0, false),
    }
}

/// One line on stderr when a result was cut by its limit, and how to see more.
fn note_truncation(value: &Value, shown: u64, limit: Option<u64>) {
    let (omitted, more) = left_out(value);
    let max = crate::providers::MAX_LIMIT as u64;
    let how = match limit.unwrap_or(crate::providers::DEFAULT_LIMIT as u64) {
        l if l < max => format!("raise --limit, up to {max}"),
        _ => "narrow the request to see the rest".to_string(),
    };
    if omitted > 0 {
        output::truncation_note(shown, shown + omitted, "items", &how);
    } else if more {
        eprintln!("showing {shown} items; more exist ({how})");
    }
}

/// `devcontext tool --help` (clap's own help flag is off for this command).
fn print_tool_help() -> Result<()> {
    let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
    cmd.build();
    if let Some(sub) = cmd.find_subcommand_mut("tool") {
        sub.print_long_help().map_err(output::write_error)?;
    }
    Ok(())
}
