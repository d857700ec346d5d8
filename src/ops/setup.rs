//! `devcontext setup`: who may change the tenant (a Management API token or
//! a machine-to-machine application), then the plan (`crate::setup`) and,
//! unless it is a dry run, its changes. Never returns a token or secret.

use url::Url;

use crate::app::App;
use crate::auth::credentials::Secret;
use crate::auth::management::{Credentials, Management};
use crate::error::{Error, Result};
use crate::setup::{self, Plan, ProviderSteps, Target};

/// What the person is told while changes are made (a failure to tell them
/// stops setup before its first change, never half-way).
pub enum Step<'a> {
    /// Before the first change: the tenant and whose access is used.
    Configuring { base: &'a Url, via: &'a str },
    /// One change made.
    Changed(&'a str),
}

/// What setup found and did.
pub struct Report {
    pub base: Url,
    pub plan: Plan,
    /// What was changed (empty for a dry run or when nothing was needed).
    pub applied: Vec<String>,
    /// What each provider's side needs, which Auth0 cannot do.
    pub providers: Vec<ProviderSteps>,
}

/// Plans the tenant's settings and, unless `dry_run`, changes them.
pub fn setup(
    app: &App,
    management_token: Option<String>,
    dry_run: bool,
    step: &mut dyn FnMut(Step) -> Result<()>,
) -> Result<Report> {
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
    let (credentials, via) = access(app, management_token)?;
    let timeout = crate::auth::timeout(app);
    let (plan, applied) = super::block_on(async {
        let m = Management::open(&base, credentials, timeout).await?;
        let plan = setup::plan(&m, &target).await?;
        let mut applied = Vec::new();
        if !dry_run && !plan.changes.is_empty() {
            step(Step::Configuring {
                base: &base,
                via: &via,
            })?;
            setup::apply(&m, &plan, &mut |c| {
                let _ = step(Step::Changed(&c.what));
                applied.push(c.what.clone());
            })
            .await?;
        }
        Ok::<_, Error>((plan, applied))
    })??;
    let providers = setup::provider_steps(&base);
    Ok(Report {
        base,
        plan,
        applied,
        providers,
    })
}

/// The Management API access to use, and how to name it.
fn access(app: &App, token: Option<String>) -> Result<(Credentials, String)> {
    match (
        token.filter(|t| !t.trim().is_empty()),
        app.env.get("DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_ID"),
        app.env.get("DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_SECRET"),
    ) {
        (Some(t), _, _) => Ok((
            Credentials::Token(Secret::new(t.trim().to_string())),
            "the given Management API token".to_string(),
        )),
        (None, Some(id), Some(secret)) => Ok((
            Credentials::ClientCredentials {
                client_id: id.clone(),
                secret: Secret::new(secret),
            },
            format!("the machine-to-machine application {id}"),
        )),
        _ => Err(Error::usage("setup needs access to the Auth0 Management API").with_hint(format!(
            "set DEVCONTEXT_AUTH0_MANAGEMENT_TOKEN (Applications > APIs > Auth0 Management API > API Explorer), or DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_ID and _SECRET of a machine-to-machine application authorised with: {}",
            crate::auth::management::SCOPES
        ))),
    }
}
