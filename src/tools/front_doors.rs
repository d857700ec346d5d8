//! A tool declared once, here, and seen by every front door: `tools`
//! (the catalog), `tool` (flags and `--help` from its schema), `ask` (the
//! model's function specs) and `mcp` (the listing with annotations and both
//! schemas). Nothing else names it: that is the tool table's promise.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Annotations, Registry, Report, Tool, ToolArgs, ToolSpec};
use crate::app::App;
use crate::broker::ApiClient;
use crate::config::{Env, Overrides};
use crate::error::Result;
use crate::output::{Column, Ui};
use crate::service::Service;

/// Arguments of the test tool.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct EchoArgs {
    /// The words to say back.
    text: String,
}

impl ToolArgs for EchoArgs {
    fn validate(&self) -> Result<()> {
        crate::providers::check_text("text", &self.text, 100)
    }
}

/// What it gives back.
#[derive(Debug, Serialize, JsonSchema)]
struct Echoed {
    text: String,
}

impl Report for Echoed {
    fn summary(&self) -> String {
        "said back".into()
    }
    fn table(&self) -> (Vec<Column>, Vec<Vec<String>>) {
        (vec![Column::text("text", 0)], vec![vec![self.text.clone()]])
    }
}

async fn echo(_api: ApiClient<'_>, args: EchoArgs) -> Result<Echoed> {
    Ok(Echoed { text: args.text })
}

/// The one declaration.
fn table() -> Registry {
    Registry::new(vec![Tool::read(
        ToolSpec::new(Service::Github, "echo", "Say a text back").endpoints(&["GET /echo"]),
        echo,
    )])
}

#[test]
fn a_tool_declared_once_is_in_every_front_door() {
    let table = table();
    let echo = table.find(Service::Github, "echo").unwrap();

    // `devcontext tools [--json]`
    let home = tempfile::tempdir().unwrap();
    let env = Env::from_pairs([("DEVCONTEXT_HOME", home.path().to_str().unwrap())]);
    let ui = Ui::detect(&env, true, false);
    let app = App::load(env, &Overrides::default(), ui).unwrap();
    let rows = serde_json::to_value(crate::ops::tools::catalog(&app, &table)).unwrap();
    assert_eq!(rows[0]["tool"], "github.echo");
    assert_eq!(rows[0]["function"], "github_echo");
    assert_eq!(rows[0]["access"], "read");
    assert_eq!(rows[0]["permission"]["decision"], "allowed");
    assert_eq!(rows[0]["endpoints"], json!(["GET /echo"]));
    assert_eq!(
        rows[0]["parameters"]["properties"]["text"]["description"],
        "The words to say back."
    );

    // `devcontext tool github echo --text hi` (flags and --help from the schema)
    let schema = echo.input_schema();
    let argv = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    let (args, _) =
        super::flags::parse_flags(&echo.spec, &schema, &argv(&["--text", "hi"])).unwrap();
    assert_eq!(args, json!({"text": "hi"}));
    echo.validate(&args).unwrap();
    let e = echo.validate(&json!({"text": " "})).unwrap_err();
    assert_eq!(e.exit_code(), 2, "{}", e.message);
    let help = super::flags::help_text(&echo.spec, &schema);
    assert!(
        help.contains("--text <TEXT>") && help.contains("Say a text back"),
        "{help}"
    );

    // `devcontext ask`: offered to the model as a function with its schema
    let offered = crate::agent::offered_tools(&table, false);
    assert_eq!(offered, [echo]);
    let specs = serde_json::to_value(crate::agent::tool_specs(&offered)).unwrap();
    assert_eq!(specs[0]["function"]["name"], "github_echo");
    assert_eq!(specs[0]["function"]["parameters"], schema);

    // `devcontext mcp`: listed with its annotations and both schemas
    let listed: Vec<_> = crate::mcp::Selection::default()
        .offered(&table)
        .map(crate::mcp::catalog::describe)
        .collect();
    assert_eq!(listed.len(), 1);
    let tool = serde_json::to_value(&listed[0]).unwrap();
    assert_eq!(tool["name"], "github_echo");
    assert_eq!(tool["annotations"]["readOnlyHint"], true);
    assert_eq!(tool["inputSchema"], schema);
    assert_eq!(
        tool["outputSchema"]["properties"]["text"]["type"],
        Value::from("string")
    );
    assert_eq!(echo.annotations, Annotations::READ);
}
