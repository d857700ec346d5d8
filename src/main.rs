//! The `devcontext` binary: parse, run, print the error as one line, exit with its code.

use clap::Parser;
use clap::error::ErrorKind;

fn main() {
    let cli = match devcontext::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print and exit 0 (a bare `devcontext` prints help, exit 2).
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            e.exit()
        }
        // Bad flags: one line and a hint, like every other error; exit 2.
        Err(e) => {
            eprintln!("error: {}", devcontext::cli::usage_error(&e));
            std::process::exit(2);
        }
    };
    devcontext::logging::init(cli.verbose);
    if let Err(e) = devcontext::commands::run(cli) {
        if e.message != "output closed" {
            eprintln!("error: {e}");
        }
        std::process::exit(e.exit_code());
    }
}
