//! The `devcontext` binary: parse, run, print the error as one line, exit with its code.

use clap::Parser;

fn main() {
    // Usage errors (bad flags) print clap's message and exit 2; --help/--version exit 0.
    let cli = devcontext::cli::Cli::parse();
    devcontext::logging::init(cli.verbose);
    if let Err(e) = devcontext::commands::run(cli) {
        if e.message != "output closed" {
            eprintln!("error: {e}");
        }
        std::process::exit(e.exit_code());
    }
}
