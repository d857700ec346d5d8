//! `devcontext tools [--json]` and `devcontext tool SERVICE TOOL [FLAGS]`.
//!
//! The tool table (src/tools) is the single source: the list, each tool's
//! flags (derived from its argument JSON Schema by `tools::flags`) and its
//! `--help`.

use std::sync::Arc;

use serde_json::Value;

use crate::app::App;
use crate::approval::Policy;
use crate::cli::ToolCallArgs;
use crate::error::{Error, Result};
use crate::ops::tools::{self as ops, LeftOut};
use crate::output::{Cell, Color, Column, Table, Total};
use crate::providers;
use crate::service::Service;
use crate::tools::flags;

pub fn list(app: &App, json: bool) -> Result<()> {
    let rows = ops::catalog(app, providers::registry());
    if json {
        return app.ui.json(&rows);
    }
    let mut table = Table::new(&[
        Column::text("tool", 0),
        Column::text("access", 1),
        Column::text("permission", 0),
        Column::text("description", 2),
    ]);
    for r in &rows {
        let permission = Cell::from(r.permission.decision).color(match r.permission.decision {
            "allowed" => Color::Green,
            "blocked" => Color::Red,
            _ => Color::Yellow,
        });
        table.row([
            Cell::from(r.tool.clone()),
            Cell::from(r.access.as_str()),
            permission,
            Cell::from(r.description),
        ]);
    }
    app.ui.table(&table, app.clock.now())
}

pub fn call(app: &App, args: ToolCallArgs) -> Result<()> {
    let (mut flags, mut tool) = (args.flags, args.tool);
    // `SERVICE.TOOL` in one word (as `devcontext tools` lists them): what clap
    // took for the tool is then the first flag. A flag is never a tool name.
    let (service, dotted) = match args.service.as_deref().map(|s| s.split_once('.')) {
        Some(Some((service, name))) => (Some(service.to_string()), Some(name.to_string())),
        _ => (args.service.clone(), None),
    };
    if dotted.is_some() || tool.as_deref().is_some_and(|t| t.starts_with('-')) {
        flags.splice(0..0, tool.take());
        tool = dotted;
    }
    let help = args.help || flags.iter().any(|f| f == "--help" || f == "-h");
    let (service, tool) = match (service, tool) {
        (Some(service), Some(tool)) => (service.parse::<Service>()?, tool),
        (Some(service), None) if !help => return Err(which_tool(service.parse()?)),
        // `devcontext tool --help` or `devcontext tool github --help`.
        _ => return tool_help(app),
    };
    let tool = providers::registry().find(service, &tool)?;
    let (spec, schema) = (&tool.spec, tool.input_schema());
    if args.help {
        flags.push("--help".into());
    }
    let (tool_args, extra) =
        flags::parse_flags(spec, &schema, &flags).map_err(flags::hint(spec))?;
    if extra.help {
        return app.ui.text(&flags::help_text(spec, &schema));
    }
    // Bad arguments fail here, before any session, permission check or request.
    tool.validate(&tool_args).map_err(flags::hint(spec))?;
    let limit = tool_args.get("limit").and_then(Value::as_u64);
    let approver = Arc::new(Policy::new(&app.ui, args.yes || extra.yes));
    let result = ops::call(app, tool, tool_args, approver)?;
    let shown = result.table.rows.len() as u64;
    if args.json || extra.json {
        app.ui.json(&result.value)?;
    } else {
        app.ui.line(&result.summary)?;
        if shown > 0 {
            let mut table = Table::new(&result.table.headers);
            for row in &result.table.rows {
                table.row(row.iter().map(String::as_str));
            }
            app.ui.table(&table, app.clock.now())?;
        }
    }
    match ops::left_out(&result.value, shown, limit) {
        Some((LeftOut::Counted { total }, how)) => {
            app.ui
                .truncation_note(shown, Total::Exactly(total), "items", &how)
        }
        Some((LeftOut::More, how)) => app
            .ui
            .status(format_args!("showing {shown} items; more exist ({how})")),
        None => {}
    }
    Ok(())
}

/// A service named without a tool: which tools it has.
fn which_tool(service: Service) -> Error {
    let names: Vec<_> = providers::registry()
        .iter()
        .filter(|t| t.spec.service == service)
        .map(|t| t.spec.name)
        .collect();
    Error::usage(format!("which {service} tool? none was named")).with_hint(format!(
        "run `devcontext tool {service} TOOL`; {service} tools: {}",
        names.join(", ")
    ))
}

/// `devcontext tool --help` (clap's own help flag is off for this command).
fn tool_help(app: &App) -> Result<()> {
    let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
    cmd.build();
    match cmd.find_subcommand_mut("tool") {
        Some(sub) => app.ui.help(sub),
        None => Ok(()),
    }
}
