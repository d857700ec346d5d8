//! Command glue: parse -> call an operation (`crate::ops`) or the core ->
//! hand the data to the [`Ui`] (`crate::output`), the only way out to the
//! terminal. One file per subcommand; no HTTP or SQL here.

mod ask;
mod audit;
mod completions;
mod config;
mod connect;
mod doctor;
mod login;
mod mcp;
mod perms;
mod setup;
mod status;
mod tools;

use crate::app::App;
use crate::cli::{Cli, Command};
use crate::config::{Env, Overrides};
use crate::error::Result;
use crate::output::Ui;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let env = Env::from_process();
    let ui = Ui::detect(&env, cli.no_color, cli.utc);
    // Only `ask` has flags that override settings.
    let overrides = match &cli.command {
        Command::Ask(args) => Overrides {
            model: args.model.clone(),
            max_steps: args.max_steps,
        },
        _ => Overrides::default(),
    };
    let app = || App::load(env.clone(), &overrides, ui);
    // Every command but these ships pending audit events when it ends.
    let ships = !matches!(
        cli.command,
        Command::Completions { .. }
            | Command::Man
            | Command::Audit(crate::cli::AuditArgs {
                action: Some(crate::cli::AuditCommand::Export { .. }),
                ..
            })
    );
    let result = match cli.command {
        Command::Completions { shell } => completions::completions(&ui, shell),
        Command::Man => completions::man(&ui),
        Command::Login(args) => login::login(&app()?, args),
        Command::Config => config::run(&app()?),
        Command::Logout => login::logout(&app()?),
        Command::Connect(args) => connect::connect(&app()?, args),
        Command::Connections(args) => connect::connections(&app()?, args.json),
        Command::Disconnect { service } => connect::disconnect(&app()?, &service),
        Command::Status(args) => status::run(&app()?, args.json),
        Command::Perms(cmd) => perms::run(&app()?, cmd),
        Command::Audit(args) => audit::run(&app()?, args),
        Command::Tools(args) => tools::list(&app()?, args.json),
        Command::Tool(args) => tools::call(&app()?, args),
        Command::Ask(args) => ask::run(&app()?, args),
        Command::Doctor(args) => doctor::run(&app()?, args.json),
        Command::Setup(args) => setup::run(&app()?, args),
        Command::Mcp(args) => mcp::run(app()?, args),
    };
    if ships && let Ok(app) = app() {
        crate::export::after_command(&app);
    }
    result
}

/// Kept here for the commands that call `super::block_on`.
pub(crate) use crate::runtime::block_on;
