//! Connected Accounts through Auth0's My Account API: linking GitHub, Slack
//! and Google to the user's Auth0 account so Token Vault holds their tokens
//! (connect -> browser -> loopback callback with connect_code -> complete),
//! listing linked accounts, and removing one.

use std::time::Duration;

use oauth2::{CsrfToken, PkceCodeChallenge};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::callback::{Browser, Callback};
use super::credentials::Secret;
use super::{Active, MY_ACCOUNT_SCOPES};
use crate::error::{Error, Result};
use crate::service::Service;

/// A linked account as the My Account API reports it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ConnectedAccount {
    pub id: String,
    pub connection: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub created_at: Option<String>,
    pub expires_at: Option<String>,
}

impl ConnectedAccount {
    pub fn service(&self) -> Option<Service> {
        Service::from_connection(&self.connection)
    }
}

/// One page of `GET /me/v1/connected-accounts/accounts`.
#[derive(Debug, Deserialize)]
pub struct AccountsPage {
    #[serde(default)]
    pub accounts: Vec<ConnectedAccount>,
    /// The cursor of the next page, if any.
    pub next: Option<String>,
}

impl AccountsPage {
    /// Reads a page from the answer's JSON. Outside input: never panics.
    pub fn read(value: serde_json::Value) -> Result<AccountsPage> {
        serde_json::from_value(value)
            .map_err(|e| Error::upstream(format!("unexpected accounts list from Auth0 ({e})")))
    }
}

/// Reads a My Account API answer: a 2xx body as JSON (empty means null), any
/// other status as an error with the problem's detail (redacted) and a hint.
/// Outside input: never panics.
pub fn read_answer(status: reqwest::StatusCode, bytes: &[u8]) -> Result<serde_json::Value> {
    if status.is_success() {
        if bytes.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        return serde_json::from_slice(bytes).map_err(|e| {
            Error::upstream(format!("the My Account API answered unreadable JSON ({e})"))
        });
    }
    let problem: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let detail = problem["detail"]
        .as_str()
        .or(problem["title"].as_str())
        .unwrap_or("no detail")
        .to_string();
    let detail = crate::redact::redact(&detail);
    Err(match status.as_u16() {
        401 => Error::login_required(format!("the My Account API rejected the session: {detail}")),
        403 => Error::upstream(format!("the My Account API refused: {detail}")).with_hint(
            "give the Auth0 application a user-access grant to the My Account API with the Connected Accounts scopes, and an MRRT policy for it",
        ),
        404 => Error::general(format!("the connection attempt expired or is unknown: {detail}"))
            .with_hint("run `devcontext connect` again"),
        409 => Error::general(format!("that account is already connected: {detail}"))
            .with_hint("run `devcontext disconnect` first to replace it"),
        429 => Error::upstream(format!("Auth0 is rate limiting: {detail}")).with_hint("wait a minute and retry"),
        _ => Error::upstream(format!("the My Account API answered HTTP {status}: {detail}")),
    })
}

/// The My Account API's audience for this tenant (`https://DOMAIN/me/`).
pub fn my_account_audience(active: &Active) -> String {
    format!("{}me/", active.client.base)
}

/// The Connected Accounts scopes a My Account token answer lacks. Auth0
/// silently answers for the login audience when the application has no MRRT
/// policy for the My Account API, so the granted `scope` is what tells.
pub fn missing_my_account_scopes(granted: Option<&str>) -> Vec<&'static str> {
    let granted: Vec<&str> = granted.unwrap_or("").split([' ', ',']).collect();
    MY_ACCOUNT_SCOPES
        .split(' ')
        .filter(|s| !granted.contains(s))
        .collect()
}

/// A My Account API client holding a short-lived access token (MRRT).
pub struct MyAccount<'a> {
    active: &'a Active,
    token: Secret,
    base: String,
}

