//! `devcontext completions SHELL` and `devcontext man`: generated from the clap definitions.

use clap::CommandFactory;

use crate::cli::{Cli, Shell};
use crate::error::Result;
use crate::output::{Ui, write_error};

pub fn completions(ui: &Ui, shell: Shell) -> Result<()> {
    let mut cmd = Cli::command();
    let shell = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
        Shell::Powershell => clap_complete::Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut cmd, "devcontext", &mut ui.stdout());
    Ok(())
}

pub fn man(ui: &Ui) -> Result<()> {
    let page = clap_mangen::Man::new(Cli::command());
    page.render(&mut ui.stdout()).map_err(write_error)
}
