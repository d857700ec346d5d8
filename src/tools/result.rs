//! What a tool takes and what it gives back, typed. A tool's arguments are a
//! [`ToolArgs`] type (deserialized from JSON with unknown fields refused, then
//! checked against the bounds its schema declares); its result is a
//! [`Report`] type, turned once into the one [`ToolResult`] every front door
//! uses: the JSON value, a one-line summary and a table for people.

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::output::Column;

/// A tool's arguments: deserialized from JSON (unknown fields refused), then
/// checked against the bounds its schema declares.
pub trait ToolArgs: DeserializeOwned + JsonSchema {
    /// Checks bounds and formats; errors name the field and what is expected.
    fn validate(&self) -> Result<()>;
}

/// A tool's typed result: serialized for the model, `--json` and MCP,
/// summarized and tabled for people.
pub trait Report: Serialize + JsonSchema {
    /// A short summary: "3 pull requests".
    fn summary(&self) -> String;
    /// Rows for the human table: (headers, rows).
    fn table(&self) -> (Vec<Column>, Vec<Vec<String>>);
}

/// What a tool call gives back, to every front door.
#[derive(Debug, Clone)]
pub struct ToolResult {
    /// The compact result (stable field names), for the model, `--json` and MCP.
    pub value: Value,
    /// A short human summary: "3 pull requests".
    pub summary: String,
    /// The same result as table rows for humans.
    pub table: TableData,
}

impl ToolResult {
    /// The one conversion from a typed result.
    pub fn of<R: Report>(report: &R) -> Result<ToolResult> {
        let (headers, rows) = report.table();
        Ok(ToolResult {
            value: serde_json::to_value(report)
                .map_err(|e| Error::general(format!("cannot encode a result: {e}")))?,
            summary: report.summary(),
            table: TableData { headers, rows },
        })
    }
}

/// A result as a table: column headers and rows of cells.
#[derive(Debug, Clone, Default)]
pub struct TableData {
    pub headers: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

/// Parses and validates a tool's arguments (`null` counts as `{}`).
pub fn parse_args<A: ToolArgs>(args: Value) -> Result<A> {
    let args = match args {
        Value::Null => Value::Object(Default::default()),
        other => other,
    };
    if !args.is_object() {
        return Err(Error::usage(format!(
            "the arguments must be a JSON object, not {}",
            kind_of(&args)
        ))
        .with_hint("pass an object such as {\"limit\": 5}"));
    }
    let parsed: A = serde_json::from_value(args).map_err(|e| {
        Error::usage(format!("invalid arguments: {e}")).with_hint(
            "pass the arguments the tool's schema describes (`devcontext tools --json` lists them)",
        )
    })?;
    parsed.validate()?;
    Ok(parsed)
}

/// What kind of JSON value `v` is, for messages: "a string", "an array".
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