impl<'a> MyAccount<'a> {
    /// Gets a My Account API token with the refresh token (multi-resource refresh).
    pub async fn open(active: &'a Active) -> Result<MyAccount<'a>> {
        let audience = my_account_audience(active);
        let tokens = active
            .refresh(Some(&audience), Some(MY_ACCOUNT_SCOPES))
            .await?;
        let missing = missing_my_account_scopes(tokens.scope.as_deref());
        if !missing.is_empty() {
            return Err(Error::upstream(format!(
                "Auth0 gave no My Account API token with {} (the application's refresh-token policy or user-access grant lacks it)",
                missing.join(" ")
            ))
            .with_hint("run `devcontext doctor` to see which setting; `devcontext setup` adds the MRRT policy and grant"));
        }
        Ok(MyAccount::with_token(active, tokens.access_token))
    }

    /// A client for a My Account API token obtained elsewhere (`doctor`).
    pub fn with_token(active: &'a Active, token: Secret) -> MyAccount<'a> {
        MyAccount {
            active,
            token,
            base: format!("{}me/v1/connected-accounts", active.client.base),
        }
    }

    /// The connections this application may link (`GET .../connections`):
    /// Connected Accounts on and the application enabled.
    pub async fn available_connections(&self) -> Result<Vec<String>> {
        let value = self
            .request(reqwest::Method::GET, "connections", None, &[])
            .await?;
        Ok(value["connections"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|c| c["name"].as_str().map(str::to_string))
                    .take(100)
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        query: &[(&str, String)],
    ) -> Result<serde_json::Value> {
        let url = format!("{}/{path}", self.base);
        let mut req = self
            .active
            .client
            .http()
            .request(method, &url)
            .bearer_auth(self.token.expose())
            .query(query);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let response = req
            .send()
            .await
            .map_err(|e| crate::net::transport_error(&e, "Auth0 My Account API"))?;
        let status = response.status();
        let what = "Auth0 My Account API";
        let bytes = crate::net::read_capped(response, crate::net::MAX_AUTH0_BODY, what)
            .await?
            .ok_or_else(|| crate::net::oversized(what, crate::net::MAX_AUTH0_BODY))?;
        read_answer(status, &bytes)
    }

    /// All linked accounts (follows pagination).
    pub async fn list(&self) -> Result<Vec<ConnectedAccount>> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..50 {
            let mut query = vec![("take", "20".to_string())];
            if let Some(c) = &cursor {
                query.push(("from", c.clone()));
            }
            let value = self
                .request(reqwest::Method::GET, "accounts", None, &query)
                .await?;
            let page = AccountsPage::read(value)?;
            all.extend(page.accounts);
            match page.next {
                Some(n) if !n.is_empty() => cursor = Some(n),
                _ => break,
            }
        }
        Ok(all)
    }

    pub async fn delete(&self, id: &str) -> Result<()> {
        if !id.starts_with("cac_") || !id[4..].chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::upstream(format!(
                "unexpected account id '{}' from Auth0",
                crate::sanitize::line(&crate::sanitize::truncate(id, 60))
            )));
        }
        let id = crate::net::path_segment(id).map_err(Error::upstream)?;
        self.request(
            reqwest::Method::DELETE,
            &format!("accounts/{id}"),
            None,
            &[],
        )
        .await
        .map(|_| ())
    }

