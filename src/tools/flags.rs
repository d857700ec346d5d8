//! A tool's command-line flags, derived from its argument JSON Schema:
//! `devcontext tool github review_requests --limit 5 --repo acme/web` becomes
//! `{"limit": 5, "repo": "acme/web"}`, and `--help` is written from the same
//! schema. Pure functions of (tool, schema, argv): no I/O, so every front
//! door that takes flags reads them the same way.

use serde_json::{Map, Value};

use super::ToolSpec;
use crate::error::{Error, Result};
use crate::perms::Access;

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

/// Usage errors without a hint of their own point at the tool's flags
/// (`run `devcontext tool github review_requests --help` for its flags`).
pub fn hint(spec: &ToolSpec) -> impl Fn(Error) -> Error + '_ {
    move |e: Error| {
        if e.hint.is_none() && e.kind == crate::error::ExitCode::Usage {
            e.with_hint(format!(
                "run `devcontext tool {} {} --help` for its flags",
                spec.service, spec.name
            ))
        } else {
            e
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::providers;
    use crate::service::Service;

    fn flags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_follow_the_schema() {
        let tool = providers::registry()
            .find(Service::Github, "review_requests")
            .unwrap();
        let (spec, schema) = (&tool.spec, tool.input_schema());
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
        let (spec, schema) = (&tool.spec, tool.input_schema());
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
        let (spec, schema) = (&tool.spec, tool.input_schema());
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
