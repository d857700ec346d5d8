//! Command glue: parse -> call the core -> hand a report to `output`.
//! One file per subcommand; no HTTP or SQL here.

mod ask;
mod audit;
mod completions;
mod config;
mod connect;
mod login;
mod perms;
mod status;
mod tools;

use crate::app::App;
use crate::cli::{Cli, Command};
use crate::config::Overrides;
use crate::error::Result;
use crate::output::Ui;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let ui = Ui::detect(cli.no_color);
    match cli.command {
        Command::Completions { shell } => completions::completions(shell),
        Command::Man => completions::man(),
        Command::Login(args) => login::login(&App::load(&Overrides::default(), ui)?, args),
        Command::Config => config::run(&App::load(&Overrides::default(), ui)?),
        Command::Logout => login::logout(&App::load(&Overrides::default(), ui)?),
        Command::Connect(args) => connect::connect(&App::load(&Overrides::default(), ui)?, args),
        Command::Connections(args) => {
            connect::connections(&App::load(&Overrides::default(), ui)?, args.json)
        }
        Command::Disconnect { service } => {
            connect::disconnect(&App::load(&Overrides::default(), ui)?, &service)
        }
        Command::Status(args) => status::run(&App::load(&Overrides::default(), ui)?, args.json),
        Command::Perms(cmd) => perms::run(&App::load(&Overrides::default(), ui)?, cmd),
        Command::Audit(args) => audit::run(&App::load(&Overrides::default(), ui)?, args),
        Command::Tools(args) => tools::list(&App::load(&Overrides::default(), ui)?, args.json),
        Command::Tool(args) => tools::call(&App::load(&Overrides::default(), ui)?, args),
        Command::Ask(args) => {
            let overrides = Overrides {
                model: args.model.clone(),
                max_steps: args.max_steps,
            };
            ask::run(&App::load(&overrides, ui)?, args)
        }
    }
}

/// Runs async core code from a synchronous command.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            crate::error::Error::general(format!("cannot start the async runtime: {e}"))
        })?;
    Ok(runtime.block_on(future))
}
