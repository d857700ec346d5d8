//! Token Vault exchange failures end to end: each Auth0 error becomes the
//! documented exit code and hint, and is audited with Auth0's error code.

mod common;

use common::TestEnv;
use predicates::prelude::*;
use serde_json::json;

fn last_exchange(env: &TestEnv) -> serde_json::Value {
    env.audit("token_exchange")
        .into_iter()
        .next()
        .expect("an audited exchange")
}

#[test]
fn revoked_at_the_provider_says_reconnect_exit_4() {
    let env = TestEnv::connected();
    env.control(
        "POST",
        "/__emulator/accounts/revoke-provider",
        json!({"connection": "github"}),
    );
    env.dc()
        .args(["tool", "github", "review_requests"])
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains("revoked or expired")
                .and(predicate::str::contains("devcontext connect github")),
        );
    let e = last_exchange(&env);
    assert_eq!(e["http_status"], 401);
    assert!(
        e["reason"]
            .as_str()
            .unwrap()
            .starts_with("federated_connection_refresh_token_flow_failed")
    );
}

#[test]
fn expired_session_says_login_exit_3() {
    let env = TestEnv::connected();
    env.control(
        "POST",
        "/__emulator/expire",
        json!({"what": "refresh_tokens"}),
    );
    env.dc()
        .args(["tool", "calendar", "today"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("devcontext login"));
    assert!(
        last_exchange(&env)["reason"]
            .as_str()
            .unwrap()
            .starts_with("invalid_grant")
    );
}

#[test]
fn token_vault_grant_disabled_names_the_tenant_setting() {
    let env = TestEnv::connected();
    env.control(
        "POST",
        "/__emulator/knobs",
        json!({"tokenvault_disabled": true}),
    );
    env.dc()
        .args(["tool", "slack", "unread"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("enable the Token Vault grant"));
    assert!(
        last_exchange(&env)["reason"]
            .as_str()
            .unwrap()
            .starts_with("unauthorized_client")
    );
}

#[test]
fn rate_limited_exchange_honours_retry_after_then_succeeds() {
    let env = TestEnv::connected();
    env.clear_requests();
    env.fault(json!({"path_prefix": "/oauth/token", "status": 429,
        "body": "{\"error\":\"too_many_requests\",\"error_description\":\"Global limit\"}",
        "content_type": "application/json", "headers": {"Retry-After": "1"}, "times": 1}));
    env.dc()
        .args(["tool", "github", "notifications"])
        .assert()
        .success();
    let posts = env
        .requests()
        .into_iter()
        .filter(|r| r["path"] == "/oauth/token")
        .count();
    assert_eq!(posts, 2, "one 429, one retry");
}

#[test]
fn dead_network_is_exit_6() {
    let env = TestEnv::connected();
    env.dc()
        .env("DEVCONTEXT_GITHUB_API_URL", "http://127.0.0.1:9")
        .args(["tool", "github", "review_requests"])
        .assert()
        .code(6)
        .stderr(
            predicate::str::contains("could not connect").and(predicate::str::contains("hint:")),
        );
}

#[test]
fn plain_http_off_loopback_is_refused_before_any_request() {
    let env = TestEnv::connected();
    env.clear_requests();
    env.dc()
        .env("DEVCONTEXT_SLACK_API_URL", "http://slack.example.com/api")
        .args(["tool", "slack", "unread"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plain http://"));
    assert_eq!(env.exchanges(), 0);
}
