//! The command line, declared once with clap derive: it also feeds the shell
//! completions and the man page, so they can never disagree with `--help`.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "devcontext",
    version,
    about = "Let an AI assistant read your GitHub, Google Calendar and Slack through Auth0 Token Vault, without ever holding your keys",
    after_help = "Examples:\n  devcontext status\n  devcontext perms revoke slack\n  devcontext audit --since 24h --json | jq '.[].action'\n\nExit codes: 0 ok, 1 error, 2 usage, 3 login required, 4 not connected,\n5 upstream error, 6 network error, 7 blocked, 8 step limit reached,\n9 a model reply over a bound (size, tool calls, deadline)."
)]
pub struct Cli {
    /// Print debug logs on stderr (secrets are never logged)
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,

    /// Turn off colours (NO_COLOR in the environment does the same)
    #[arg(long, global = true, help_heading = "Global options")]
    pub no_color: bool,

    /// Show times in UTC instead of the local time zone (JSON is always UTC)
    #[arg(long, global = true, help_heading = "Global options")]
    pub utc: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to Auth0 (browser with PKCE, or --device for machines without one)
    #[command(
        after_help = "Examples:\n  devcontext login\n  devcontext login --no-browser\n  devcontext login --device"
    )]
    Login(LoginArgs),

    /// Set up the Auth0 tenant interactively (the secret goes to the credential store)
    #[command(after_help = "Example:\n  devcontext config && devcontext login")]
    Config,

    /// Revoke the session at Auth0 and delete local credentials
    #[command(after_help = "Example:\n  devcontext logout")]
    Logout,

    /// Link GitHub, Slack or Google to your Auth0 account (Connected Accounts)
    #[command(
        after_help = "Examples:\n  devcontext connect github\n  devcontext connect slack --scopes channels:read,channels:history,im:history,search:read\n  devcontext connect google --no-browser"
    )]
    Connect(ConnectArgs),

    /// List the accounts linked through Connected Accounts
    #[command(
        after_help = "Examples:\n  devcontext connections\n  devcontext connections --json | jq '.[].connection'"
    )]
    Connections(JsonFlag),

    /// Unlink a service from your Auth0 account (removes its tokens from Token Vault)
    #[command(after_help = "Example:\n  devcontext disconnect slack")]
    Disconnect {
        /// github, slack or google
        service: String,
    },

    /// Show where devcontext keeps its files, the session and each service's state
    #[command(
        after_help = "Examples:\n  devcontext status\n  devcontext status --json | jq .files"
    )]
    Status(JsonFlag),

    /// Allow or block the assistant per service and per tool
    #[command(
        subcommand,
        after_help = "Examples:\n  devcontext perms list\n  devcontext perms revoke slack\n  devcontext perms grant slack.post_message --for 1h\n  devcontext perms reset slack"
    )]
    Perms(PermsCommand),

    /// Ask the assistant a question; it reads your services through the broker
    #[command(
        after_help = "Examples:\n  devcontext ask \"Brief me for standup\"\n  devcontext ask \"Which pull requests wait for my review?\" --model qwen2.5-coder\n  devcontext ask \"What is on my calendar today?\" --json | jq -r .answer\n  devcontext ask --quiet \"Standup brief\" > brief.md   # cron-friendly\n\nBefore the question leaves this machine, ask checks that a model endpoint is set (exit 2),\nyou are logged in (3), and a service is connected (4) and not revoked (7).\nExit codes: 5 model error, 6 model unreachable, 8 step limit reached (raise --max-steps),\n9 a reply over a bound (answer or argument size, tool calls, [model] timeout_secs).\nThe model sees tool results only, never a token; every call is audited (devcontext audit --run RUN_ID)."
    )]
    Ask(AskArgs),

    /// Serve the tools to an AI agent over the Model Context Protocol (stdio)
    #[command(
        after_help = "Examples:\n  claude mcp add devcontext -- devcontext mcp\n  devcontext mcp --read-only --services github,calendar\n  devcontext mcp --exclude-tools slack_post_message\n\nEvery call goes through the permission check, Token Vault and the audit (command \"mcp\").\nWrites ask the person through the client (elicitation); without it they need\n`devcontext perms grant SERVICE.TOOL --for 1h`. stdout carries only protocol messages."
    )]
    Mcp(McpArgs),

    /// List the tools the assistant can use, with read/write and the current permission
    #[command(
        after_help = "Examples:\n  devcontext tools\n  devcontext tools --json | jq '.[] | {tool, permission}'"
    )]
    Tools(JsonFlag),

    /// Call one tool directly through the broker (permission check, exchange, audit)
    #[command(
        after_help = "Examples:\n  devcontext tool github review_requests --limit 5\n  devcontext tool github activity --repo acme/web --json\n  devcontext tool calendar upcoming --days 3\n  devcontext tool slack channel_history --channel general\n  devcontext tool slack post_message --channel general --text \"Deployed\" --yes\n  devcontext tool slack post_message --help   # the tool's own flags\n\nExit codes: 2 bad flags, 4 not connected, 5 provider error, 7 blocked or not approved."
    )]
    #[command(disable_help_flag = true)]
    Tool(ToolCallArgs),

    /// Query, verify and prune the audit store
    #[command(
        after_help = "Examples:\n  devcontext audit\n  devcontext audit --service slack --since 7d --limit 20\n  devcontext audit --decision denied --json | jq '.[] | .reason'\n  devcontext audit --ndjson > audit.ndjson\n  devcontext audit verify\n  devcontext audit prune --before 90d\n  devcontext audit export --status"
    )]
    Audit(AuditArgs),

    /// Check the tenant and the local state; one line per check with the fix for each ✗
    #[command(
        after_help = "Examples:\n  devcontext doctor\n  devcontext doctor --json | jq '.checks[] | select(.status == \"fail\")'\n\nExit codes: 0 every check passed, 1 something failed (each ✗ line names its fix).\nChanges nothing, except that its Token Vault exchanges are audited (command `doctor`)."
    )]
    Doctor(JsonFlag),

    /// Configure the Auth0 tenant through the Management API (idempotent, --dry-run)
    #[command(
        after_help = "Examples:\n  DEVCONTEXT_AUTH0_MANAGEMENT_TOKEN=... devcontext setup --dry-run\n  devcontext setup            # with DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_ID and _SECRET (a machine-to-machine app)\n\nSets what the Management API can set (docs/tenant-setup.md): the application's grant types, callback URLs,\nrotation off and MRRT policy; the My Account API, consent skipping and the user-access grant; Connected\nAccounts on, and the application enabled, for each connection. A second run changes nothing and says so.\nPrints what to create on the GitHub, Slack and Google side. Never prints a token or secret."
    )]
    Setup(SetupArgs),

    /// Print a shell completion script
    #[command(
        after_help = "Examples:\n  devcontext completions bash > ~/.local/share/bash-completion/completions/devcontext\n  devcontext completions zsh > ~/.zfunc/_devcontext"
    )]
    Completions {
        #[arg(value_enum)]
        shell: Shell,
    },

    /// Print the man page (roff)
    #[command(after_help = "Example:\n  devcontext man > devcontext.1 && man ./devcontext.1")]
    Man,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Use the Device Authorization Grant (prints a code to confirm on another device)
    #[arg(long)]
    pub device: bool,
    /// Print the sign-in URL instead of opening a browser
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// github, slack or google
    pub service: String,
    /// Provider scopes to request instead of the least-privilege defaults (comma separated)
    #[arg(long, value_delimiter = ',')]
    pub scopes: Option<Vec<String>>,
    /// Print the consent URL instead of opening a browser
    #[arg(long)]
    pub no_browser: bool,
    #[command(flatten)]
    pub json: JsonFlag,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    /// Print what would change, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// A Management API token (prefer the environment variable: a flag shows in `ps`);
    /// without one, the machine-to-machine application in
    /// DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_ID / _SECRET gets one
    #[arg(
        long,
        env = "DEVCONTEXT_AUTH0_MANAGEMENT_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub management_token: Option<String>,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON (stable field names, for scripts) instead of text for people
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PermsCommand {
    /// Show each service's state, what reads and writes are allowed, and tool rules
    #[command(
        after_help = "Examples:\n  devcontext perms list\n  devcontext perms list --json | jq '.[] | {service, state}'"
    )]
    List(JsonFlag),

    /// Block the assistant from a service or a tool (instant, persistent)
    #[command(
        after_help = "Examples:\n  devcontext perms revoke slack\n  devcontext perms revoke github.comment"
    )]
    Revoke {
        /// A service (github, calendar, slack) or a tool (slack.post_message)
        subject: String,
        #[command(flatten)]
        json: JsonFlag,
    },

    /// Allow a service or a tool again, optionally only for a while
    #[command(
        after_help = "Examples:\n  devcontext perms grant slack\n  devcontext perms grant slack --for 2h\n  devcontext perms grant slack.post_message --for 1h\n  devcontext perms grant github --write --for 30m"
    )]
    Grant {
        /// A service (github, calendar, slack) or a tool (slack.post_message)
        subject: String,
        /// Let the grant lapse after this long (30m, 2h, 7d)
        #[arg(long = "for", value_name = "DURATION", allow_hyphen_values = true)]
        duration: Option<String>,
        /// For a service: also allow its write tools without asking
        #[arg(long)]
        write: bool,
        #[command(flatten)]
        json: JsonFlag,
    },

    /// Remove a service's or a tool's rules so the defaults apply again (reads allowed, writes ask)
    #[command(
        after_help = "Examples:\n  devcontext perms reset slack.post_message\n  devcontext perms reset slack   # also its tools' rules"
    )]
    Reset {
        /// A service (github, calendar, slack) or a tool (slack.post_message)
        subject: String,
        #[command(flatten)]
        json: JsonFlag,
    },

    /// Answer whether a call would be allowed now (exit 0 yes, 7 no); audited
    #[command(
        after_help = "Examples:\n  devcontext perms check slack\n  devcontext perms check slack.post_message --write || echo blocked"
    )]
    Check {
        /// A service or a tool
        subject: String,
        /// Check a write rather than a read
        #[arg(long)]
        write: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
}

