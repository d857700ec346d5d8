//! The `devcontext` binary: parse, run, print the error as one line, exit with its code.

use clap::Parser;
use clap::error::ErrorKind;

fn main() {
    let cli = match devcontext::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print and exit 0.
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.exit()
        }
        // A bare `devcontext` (like gh and cargo): help on stdout, exit 0. A
        // subcommand group without its subcommand (`devcontext perms`) is a
        // usage error: help on stderr, exit 2.
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let mut cmd = <devcontext::cli::Cli as clap::CommandFactory>::command();
            let named = std::env::args()
                .skip(1)
                .any(|a| cmd.find_subcommand(&a).is_some());
            if !named {
                let _ = cmd.print_help();
                std::process::exit(0);
            }
            e.exit()
        }
        // Bad flags: one line and a hint, like every other error; exit 2.
        Err(e) => {
            // Display sanitises: the line may quote the command line.
            eprintln!("error: {}", devcontext::cli::usage_error(&e));
            std::process::exit(2);
        }
    };
    devcontext::logging::init(cli.verbose);
    if let Err(e) = devcontext::commands::run(cli) {
        if !e.is_output_closed() {
            eprintln!("error: {e}");
        }
        std::process::exit(e.exit_code());
    }
}