    /// Runs the connect flow for one service and returns the new account.
    /// `browser` opens the connect URL (None: `--no-browser`); `show_url`
    /// is told the URL and whether a browser was opened on it.
    pub async fn connect(
        &self,
        service: Service,
        scopes: &[String],
        callback_port: Option<u16>,
        browser: Option<&Browser>,
        wait: Duration,
        show_url: &dyn Fn(&str, bool),
    ) -> Result<ConnectedAccount> {
        let callback = Callback::bind(callback_port).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = CsrfToken::new_random();
        let mut body = json!({
            "connection": service.connection(),
            "redirect_uri": callback.redirect_uri,
            "state": state.secret(),
            "code_challenge": challenge.as_str(),
            "code_challenge_method": "S256",
        });
        if !scopes.is_empty() {
            body["scopes"] = json!(scopes);
        }
        let started = self
            .request(reqwest::Method::POST, "connect", Some(body), &[])
            .await?;
        let ConnectStart {
            connect_uri,
            auth_session,
            ticket,
        } = read_connect_start(&started)?;
        let mut url = crate::net::secure_url(connect_uri, "connect URL")?;
        url.query_pairs_mut().append_pair("ticket", ticket);
        let opened = browser.is_some_and(|b| b.open(url.as_str()));
        show_url(url.as_str(), opened);
        let redirect_uri = callback.redirect_uri.clone();
        let params = callback.wait(wait, state.secret()).await?;
        if params.contains_key("error") {
            return Err(Error::general(format!(
                "{} was not connected: {}",
                service.display_name(),
                super::callback::describe_error(&params)
            ))
            .with_hint(format!(
                "run `devcontext connect {}` again",
                service.connect_name()
            )));
        }
        if params.get("state").map(String::as_str) != Some(state.secret().as_str()) {
            return Err(Error::general(
                "the browser's answer does not match this connect request (state mismatch)",
            )
            .with_hint(format!(
                "run `devcontext connect {}` again",
                service.connect_name()
            )));
        }
        let code = params
            .get("connect_code")
            .ok_or_else(|| Error::upstream("the redirect carried no connect_code"))?;
        let completed = self
            .request(
                reqwest::Method::POST,
                "complete",
                Some(json!({
                    "auth_session": auth_session,
                    "connect_code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier.secret(),
                })),
                &[],
            )
            .await?;
        serde_json::from_value(completed)
            .map_err(|e| Error::upstream(format!("unexpected answer to connect/complete ({e})")))
    }
}

/// What Auth0's answer to `POST .../connect` must carry, all three non-empty:
/// where the browser goes, the session `complete` names, and the ticket
/// added to the URL.
#[derive(Debug, PartialEq)]
struct ConnectStart<'v> {
    connect_uri: &'v str,
    auth_session: &'v str,
    ticket: &'v str,
}

/// Reads the connect answer; one field missing or empty refuses it.
/// Outside input: never panics.
fn read_connect_start(started: &serde_json::Value) -> Result<ConnectStart<'_>> {
    let connect_uri = started["connect_uri"].as_str().unwrap_or_default();
    let auth_session = started["auth_session"].as_str().unwrap_or_default();
    let ticket = started["connect_params"]["ticket"]
        .as_str()
        .unwrap_or_default();
    if connect_uri.is_empty() || auth_session.is_empty() || ticket.is_empty() {
        return Err(Error::upstream(
            "Auth0's connect answer is missing connect_uri, auth_session or ticket",
        ));
    }
    Ok(ConnectStart {
        connect_uri,
        auth_session,
        ticket,
    })
}

/// What `devcontext connect SERVICE [--scopes …]` will do, decided locally
/// before any browser step from the accounts Auth0 lists (§4.1a of
/// auth0-protocol.md: a re-connect replaces the account's scopes, so adding
/// scopes means sending the union of the current and the new ones).
#[derive(Debug, Clone, PartialEq)]
pub enum ConnectPlan {
    /// Not connected yet: connect with these scopes.
    New { scopes: Vec<String> },
    /// Already connected: re-authorise the same account in place with the
    /// union of its scopes and the requested ones (`added` are the new ones).
    Reauthorize {
        account: ConnectedAccount,
        scopes: Vec<String>,
        added: Vec<String>,
    },
    /// Already connected with every requested scope: nothing to do.
    NothingToAdd { account: ConnectedAccount },
}

