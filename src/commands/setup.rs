//! `devcontext setup`: glue between the configuration, the Management API
//! client and the plan (`crate::setup`); prints the plan or what changed,
//! then the steps left to a person. Never prints a token or secret.

use serde_json::json;

use crate::app::App;
use crate::auth::credentials::Secret;
use crate::auth::management::{Credentials, Management};
use crate::cli::SetupArgs;
use crate::error::{Error, Result};
use crate::output;
use crate::sanitize;
use crate::setup::{self, Target};

pub fn run(app: &App, args: SetupArgs) -> Result<()> {
    let base = crate::auth::domain(app)?;
    let a = &app.settings.auth0;
    let target = Target {
        base: base.clone(),
        web_client: a.client_id.clone(),
        device_client: a.device_client_id.clone(),
        api_audience: a.audience.clone(),
    };
    if target.web_client.is_none() && target.device_client.is_none() {
        return Err(Error::usage("setup needs the application to configure").with_hint(
            "set DEVCONTEXT_AUTH0_CLIENT_ID (Design A) or DEVCONTEXT_AUTH0_DEVICE_CLIENT_ID (Design B); docs/tenant-setup.md says how to create it",
        ));
    }
    let (credentials, via) = match (
        args.management_token.filter(|t| !t.trim().is_empty()),
        app.env.get("DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_ID"),
        app.env.get("DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_SECRET"),
    ) {
        (Some(t), _, _) => (
            Credentials::Token(Secret::new(t.trim().to_string())),
            "the given Management API token".to_string(),
        ),
        (None, Some(id), Some(secret)) => (
            Credentials::ClientCredentials {
                client_id: id.clone(),
                secret: Secret::new(secret),
            },
            format!("the machine-to-machine application {id}"),
        ),
        _ => {
            return Err(Error::usage("setup needs access to the Auth0 Management API").with_hint(format!(
                "set DEVCONTEXT_AUTH0_MANAGEMENT_TOKEN (Applications > APIs > Auth0 Management API > API Explorer), or DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_ID and _SECRET of a machine-to-machine application authorised with: {}",
                crate::auth::management::SCOPES
            )));
        }
    };
    let timeout = crate::auth::timeout(app);
    let dry_run = args.dry_run;
    let json_out = args.json;
    let (plan, applied) = super::block_on(async {
        let m = Management::open(&base, credentials, timeout).await?;
        let plan = setup::plan(&m, &target).await?;
        let mut applied = Vec::new();
        if !dry_run && !plan.changes.is_empty() {
            if !json_out {
                output::line(sanitize::line(&format!(
                    "Configuring {base} through {via}:"
                )))?;
            }
            setup::apply(&m, &plan, &mut |c| {
                if !json_out {
                    let _ = output::line(sanitize::line(&format!("  ✓ {}", c.what)));
                }
                applied.push(c.what.clone());
            })
            .await?;
        }
        Ok::<_, Error>((plan, applied))
    })??;
    let providers = setup::provider_steps(&base);
    if json_out {
        return output::print_json(&json!({
            "tenant": base.as_str(),
            "dry_run": dry_run,
            "checked": plan.checked,
            "changes": plan.changes,
            "changed": !dry_run && !plan.changes.is_empty(),
            "manual": plan.manual,
            "providers": providers,
        }));
    }
    if plan.changes.is_empty() {
        output::line(format!(
            "Nothing to change: {base} already matches docs/tenant-setup.md ({} settings checked).",
            plan.checked
        ))?;
    } else if dry_run {
        output::line(sanitize::line(&format!(
            "Would change on {base} ({} of {} settings; dry run, nothing changed):",
            plan.changes.len(),
            plan.checked
        )))?;
        for c in &plan.changes {
            output::line(sanitize::line(&format!(
                "  • {} ({} /api/v2/{})",
                c.what, c.method, c.path
            )))?;
        }
    } else {
        output::line(format!(
            "Changed {} of {} settings; run `devcontext setup` again to confirm nothing is left.",
            applied.len(),
            plan.checked
        ))?;
    }
    if !plan.manual.is_empty() {
        output::line("\nStill to do by hand in the Auth0 dashboard:")?;
        for m in &plan.manual {
            output::line(sanitize::line(&format!("  • {m}")))?;
        }
    }
    output::line("\nOn each provider's side (Auth0 cannot create these):")?;
    for p in &providers {
        output::line(format!(
            "  {} (Auth0 connection {}):",
            p.provider, p.connection
        ))?;
        for s in &p.steps {
            output::line(sanitize::line(&format!("    - {s}")))?;
        }
    }
    Ok(())
}
