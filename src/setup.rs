//! `devcontext setup`: makes a tenant match docs/tenant-setup.md through the
//! Management API, for everything the Management API can set: the
//! application (grant types, callback URLs, rotation off, MRRT policy), the
//! My Account API (activated, consent skipping, the user-access grant),
//! Design B's API (offline access) and each connection (Connected Accounts
//! on, the applications enabled). It reads first and changes only what
//! differs, so a second run changes nothing. What Auth0 cannot do (the
//! provider apps, the MFA policy, missing connections) is returned as steps
//! for a person, with the values to paste.

use serde::Serialize;
use serde_json::{Value, json};
use url::Url;

use crate::auth::MY_ACCOUNT_SCOPES;
use crate::auth::management::Management;
use crate::error::Result;
use crate::service::Service;
use crate::vault::GRANT as TOKEN_VAULT_GRANT;

pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The six loopback callback URLs (`devcontext login`/`connect` use the first free port).
pub fn callback_urls() -> Vec<String> {
    (18484..=18489)
        .map(|p| format!("http://127.0.0.1:{p}/callback"))
        .collect()
}

/// What to set up: the tenant and the applications from the configuration.
#[derive(Debug, Clone)]
pub struct Target {
    pub base: Url,
    /// Design A: the Regular Web Application.
    pub web_client: Option<String>,
    /// Design B: the Native application (device flow).
    pub device_client: Option<String>,
    /// Design B: the devcontext API's identifier.
    pub api_audience: Option<String>,
}

impl Target {
    pub fn my_account(&self) -> String {
        format!("{}me/", self.base)
    }

    fn apps(&self) -> Vec<&str> {
        self.web_client
            .iter()
            .chain(self.device_client.iter())
            .map(String::as_str)
            .collect()
    }
}

/// One Management API change.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// What it does, for a person.
    pub what: String,
    pub method: String,
    /// Relative to `/api/v2/`.
    pub path: String,
    #[serde(skip)]
    pub body: Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Settings compared with the guide.
    pub checked: usize,
    pub changes: Vec<Change>,
    /// Steps only a person can do in the dashboard.
    pub manual: Vec<String>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn missing(have: &[String], want: &[&str]) -> Vec<String> {
    want.iter()
        .filter(|w| !have.iter().any(|h| h == *w))
        .map(|w| w.to_string())
        .collect()
}

fn union(have: &[String], add: &[String]) -> Vec<String> {
    let mut out = have.to_vec();
    for a in add {
        if !out.contains(a) {
            out.push(a.clone());
        }
    }
    out
}

fn grant_name(g: &str) -> &str {
    match g {
        TOKEN_VAULT_GRANT => "Token Vault",
        DEVICE_GRANT => "Device Code",
        "refresh_token" => "Refresh Token",
        "authorization_code" => "Authorization Code",
        other => other,
    }
}

