//! `devcontext setup`: runs the setup operation (`crate::ops::setup`) and
//! prints the plan or what changed, then the steps left to a person. Never
//! prints a token or secret.

use serde_json::json;

use crate::app::App;
use crate::cli::SetupArgs;
use crate::error::Result;
use crate::ops::setup::{self, Step};

pub fn run(app: &App, args: SetupArgs) -> Result<()> {
    let ui = &app.ui;
    let (json_out, dry_run) = (args.json, args.dry_run);
    let mut step = |s: Step| match s {
        _ if json_out => Ok(()),
        Step::Configuring { base, via } => {
            ui.line(format_args!("Configuring {base} through {via}:"))
        }
        Step::Changed(what) => ui.line(format_args!("  ✓ {what}")),
    };
    let report = setup::setup(app, args.management_token, dry_run, &mut step)?;
    let (base, plan) = (&report.base, &report.plan);
    if json_out {
        return ui.json(&json!({
            "tenant": base.as_str(),
            "dry_run": dry_run,
            "checked": plan.checked,
            "changes": plan.changes,
            "changed": !dry_run && !plan.changes.is_empty(),
            "manual": plan.manual,
            "providers": report.providers,
        }));
    }
    if plan.changes.is_empty() {
        ui.line(format_args!(
            "Nothing to change: {base} already matches docs/tenant-setup.md ({} settings checked).",
            plan.checked
        ))?;
    } else if dry_run {
        ui.line(format_args!(
            "Would change on {base} ({} of {} settings; dry run, nothing changed):",
            plan.changes.len(),
            plan.checked
        ))?;
        for c in &plan.changes {
            ui.line(format_args!(
                "  • {} ({} /api/v2/{})",
                c.what, c.method, c.path
            ))?;
        }
    } else {
        ui.line(format_args!(
            "Changed {} of {} settings; run `devcontext setup` again to confirm nothing is left.",
            report.applied.len(),
            plan.checked
        ))?;
    }
    if !plan.manual.is_empty() {
        ui.line("")?;
        ui.line("Still to do by hand in the Auth0 dashboard:")?;
        for m in &plan.manual {
            ui.line(format_args!("  • {m}"))?;
        }
    }
    ui.line("")?;
    ui.line("On each provider's side (Auth0 cannot create these):")?;
    for p in &report.providers {
        ui.line(format_args!(
            "  {} (Auth0 connection {}):",
            p.provider, p.connection
        ))?;
        for s in &p.steps {
            ui.line(format_args!("    - {s}"))?;
        }
    }
    Ok(())
}
