//! Adding scopes to a connected service (issue #16 point 3, #10 point 4):
//! `connect SERVICE --scopes …` on a linked account sends the union of its
//! current scopes and the new ones, and the emulator re-authorises the same
//! account in place (auth0-protocol.md §4.1a). Local checks come first: with
//! nothing new to add no connect request is made and no browser opens.

mod common;

use common::TestEnv;
use serde_json::Value;

fn slack_account(env: &TestEnv) -> Value {
    let all = env.get("/__emulator/accounts");
    let list: Vec<&Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["connection"] == "sign-in-with-slack")
        .collect();
    assert_eq!(list.len(), 1, "one Slack account: {all}");
    list[0].clone()
}

fn scopes(a: &Value) -> Vec<String> {
    a["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn adding_a_scope_keeps_the_old_ones_and_the_same_account() {
    let env = TestEnv::new();
    env.login();
    env.connect("slack", Some("channels:read,channels:history"));
    let before = slack_account(&env);

    let out = env
        .dc()
        .args(["connect", "slack", "--scopes", "chat:write"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // Said before the browser step, which follows it.
    let notice = stderr
        .find("re-authorising the same account in place to add chat:write")
        .unwrap_or_else(|| panic!("no notice: {stderr}"));
    let browser = stderr.find("Opened your browser").expect("browser line");
    assert!(notice < browser, "{stderr}");

    let after = slack_account(&env);
    assert_eq!(after["id"], before["id"], "replaced in place");
    assert_eq!(
        scopes(&after),
        ["channels:read", "channels:history", "chat:write"],
        "the union was sent and granted"
    );
    // The old provider token was replaced.
    assert_ne!(
        after["provider_token_expires_at"],
        Value::Null,
        "a new provider token"
    );
    let connections = env.json(&["connections", "--json"]);
    assert_eq!(connections.as_array().unwrap().len(), 1, "{connections}");
}

#[test]
fn nothing_new_to_add_is_decided_before_any_browser_step() {
    let env = TestEnv::new();
    env.login();
    env.connect("slack", Some("channels:read,chat:write"));
    env.clear_requests();
    let out = env
        .dc()
        .args(["connect", "slack", "--scopes", "chat:write"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("Slack is already connected (cac_")
            && stdout.contains("with every scope asked for; nothing changed."),
        "{stdout}"
    );
    assert!(!stderr.contains("browser"), "{stderr}");
    let paths: Vec<String> = env
        .requests()
        .iter()
        .map(|r| format!("{} {}", r["method"], r["path"]))
        .collect();
    assert!(
        !paths
            .iter()
            .any(|p| p.contains("/connected-accounts/connect") || p.contains("\"/connect\"")),
        "no connect flow was started: {paths:?}"
    );
    let ev = env.audit("connect");
    assert!(
        ev[0]["reason"]
            .as_str()
            .unwrap()
            .contains("nothing changed"),
        "{ev:?}"
    );
}

#[test]
fn a_plain_reconnect_repairs_a_connection_revoked_at_the_provider() {
    let env = TestEnv::new();
    env.login();
    env.connect("slack", None);
    let before = slack_account(&env);
    env.control(
        "POST",
        "/__emulator/accounts/revoke-provider",
        serde_json::json!({"connection": "sign-in-with-slack"}),
    );
    env.dc().args(["tool", "slack", "unread"]).assert().code(4);
    env.dc().args(["connect", "slack"]).assert().success();
    let after = slack_account(&env);
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["provider_state"], "ok");
    assert_eq!(scopes(&after), scopes(&before));
    env.dc()
        .args(["tool", "slack", "unread"])
        .assert()
        .success();
}
