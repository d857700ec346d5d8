//! `devcontext tools [--json]` and `devcontext tool SERVICE TOOL [FLAGS]`.
//!
//! The registry (src/tools) is the single source: the list, each tool's
//! flags (derived at run time from its argument JSON Schema) and its `--help`.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::app::App;
use crate::approval::Policy;
use crate::cli::ToolCallArgs;
use crate::error::{Error, Result};
use crate::output::{self, Cell, Color, Column, Table};
use crate::perms::{self, Access, Verdict};
use crate::providers;
use crate::service::Service;
use crate::session;
use crate::tools::ToolSpec;

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

/// What the command line asked for besides the tool's own arguments.
#[derive(Debug, Default, PartialEq)]
pub struct Extra {
    pub json: bool,
    pub yes: bool,
    pub help: bool,
}

/// The JSON type a property accepts (`["string", "null"]` counts as string).
fn prop_type(p: &Value) -> &str {
    match p.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ => "string",
    }
}

fn flag_list(schema: &Value) -> String {
    schema["properties"]
        .as_object()
        .map(|m| {
            m.keys()
                .map(|k| format!("--{}", k.replace('_', "-")))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// Turns `--limit 5 --repo acme/web` into `{"limit": 5, "repo": "acme/web"}`
/// using the tool's schema: integers and booleans are coerced, unknown flags
/// are refused with the list of valid ones.
pub fn parse_flags(spec: &ToolSpec, schema: &Value, flags: &[String]) -> Result<(Value, Extra)> {
    let props = schema["properties"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut args = Map::new();
    let mut extra = Extra::default();
    let valid = || {
        let own = flag_list(schema);
        let sep = if own.is_empty() { "" } else { ", " };
        format!(
            "valid flags for {}: {own}{sep}--json, --yes, --help",
            spec.full_name()
        )
    };
    let mut i = 0;
    while i < flags.len() {
        let raw = &flags[i];
        i += 1;
        match raw.as_str() {
            "--json" => {
                extra.json = true;
                continue;
            }
            "--yes" | "-y" => {
                extra.yes = true;
                continue;
            }
            "--help" | "-h" => {
                extra.help = true;
                continue;
            }
            _ => {}
        }
        let Some(body) = raw.strip_prefix("--") else {
            return Err(Error::usage(format!(
                "unexpected argument '{raw}' for {}",
                spec.full_name()
            ))
            .with_hint(valid()));
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let key = name.replace('-', "_");
        let Some(prop) = props.get(&key) else {
            return Err(
                Error::usage(format!("unknown flag --{name} for {}", spec.full_name()))
                    .with_hint(valid()),
            );
        };
        if args.contains_key(&key) {
            return Err(Error::usage(format!("--{name} was given twice")));
        }
        let kind = prop_type(prop);
        let value = if kind == "boolean" {
            let text = match inline {
                Some(v) => Some(v),
                None if flags.get(i).is_some_and(|n| n == "true" || n == "false") => {
                    i += 1;
                    Some(flags[i - 1].clone())
                }
                None => None,
            };
            match text.as_deref() {
                None | Some("true") => Value::Bool(true),
                Some("false") => Value::Bool(false),
                Some(other) => {
                    return Err(Error::usage(format!(
                        "--{name} expects true or false (got '{other}')"
                    )));
                }
            }
        } else {
            let text = match inline {
                Some(v) => v,
                None => {
                    let Some(v) = flags.get(i) else {
                        return Err(Error::usage(format!("--{name} needs a value")));
                    };
                    i += 1;
                    v.clone()
                }
            };
            match kind {
                "integer" => text.trim().parse::<i64>().map(Value::from).map_err(|_| {
                    Error::usage(format!("--{name} expects a whole number (got '{text}')"))
                })?,
                "number" => text
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| {
                        Error::usage(format!("--{name} expects a number (got '{text}')"))
                    })?,
                _ => Value::String(text),
            }
        };
        args.insert(key, value);
    }
    if !extra.help {
        for r in schema["required"].as_array().into_iter().flatten() {
            if let Some(r) = r.as_str()
                && !args.contains_key(r)
            {
                return Err(Error::usage(format!(
                    "{} needs --{}",
                    spec.full_name(),
                    r.replace('_', "-")
                ))
                .with_hint(format!(
                    "run `devcontext tool {} {} --help` for its flags",
                    spec.service, spec.name
                )));
            }
        }
    }
    Ok((Value::Object(args), extra))
}

/// The tool's `--help`, written from its schema.
pub fn help_text(spec: &ToolSpec, schema: &Value) -> String {
    let mut out = format!(
        "{} ({}): {}\n\nUsage: devcontext tool {} {} [FLAGS] [--json] [--yes]\n\nFlags:\n",
        spec.full_name(),
        spec.access,
        spec.description,
        spec.service,
        spec.name
    );
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut lines = Vec::new();
    for (name, p) in schema["properties"].as_object().into_iter().flatten() {
        let kind = prop_type(p);
        let flag = match kind {
            "boolean" => format!("--{}", name.replace('_', "-")),
            "integer" | "number" => format!("--{} <N>", name.replace('_', "-")),
            _ => format!("--{} <TEXT>", name.replace('_', "-")),
        };
        let mut notes = Vec::new();
        if required.contains(&name.as_str()) {
            notes.push("required".to_string());
        }
        if let Some(d) = p.get("default").filter(|d| !d.is_null()) {
            notes.push(format!("default: {d}"));
        }
        let desc = p.get("description").and_then(Value::as_str).unwrap_or("");
        if let (Some(a), Some(b)) = (p.get("minimum"), p.get("maximum")) {
            // Said once: descriptions often give the range already.
            let range = format!("{a}-{b}");
            if !desc.contains(&range) {
                notes.push(range);
            }
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", notes.join(", "))
        };
        lines.push((flag, format!("{desc}{notes}")));
    }
    lines.push(("--json".into(), "Print JSON instead of a table".into()));
    if spec.access == Access::Write {
        lines.push((
            "--yes".into(),
            "Approve this write without asking (otherwise: a prompt on a terminal, else refused unless granted)".into(),
        ));
    }
    let width = lines.iter().map(|(f, _)| f.len()).max().unwrap_or(0);
    for (f, d) in lines {
        out.push_str(&format!("  {f:width$}  {d}\n"));
    }
    out.push_str(&format!("\nEndpoints: {}\n", spec.endpoints.join(", ")));
    out
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
    // Usage errors without a hint of their own point at the tool's flags.
    let flags_hint = |e: Error| {
        if e.hint.is_none() && e.kind == crate::error::ExitCode::Usage {
            e.with_hint(format!(
                "run `devcontext tool {} {} --help` for its flags",
                spec.service, spec.name
            ))
        } else {
            e
        }
    };
    let (tool_args, extra) = parse_flags(spec, &schema, &flags).map_err(flags_hint)?;
    if extra.help {
        print!("{}", help_text(spec, &schema));
        return Ok(());
    }
    // Bad arguments fail here, before any session, permission check or request.
    tool.validate(&tool_args).map_err(flags_hint)?;
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn flags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_follow_the_schema() {
        let tool = providers::registry()
            .find(Service::Github, "review_requests")
            .unwrap();
        let spec = &tool.spec;
        let schema = tool.input_schema();
        let (args, extra) = parse_flags(
            spec,
            &schema,
            &flags(&["--limit", "5", "--repo=acme/web", "--json"]),
        )
        .unwrap();
        assert_eq!(args, json!({"limit": 5, "repo": "acme/web"}));
        assert_eq!(
            extra,
            Extra {
                json: true,
                ..Extra::default()
            }
        );

        let e = parse_flags(spec, &schema, &flags(&["--limt", "5"])).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.message.contains("unknown flag --limt"));
        assert!(e.hint.unwrap().contains("--limit, --repo"));

        let e = parse_flags(spec, &schema, &flags(&["--limit", "five"])).unwrap_err();
        assert!(e.message.contains("--limit expects a whole number"));
        let e = parse_flags(spec, &schema, &flags(&["--limit"])).unwrap_err();
        assert!(e.message.contains("needs a value"));
        let e = parse_flags(spec, &schema, &flags(&["acme/web"])).unwrap_err();
        assert!(e.message.contains("unexpected argument"));
    }

    #[test]
    fn booleans_and_required_flags() {
        let tool = providers::registry()
            .find(Service::Github, "notifications")
            .unwrap();
        let spec = &tool.spec;
        let schema = tool.input_schema();
        let (args, _) = parse_flags(spec, &schema, &flags(&["--participating"])).unwrap();
        assert_eq!(args, json!({"participating": true}));
        let (args, _) = parse_flags(
            spec,
            &schema,
            &flags(&["--participating", "false", "--limit", "3"]),
        )
        .unwrap();
        assert_eq!(args, json!({"participating": false, "limit": 3}));

        let tool = providers::registry()
            .find(Service::Slack, "post_message")
            .unwrap();
        let spec = &tool.spec;
        let schema = tool.input_schema();
        let e = parse_flags(spec, &schema, &flags(&["--channel", "general"])).unwrap_err();
        assert!(e.message.contains("needs --text"), "{}", e.message);
        let (args, extra) = parse_flags(
            spec,
            &schema,
            &flags(&["--channel", "general", "--text", "--not a flag", "--yes"]),
        )
        .unwrap();
        assert_eq!(args, json!({"channel": "general", "text": "--not a flag"}));
        assert!(extra.yes);
        // --help needs no required flags
        let (_, extra) = parse_flags(spec, &schema, &flags(&["--help"])).unwrap();
        assert!(extra.help);
        let help = help_text(spec, &schema);
        assert!(help.contains("--channel <TEXT>"), "{help}");
        assert!(help.contains("--text <TEXT>"), "{help}");
        assert!(help.contains("required"), "{help}");
        assert!(help.contains("--yes"), "{help}");
        let tool = providers::registry()
            .find(Service::Github, "review_requests")
            .unwrap();
        let help = help_text(&tool.spec, &tool.input_schema());
        assert!(help.contains("(1-50) [default: 10]"), "{help}");

        let tool = providers::registry()
            .find(Service::Github, "comment")
            .unwrap();
        let (args, _) = parse_flags(
            &tool.spec,
            &tool.input_schema(),
            &flags(&["--repo", "a/b", "--number", "7", "--body", "hi"]),
        )
        .unwrap();
        assert_eq!(args, json!({"repo": "a/b", "number": 7, "body": "hi"}));
        tool.validate(&args).unwrap();
    }
}
