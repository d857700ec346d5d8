//! Command glue: parse -> call the core -> hand a report to `output`.
//! One file per subcommand; no HTTP or SQL here.

mod audit;
mod completions;
mod perms;
mod status;

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
        Command::Status(args) => status::run(&App::load(&Overrides::default(), ui)?, args.json),
        Command::Perms(cmd) => perms::run(&App::load(&Overrides::default(), ui)?, cmd),
        Command::Audit(args) => audit::run(&App::load(&Overrides::default(), ui)?, args),
    }
}