/// The PATCH an application needs (None when it matches). `web`: Design A's
/// confidential app (Token Vault grant, callbacks, rotation off); otherwise
/// Design B's native app (Device Code and Refresh Token grants).
pub fn client_change(
    client: &Value,
    web: bool,
    my_account: &str,
    checked: &mut usize,
) -> Option<Change> {
    let id = client["client_id"].as_str().unwrap_or_default();
    let mut body = serde_json::Map::new();
    let mut said = Vec::new();
    let grants = strings(&client["grant_types"]);
    let want: &[&str] = if web {
        &["authorization_code", "refresh_token", TOKEN_VAULT_GRANT]
    } else {
        &[DEVICE_GRANT, "refresh_token"]
    };
    *checked += 1;
    let add = missing(&grants, want);
    if !add.is_empty() {
        said.push(format!(
            "add grant types {}",
            add.iter()
                .map(|g| grant_name(g))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        body.insert("grant_types".into(), json!(union(&grants, &add)));
    }
    if web {
        *checked += 1;
        let callbacks = strings(&client["callbacks"]);
        let urls = callback_urls();
        let want: Vec<&str> = urls.iter().map(String::as_str).collect();
        let add = missing(&callbacks, &want);
        if !add.is_empty() {
            said.push(format!("add Allowed Callback URLs {}", add.join(", ")));
            body.insert("callbacks".into(), json!(union(&callbacks, &add)));
        }
    }
    let mut refresh = client["refresh_token"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut refresh_changed = false;
    if web {
        *checked += 1;
        if refresh.get("rotation_type").and_then(Value::as_str) != Some("non-rotating") {
            said.push("turn off refresh-token rotation".into());
            refresh.insert("rotation_type".into(), json!("non-rotating"));
            refresh_changed = true;
        }
    }
    *checked += 1;
    let mut policies: Vec<Value> = refresh
        .get("policies")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let scopes: Vec<&str> = MY_ACCOUNT_SCOPES.split(' ').collect();
    match policies
        .iter_mut()
        .find(|p| p["audience"].as_str() == Some(my_account))
    {
        Some(p) => {
            let have = strings(&p["scope"]);
            let add = missing(&have, &scopes);
            if !add.is_empty() {
                said.push(format!(
                    "add {} to the MRRT policy for {my_account}",
                    add.join(" ")
                ));
                p["scope"] = json!(union(&have, &add));
                refresh_changed = true;
            }
        }
        None => {
            said.push(format!(
                "add an MRRT policy for {my_account} ({MY_ACCOUNT_SCOPES})"
            ));
            policies.push(json!({"audience": my_account, "scope": scopes}));
            refresh_changed = true;
        }
    }
    if refresh_changed {
        refresh.insert("policies".into(), json!(policies));
        body.insert("refresh_token".into(), Value::Object(refresh));
    }
    (!body.is_empty()).then(|| Change {
        what: format!("application {id}: {}", said.join("; ")),
        method: "PATCH".into(),
        path: format!("clients/{id}"),
        body: Value::Object(body),
    })
}

/// The change the My Account API needs (activate, or allow skipping consent).
pub fn my_account_change(
    existing: Option<&Value>,
    identifier: &str,
    checked: &mut usize,
) -> Option<Change> {
    *checked += 1;
    match existing {
        None => Some(Change {
            what: format!(
                "activate the My Account API ({identifier}) with \"Allow Skipping User Consent\""
            ),
            method: "POST".into(),
            path: "resource-servers".into(),
            body: json!({
                "identifier": identifier,
                "name": "Auth0 My Account API",
                "skip_consent_for_verifiable_first_party_clients": true,
            }),
        }),
        Some(rs) if rs["skip_consent_for_verifiable_first_party_clients"] != json!(true) => {
            Some(Change {
                what: "My Account API: turn on \"Allow Skipping User Consent\"".into(),
                method: "PATCH".into(),
                path: format!("resource-servers/{}", rs["id"].as_str().unwrap_or_default()),
                body: json!({"skip_consent_for_verifiable_first_party_clients": true}),
            })
        }
        Some(_) => None,
    }
}

/// The user-access grant an application needs on the My Account API.
pub fn grant_change(
    grants: &[Value],
    client_id: &str,
    audience: &str,
    checked: &mut usize,
) -> Option<Change> {
    *checked += 1;
    let scopes: Vec<&str> = MY_ACCOUNT_SCOPES.split(' ').collect();
    let user = grants.iter().find(|g| {
        g["client_id"] == client_id && g["audience"] == audience && g["subject_type"] == "user"
    });
    match user {
        None => Some(Change {
            what: format!(
                "application {client_id}: user-access grant to the My Account API ({MY_ACCOUNT_SCOPES})"
            ),
            method: "POST".into(),
            path: "client-grants".into(),
            body: json!({"client_id": client_id, "audience": audience, "scope": scopes, "subject_type": "user"}),
        }),
        Some(g) => {
            let have = strings(&g["scope"]);
            let add = missing(&have, &scopes);
            (!add.is_empty()).then(|| Change {
                what: format!(
                    "application {client_id}: add {} to its My Account API grant",
                    add.join(" ")
                ),
                method: "PATCH".into(),
                path: format!("client-grants/{}", g["id"].as_str().unwrap_or_default()),
                body: json!({"scope": union(&have, &add)}),
            })
        }
    }
}

/// The change a connection needs: Connected Accounts on, the apps enabled.
pub fn connection_change(conn: &Value, apps: &[&str], checked: &mut usize) -> Option<Change> {
    let name = conn["name"].as_str().unwrap_or_default();
    let mut body = serde_json::Map::new();
    let mut said = Vec::new();
    *checked += 2;
    if conn["connected_accounts"]["active"] != json!(true) {
        said.push("turn on the purpose \"Connected Accounts for Token Vault\"".to_string());
        body.insert("connected_accounts".into(), json!({"active": true}));
    }
    let enabled = strings(&conn["enabled_clients"]);
    let add = missing(&enabled, apps);
    if !add.is_empty() {
        said.push(format!("enable it for application {}", add.join(", ")));
        body.insert("enabled_clients".into(), json!(union(&enabled, &add)));
    }
    (!body.is_empty()).then(|| Change {
        what: format!("connection {name}: {}", said.join("; ")),
        method: "PATCH".into(),
        path: format!("connections/{}", conn["id"].as_str().unwrap_or_default()),
        body: Value::Object(body),
    })
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Reads the tenant and returns what differs from the guide.
pub async fn plan(m: &Management, t: &Target) -> Result<Plan> {
    let mut checked = 0;
    let mut changes = Vec::new();
    let mut manual = Vec::new();
    let me = t.my_account();
    for (id, web) in t
        .web_client
        .iter()
        .map(|id| (id, true))
        .chain(t.device_client.iter().map(|id| (id, false)))
    {
        let client = m.get(&format!("clients/{}", enc(id))).await?;
        changes.extend(client_change(&client, web, &me, &mut checked));
    }
    let existing = m
        .get(&format!("resource-servers?identifier={}", enc(&me)))
        .await?;
    let existing = existing.as_array().and_then(|a| a.first()).cloned();
    changes.extend(my_account_change(existing.as_ref(), &me, &mut checked));
    for id in t.apps() {
        let grants = m
            .get(&format!(
                "client-grants?client_id={}&audience={}",
                enc(id),
                enc(&me)
            ))
            .await?;
        let grants = grants.as_array().cloned().unwrap_or_default();
        changes.extend(grant_change(&grants, id, &me, &mut checked));
    }
    if let (Some(_), Some(aud)) = (&t.device_client, &t.api_audience) {
        checked += 1;
        let api = m
            .get(&format!("resource-servers?identifier={}", enc(aud)))
            .await?;
        match api.as_array().and_then(|a| a.first()) {
            Some(rs) if rs["allow_offline_access"] != json!(true) => changes.push(Change {
                what: format!("API {aud}: turn on \"Allow Offline Access\" (device logins need a refresh token)"),
                method: "PATCH".into(),
                path: format!("resource-servers/{}", rs["id"].as_str().unwrap_or_default()),
                body: json!({"allow_offline_access": true}),
            }),
            Some(_) => {}
            None => manual.push(format!(
                "Applications > APIs > Create API: identifier {aud}, then Settings > Access Settings: turn on \"Allow Offline Access\", and create its Custom API Client (DEVCONTEXT_AUTH0_API_CLIENT_ID / _SECRET) with the Token Vault grant"
            )),
        }
    }
    let apps = t.apps();
    for service in Service::ALL {
        let name = service.connection();
        let list = m.get(&format!("connections?name={}", enc(name))).await?;
        match list.as_array().and_then(|a| a.iter().find(|c| c["name"] == name)) {
            Some(conn) => changes.extend(connection_change(conn, &apps, &mut checked)),
            None => manual.push(format!(
                "Authentication > Social > Create Connection: add the {name} connection (for {}), then run `devcontext setup` again",
                service.display_name()
            )),
        }
    }
    checked += 1;
    match m.get("guardian/policies").await {
        Ok(p) if strings(&p).iter().any(|x| x == "all-applications") => manual.push(
            "the tenant's MFA policy is \"Always\", which breaks Token Vault exchanges: Security > Multi-factor Auth > Require Multi-factor Auth: choose \"Never\" (run MFA from an Action instead)".into(),
        ),
        Ok(_) => {}
        Err(_) => manual.push(
            "could not read the MFA policy (scope read:mfa_policies): check that Security > Multi-factor Auth > Require Multi-factor Auth is not \"Always\"".into(),
        ),
    }
    Ok(Plan {
        checked,
        changes,
        manual,
    })
}

/// Applies the plan's changes in order; `done` is told after each one.
pub async fn apply(m: &Management, plan: &Plan, done: &mut dyn FnMut(&Change)) -> Result<()> {
    for c in &plan.changes {
        let method = reqwest::Method::from_bytes(c.method.as_bytes())
            .map_err(|e| crate::error::Error::general(format!("bad method {}: {e}", c.method)))?;
        m.call(method, &c.path, Some(&c.body)).await?;
        done(c);
    }
    Ok(())
}

/// What to create on a provider's side, with the values to paste.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderSteps {
    pub provider: &'static str,
    pub connection: &'static str,
    pub steps: Vec<String>,
}

/// The provider apps Auth0 cannot create, for the tenant at `base`.
pub fn provider_steps(base: &Url) -> Vec<ProviderSteps> {
    let callback = format!("{base}login/callback");
    let slack_scopes: Vec<&str> = Service::Slack
        .default_scopes()
        .iter()
        .copied()
        .chain(["chat:write"])
        .collect();
    vec![
        ProviderSteps {
            provider: "GitHub",
            connection: "github",
            steps: vec![
                "create a GitHub App: github.com/settings/apps/new (or your organisation's Settings > Developer settings > GitHub Apps > New GitHub App)".into(),
                format!("Callback URL: {callback}"),
                "tick \"Expire user authorization tokens\" (without it GitHub issues no refresh token and Token Vault cannot store the account)".into(),
                "Repository permissions: Pull requests: Read-only; Issues: Read and write (for `devcontext tool github comment`); Metadata: Read-only; then install the app on the repositories devcontext should read".into(),
                "paste the app's Client ID and a new Client secret into Auth0: Authentication > Social > github > Client ID / Client Secret".into(),
            ],
        },
        ProviderSteps {
            provider: "Slack",
            connection: "sign-in-with-slack",
            steps: vec![
                "create a Slack app: api.slack.com/apps > Create New App > From scratch".into(),
                format!("OAuth & Permissions > Redirect URLs: {callback}"),
                format!("OAuth & Permissions > User Token Scopes: {}", slack_scopes.join(", ")),
                "OAuth & Permissions > Advanced token security via token rotation: Opt In (without it Slack issues no refresh token)".into(),
                "Manage Distribution > Activate Public Distribution, if the app is used outside its own workspace".into(),
                "paste Basic Information > App Credentials > Client ID and Client Secret into Auth0: Authentication > Social > sign-in-with-slack".into(),
            ],
        },
        ProviderSteps {
            provider: "Google",
            connection: "google-oauth2",
            steps: vec![
                "Google Cloud console > APIs & Services > Library: enable the Google Calendar API".into(),
                "OAuth consent screen: add the scope https://www.googleapis.com/auth/calendar.readonly (and yourself as a test user while the app is in Testing)".into(),
                format!("Credentials > Create credentials > OAuth client ID > Web application; Authorized redirect URIs: {callback}"),
                "paste its Client ID and Client secret into Auth0: Authentication > Social > google-oauth2 (not Auth0's development keys), and turn on Offline Access".into(),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: &str = "https://t.example/me/";

    #[test]
    fn a_matching_client_needs_no_change_and_a_blank_one_gets_everything() {
        let mut n = 0;
        let good = json!({
            "client_id": "c1",
            "grant_types": ["authorization_code", "refresh_token", TOKEN_VAULT_GRANT],
            "callbacks": callback_urls(),
            "refresh_token": {"rotation_type": "non-rotating", "policies": [{"audience": ME, "scope": MY_ACCOUNT_SCOPES.split(' ').collect::<Vec<_>>()}]},
        });
        assert!(client_change(&good, true, ME, &mut n).is_none());
        assert_eq!(n, 4);
        let blank = json!({"client_id": "c1", "grant_types": ["implicit"], "refresh_token": {"rotation_type": "rotating", "leeway": 0}});
        let c = client_change(&blank, true, ME, &mut n).unwrap();
        assert_eq!(c.path, "clients/c1");
        assert_eq!(
            c.body["grant_types"][0], "implicit",
            "existing grants are kept"
        );
        assert_eq!(c.body["callbacks"].as_array().unwrap().len(), 6);
        assert_eq!(c.body["refresh_token"]["rotation_type"], "non-rotating");
        assert_eq!(
            c.body["refresh_token"]["leeway"], 0,
            "other settings are kept"
        );
        assert_eq!(c.body["refresh_token"]["policies"][0]["audience"], ME);
        assert!(c.what.contains("Token Vault"), "{}", c.what);
    }

    #[test]
    fn grants_and_connections_are_only_added_to() {
        let mut n = 0;
        let grants = vec![
            json!({"id": "g1", "client_id": "c1", "audience": ME, "subject_type": "user", "scope": ["read:me:connected_accounts", "read:me"]}),
        ];
        let c = grant_change(&grants, "c1", ME, &mut n).unwrap();
        assert_eq!(c.method, "PATCH");
        assert_eq!(c.body["scope"].as_array().unwrap().len(), 4);
        assert_eq!(grant_change(&[], "c2", ME, &mut n).unwrap().method, "POST");
        let conn = json!({"id": "con1", "name": "github", "enabled_clients": ["other"], "connected_accounts": {"active": true}});
        let c = connection_change(&conn, &["c1"], &mut n).unwrap();
        assert_eq!(c.body["enabled_clients"], json!(["other", "c1"]));
        assert!(c.body.get("connected_accounts").is_none());
    }
}
