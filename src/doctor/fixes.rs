//! The settings to change, worded as the Auth0 dashboard names them: each
//! failed check's fix names exactly one of them (or `devcontext setup`).

pub fn app(client_id: &str) -> String {
    format!("Applications > Applications > the application with client id {client_id}")
}
pub fn rotation(client_id: &str) -> String {
    format!(
        "{} > Settings > Refresh Token Rotation: turn off \"Allow Refresh Token Rotation\" and Save (or run `devcontext setup`)",
        app(client_id)
    )
}
pub fn token_vault_grant(client_id: &str) -> String {
    format!(
        "{} > Settings > Advanced Settings > Grant Types: tick \"Token Vault\" and Save (or run `devcontext setup`)",
        app(client_id)
    )
}
pub const MFA: &str = "Security > Multi-factor Auth > Require Multi-factor Auth: choose \"Never\" and Save (run MFA from an Action instead; Token Vault cannot answer MFA challenges)";
pub const MY_ACCOUNT_ACTIVATE: &str =
    "Applications > APIs > Auth0 My Account API: Activate (or run `devcontext setup`)";
pub const CONSENT: &str = "Applications > APIs > Auth0 My Account API > Settings > Access Settings: turn on \"Allow Skipping User Consent\" and Save (or run `devcontext setup`)";
pub fn user_grant(client_id: &str) -> String {
    format!(
        "Applications > APIs > Auth0 My Account API > Application Access: edit the application with client id {client_id}, set User Access to Authorized with create:me:connected_accounts, read:me:connected_accounts and delete:me:connected_accounts (or run `devcontext setup`)"
    )
}
pub fn mrrt(client_id: &str, audience: &str) -> String {
    format!(
        "give the application with client id {client_id} a Multi-Resource Refresh Token policy for audience {audience} with create:me:connected_accounts, read:me:connected_accounts and delete:me:connected_accounts: run `devcontext setup` (Management API: PATCH /api/v2/clients/{client_id} with refresh_token.policies)"
    )
}
pub fn connection(connection: &str, client_id: &str) -> String {
    format!(
        "Authentication > Social > {connection} > Applications: turn on the application with client id {client_id}; and Settings > Purpose: turn on \"Connected Accounts for Token Vault\" (or run `devcontext setup`)"
    )
}
pub fn provider_refresh_token(connect_name: &str) -> String {
    let provider = match connect_name {
        "github" => {
            "the GitHub App must have \"Expire user authorization tokens\" on (GitHub > Settings > Developer settings > GitHub Apps > your app > General)"
        }
        "slack" => {
            "the Slack app must rotate tokens (api.slack.com/apps > your app > OAuth & Permissions > Advanced token security via token rotation: Opt In)"
        }
        _ => {
            "the google-oauth2 connection must use your own Google OAuth client (not Auth0's development keys) with Offline Access on"
        }
    };
    format!("{provider}; then run `devcontext connect {connect_name}`")
}
