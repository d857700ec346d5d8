//! What every command starts from: the environment, file locations, resolved
//! settings, the clock and the [`Ui`] it prints through, loaded once per
//! process.

use std::sync::Arc;

use crate::audit::{AuditLog, RunContext};
use crate::clock::Clock;
use crate::config::{self, Env, Overrides, Paths, Settings};
use crate::error::Result;
use crate::output::Ui;

#[derive(Clone)]
pub struct App {
    pub env: Env,
    pub paths: Paths,
    pub settings: Settings,
    pub clock: Clock,
    pub ui: Ui,
}

impl App {
    pub fn load(env: Env, overrides: &Overrides, ui: Ui) -> Result<App> {
        let paths = Paths::resolve(&env)?;
        let file = config::read_file_config(&paths.config_file)?;
        let settings = Settings::resolve(file, &env, overrides)?;
        let clock = Clock::from_env(env.get("DEVCONTEXT_NOW"))?;
        Ok(App {
            env,
            paths,
            settings,
            clock,
            ui,
        })
    }

    /// The audit store, opened for appending by the given command.
    pub fn audit(&self, command: &str) -> Result<Arc<AuditLog>> {
        Ok(Arc::new(AuditLog::open(
            &self.paths.audit_db(),
            RunContext::new(command),
        )?))
    }
}