#[derive(Debug, Args)]
pub struct McpArgs {
    /// Offer read tools only: write tools are not listed and are refused if called
    #[arg(long)]
    pub read_only: bool,
    /// Only these services (github, calendar, slack), comma-separated
    #[arg(long, value_delimiter = ',', value_name = "SERVICES")]
    pub services: Vec<String>,
    /// Only these tools (slack_unread or slack.unread), comma-separated
    #[arg(long, value_delimiter = ',', value_name = "TOOLS")]
    pub tools: Vec<String>,
    /// Never these tools, comma-separated
    #[arg(long, value_delimiter = ',', value_name = "TOOLS")]
    pub exclude_tools: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The question, e.g. "Brief me for standup"
    pub question: String,
    /// Model name [default: DEVCONTEXT_MODEL, the config, else the first the endpoint lists]
    #[arg(long)]
    pub model: Option<String>,
    /// Most model requests before giving up with exit 8 [default: 8]
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub max_steps: Option<u32>,
    /// Print one JSON object (answer, model, steps, tool calls, usage, run id) instead of streaming
    #[arg(long)]
    pub json: bool,
    /// No progress lines on stderr
    #[arg(short, long)]
    pub quiet: bool,
    /// Offer the model the write tools too (posting, commenting); each write still needs
    /// approval. Without it the model sees read tools only [default: [model] offer_writes]
    #[arg(long)]
    pub write: bool,
    /// DANGEROUS: approve every write the model asks for (posting, commenting) without asking
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct ToolCallArgs {
    /// github, calendar (or google), slack
    #[arg(required_unless_present = "help")]
    pub service: Option<String>,
    /// The tool's name, as `devcontext tools` lists it (review_requests, post_message, ...);
    /// `SERVICE.TOOL` in one word works too (github.review_requests)
    #[arg(allow_hyphen_values = true)]
    pub tool: Option<String>,
    /// The tool's own flags, from its argument schema (--limit 5, --repo acme/web,
    /// --channel general, --text "hi"); also --json, --yes, and --help for the tool's flags
    #[arg(
        value_name = "FLAGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub flags: Vec<String>,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Approve a write (posting, commenting) without asking
    #[arg(long)]
    pub yes: bool,
    /// Print help (after SERVICE TOOL: the tool's own flags)
    #[arg(short, long)]
    pub help: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub action: Option<AuditCommand>,

    /// Only events of this service (github, calendar, slack)
    #[arg(long)]
    pub service: Option<String>,
    /// Only events of this tool (slack.post_message)
    #[arg(long)]
    pub tool: Option<String>,
    /// Only events of this action (permission_check, token_exchange, api_call, ...)
    #[arg(long = "action", value_name = "ACTION")]
    pub action_filter: Option<String>,
    /// Only events with this decision (granted, denied, error)
    #[arg(long)]
    pub decision: Option<String>,
    /// Only events at or after this time (24h, 7d, 2026-11-01, RFC 3339)
    #[arg(long, allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Only events before this time (same forms as --since)
    #[arg(long, allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Only events of this run id
    #[arg(long)]
    pub run: Option<String>,
    /// At most this many events, newest first; 0 for all [default: 50; all for --ndjson]
    #[arg(long, allow_hyphen_values = true)]
    pub limit: Option<u64>,
    /// Print a JSON array
    #[arg(long, conflicts_with = "ndjson")]
    pub json: bool,
    /// Print one JSON event per line, streamed
    #[arg(long)]
    pub ndjson: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain; exit 1 and name the first bad event if broken
    #[command(after_help = "Example:\n  devcontext audit verify && echo intact")]
    Verify(JsonFlag),
    /// Delete events older than a time, keeping a chain that still verifies
    #[command(after_help = "Example:\n  devcontext audit prune --before 90d")]
    Prune {
        /// Delete events before this time (90d, 2026-08-01, RFC 3339)
        #[arg(long, allow_hyphen_values = true)]
        before: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Ship pending events to the OpenTelemetry collector; exit 5 or 6 if some remain
    #[command(
        after_help = "Examples:\n  devcontext audit export\n  devcontext audit export --status\n\nExit codes: 0 all delivered; 5 the collector refused; 6 it could not be reached."
    )]
    Export {
        /// Show the pending count, the last delivery and the last error; send nothing
        #[arg(long)]
        status: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
}

/// Turns clap's multi-line usage error into devcontext's one-line error with
/// a hint: clap's tips and possible values, and the `--help` to read.
pub fn usage_error(e: &clap::Error) -> crate::error::Error {
    let args: Vec<String> = std::env::args().skip(1).collect();
    usage_error_from(&e.render().to_string(), &args)
}

fn usage_error_from(rendered: &str, args: &[String]) -> crate::error::Error {
    let mut lines = rendered.lines();
    let mut message = lines
        .next()
        .unwrap_or("bad command line")
        .trim()
        .trim_start_matches("error:")
        .trim()
        .to_string();
    // Rust's number-parsing messages, said as a person would.
    for (raw, plain) in [
        ("invalid digit found in string", "not a whole number"),
        ("number too large to fit in target type", "too large"),
        ("number too small to fit in target type", "too small"),
        ("cannot parse integer from empty string", "empty"),
    ] {
        message = message.replace(raw, plain);
    }
    let mut hints = Vec::new();
    let mut in_first_block = true;
    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            in_first_block = false;
        } else if let Some(values) = line
            .strip_prefix("[possible values:")
            .and_then(|v| v.strip_suffix(']'))
        {
            hints.push(format!("possible values:{values}"));
        } else if let Some(tip) = line.strip_prefix("tip:") {
            hints.push(tip.trim().to_string());
        } else if in_first_block {
            // Continuation of the message, e.g. the missing arguments' names.
            message.push(' ');
            message.push_str(line);
        }
    }
    // The deepest subcommand named on the command line, for its --help.
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut path = vec!["devcontext".to_string()];
    for arg in args {
        let Some(sub) = command.find_subcommand(arg).cloned() else {
            continue;
        };
        path.push(sub.get_name().to_string());
        command = sub;
    }
    hints.push(format!("run `{} --help`", path.join(" ")));
    crate::error::Error::usage(message).with_hint(hints.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn number_parse_errors_are_plain() {
        let e = usage_error_from(
            "error: invalid value '-1' for '--limit <LIMIT>': invalid digit found in string\n\nFor more information, try '--help'.\n",
            &args(&["audit", "--limit", "-1"]),
        );
        assert_eq!(
            e.message,
            "invalid value '-1' for '--limit <LIMIT>': not a whole number"
        );
        assert_eq!(e.hint.as_deref(), Some("run `devcontext audit --help`"));
    }

    #[test]
    fn usage_errors_are_one_line_with_a_hint() {
        let e = usage_error_from(
            "error: unexpected argument '--bogus' found\n\n  tip: to pass '--bogus' as a value, use '-- --bogus'\n\nUsage: devcontext status [OPTIONS]\n\nFor more information, try '--help'.\n",
            &args(&["status", "--bogus"]),
        );
        assert_eq!(e.exit_code(), 2);
        assert_eq!(e.message, "unexpected argument '--bogus' found");
        assert_eq!(
            e.hint.as_deref(),
            Some("to pass '--bogus' as a value, use '-- --bogus'; run `devcontext status --help`")
        );
        let e = usage_error_from(
            "error: invalid value 'tcsh' for '<SHELL>'\n  [possible values: bash, zsh, fish, powershell]\n\n  tip: a similar value exists: 'zsh'\n\nFor more information, try '--help'.\n",
            &args(&["completions", "tcsh"]),
        );
        assert_eq!(e.message, "invalid value 'tcsh' for '<SHELL>'");
        let hint = e.hint.unwrap();
        assert!(hint.contains("possible values: bash, zsh"), "{hint}");
        assert!(
            hint.ends_with("run `devcontext completions --help`"),
            "{hint}"
        );
        let e = usage_error_from(
            "error: the following required arguments were not provided:\n  <SUBJECT>\n\nUsage: devcontext perms revoke <SUBJECT>\n",
            &args(&["perms", "revoke"]),
        );
        assert_eq!(
            e.message,
            "the following required arguments were not provided: <SUBJECT>"
        );
        assert_eq!(
            e.hint.as_deref(),
            Some("run `devcontext perms revoke --help`")
        );
    }
}
