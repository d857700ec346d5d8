//! `devcontext doctor`: runs the checks (`crate::doctor`) and prints one line
//! per check, or the report as JSON.

use crate::app::App;
use crate::doctor::{self, Status};
use crate::error::Result;

pub fn run(app: &App, json: bool) -> Result<()> {
    let port = crate::ops::login::callback_port(app);
    let report = super::block_on(doctor::run(app, port))?;
    if json {
        app.ui.json(&report)?;
    } else {
        for c in &report.checks {
            let line = match c.status {
                Status::Pass => format!("✓ {}: {}", c.id, c.detail),
                Status::Fail => format!(
                    "✗ {}: {} — fix: {}",
                    c.id,
                    c.detail,
                    c.fix.as_deref().unwrap_or("")
                ),
                Status::Skip => format!("- {}: skipped, {}", c.id, c.detail),
            };
            app.ui.line(line)?;
        }
        app.ui.line(format_args!(
            "{} passed, {} failed, {} skipped",
            report.count(Status::Pass),
            report.count(Status::Fail),
            report.count(Status::Skip)
        ))?;
    }
    doctor::exit(&report)
}