/// Decides the connect plan. `requested` is `--scopes` (None: the defaults).
pub fn plan_connect(
    existing: Option<&ConnectedAccount>,
    requested: Option<&[String]>,
    defaults: &[&str],
) -> ConnectPlan {
    let wanted: Vec<String> = match requested {
        Some(r) => r.to_vec(),
        None => defaults.iter().map(|s| s.to_string()).collect(),
    };
    let mut wanted_unique: Vec<String> = Vec::new();
    for s in wanted {
        if !wanted_unique.contains(&s) {
            wanted_unique.push(s);
        }
    }
    let Some(account) = existing else {
        return ConnectPlan::New {
            scopes: wanted_unique,
        };
    };
    let added: Vec<String> = wanted_unique
        .iter()
        .filter(|s| !account.scopes.contains(s))
        .cloned()
        .collect();
    if requested.is_some() && added.is_empty() {
        return ConnectPlan::NothingToAdd {
            account: account.clone(),
        };
    }
    let mut scopes = Vec::new();
    for s in account.scopes.iter().chain(added.iter()) {
        if !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    ConnectPlan::Reauthorize {
        account: account.clone(),
        scopes,
        added,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(scopes: &[&str]) -> ConnectedAccount {
        ConnectedAccount {
            id: "cac_1".into(),
            connection: "sign-in-with-slack".into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            created_at: None,
            expires_at: None,
        }
    }

    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_connect_answer_lacking_any_one_field_is_refused() {
        let full = json!({
            "connect_uri": "https://tenant.example/connect",
            "auth_session": "as_1",
            "connect_params": {"ticket": "t_1"},
            "expires_in": 300,
        });
        assert_eq!(
            read_connect_start(&full).unwrap(),
            ConnectStart {
                connect_uri: "https://tenant.example/connect",
                auth_session: "as_1",
                ticket: "t_1",
            }
        );
        // Each field alone missing, empty or not a string.
        for pointer in ["/connect_uri", "/auth_session", "/connect_params/ticket"] {
            for bad in [None, Some(json!("")), Some(json!(7))] {
                let mut answer = full.clone();
                let (parent, key) = pointer.rsplit_once('/').unwrap();
                let object = answer.pointer_mut(parent).unwrap().as_object_mut().unwrap();
                match &bad {
                    None => {
                        object.remove(key);
                    }
                    Some(v) => {
                        object.insert(key.to_string(), v.clone());
                    }
                }
                let err = read_connect_start(&answer).unwrap_err();
                assert!(
                    err.to_string()
                        .contains("missing connect_uri, auth_session or ticket"),
                    "{pointer} {bad:?}: {err}"
                );
            }
        }
        assert!(read_connect_start(&json!({"connect_params": null})).is_err());
    }

    #[test]
    fn a_new_connection_asks_for_the_requested_or_default_scopes() {
        assert_eq!(
            plan_connect(None, None, &["a", "b"]),
            ConnectPlan::New {
                scopes: v(&["a", "b"])
            }
        );
        assert_eq!(
            plan_connect(None, Some(&v(&["c", "c"])), &["a"]),
            ConnectPlan::New { scopes: v(&["c"]) }
        );
    }

    #[test]
    fn adding_scopes_sends_the_union_and_keeps_the_old_ones() {
        let acc = account(&["a", "b"]);
        assert_eq!(
            plan_connect(Some(&acc), Some(&v(&["b", "chat:write"])), &["a"]),
            ConnectPlan::Reauthorize {
                account: acc.clone(),
                scopes: v(&["a", "b", "chat:write"]),
                added: v(&["chat:write"]),
            }
        );
    }

    #[test]
    fn nothing_new_is_decided_locally() {
        let acc = account(&["a", "b"]);
        assert_eq!(
            plan_connect(Some(&acc), Some(&v(&["b"])), &["a"]),
            ConnectPlan::NothingToAdd {
                account: acc.clone()
            }
        );
        // A plain re-connect re-authorises in place with the current scopes
        // (how a connection revoked at the provider is repaired).
        assert_eq!(
            plan_connect(Some(&acc), None, &["a"]),
            ConnectPlan::Reauthorize {
                account: acc.clone(),
                scopes: v(&["a", "b"]),
                added: vec![],
            }
        );
    }
}
