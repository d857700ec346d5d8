//! `devcontext doctor` through the binary: a healthy emulator tenant passes
//! every check (exit 0, its exchanges audited as `doctor`), and each
//! misconfiguration knob of the emulator (`/__emulator/tenant/misconfigure`)
//! makes doctor fail (exit 1) naming exactly that one fix. Where the fix is a
//! devcontext command, the test follows it and doctor passes again.

mod common;

use common::TestEnv;
use serde_json::{Value, json};

/// Runs `doctor` (human, then --json); prints the human output for the
/// record and returns (exit code, JSON report).
fn doctor(env: &TestEnv, label: &str) -> (i32, Value) {
    let human = env.dc().arg("doctor").output().unwrap();
    eprintln!(
        "---- doctor, {label} (exit {:?})\n{}{}",
        human.status.code(),
        String::from_utf8_lossy(&human.stdout),
        String::from_utf8_lossy(&human.stderr)
    );
    let out = env.dc().args(["doctor", "--json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(human.status.code(), out.status.code());
    (out.status.code().unwrap(), report)
}

fn failures(report: &Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["fix"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_healthy_tenant_passes_every_check_and_the_exchanges_are_audited_as_doctor() {
    let env = TestEnv::connected();
    let (code, report) = doctor(&env, "healthy tenant");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["ok"], true);
    let checks = report["checks"].as_array().unwrap();
    assert!(checks.iter().all(|c| c["status"] == "pass"), "{report:#}");
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    for want in [
        "config.domain",
        "config.client_ids",
        "config.credentials",
        "config.callback_port",
        "discovery",
        "session",
        "my_account",
        "github.exchange",
        "calendar.scopes",
        "slack.connection",
        "slack.account",
        "permissions",
        "audit",
    ] {
        assert!(ids.contains(&want), "{want} in {ids:?}");
    }
    // Both outputs ran three exchanges each, audited with the command `doctor`.
    let exchanges: Vec<Value> = env
        .audit("token_exchange")
        .into_iter()
        .filter(|e| e["command"] == "doctor")
        .collect();
    assert_eq!(exchanges.len(), 6, "{exchanges:#?}");
    assert!(exchanges.iter().all(|e| e["decision"] == "granted"));
    common::audit_verify(&env);
}

#[test]
fn not_logged_in_names_login_and_skips_what_needs_it() {
    let env = TestEnv::new();
    let (code, report) = doctor(&env, "not logged in");
    assert_eq!(code, 1);
    assert_eq!(
        failures(&report),
        [("session".into(), "run `devcontext login`".into())]
    );
    env.login();
    let (code, _) = doctor(&env, "logged in, nothing connected");
    assert_eq!(code, 1);
}

/// Sets one knob on a connected tenant; doctor must fail with exactly one
/// distinct fix containing `fix`. Returns the env for following the fix.
fn knob(what: &str, connection: Option<&str>, fix: &str) -> TestEnv {
    let env = TestEnv::connected();
    let mut body = json!({"what": what});
    if let Some(c) = connection {
        body["connection"] = json!(c);
    }
    let answer = env.control("POST", "/__emulator/tenant/misconfigure", body);
    assert_eq!(answer["misconfigured"], what, "{answer}");
    let (code, report) = doctor(&env, &format!("knob {what}"));
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["ok"], false);
    let fails = failures(&report);
    let mut fixes: Vec<&String> = fails.iter().map(|(_, f)| f).collect();
    fixes.sort();
    fixes.dedup();
    assert_eq!(fixes.len(), 1, "one fix for {what}: {fails:#?}");
    assert!(
        fixes[0].contains(fix),
        "{what}: {fixes:?} should contain {fix}"
    );
    env
}

#[test]
fn knob_rotation_on() {
    knob(
        "rotation",
        None,
        "turn off \"Allow Refresh Token Rotation\"",
    );
}

#[test]
fn knob_mfa_always() {
    knob(
        "mfa_always",
        None,
        "Require Multi-factor Auth: choose \"Never\"",
    );
}

#[test]
fn knob_connection_not_enabled_for_the_app() {
    knob(
        "connection_not_enabled",
        Some("sign-in-with-slack"),
        "Authentication > Social > sign-in-with-slack > Applications: turn on the application",
    );
}

#[test]
fn knob_no_my_account_grant() {
    knob(
        "no_my_account_grant",
        None,
        "Auth0 My Account API > Application Access: edit the application",
    );
}

#[test]
fn knob_consent_skipping_off() {
    knob(
        "consent_skipping_off",
        None,
        "\"Allow Skipping User Consent\"",
    );
}

#[test]
fn knob_no_mrrt_policy() {
    knob(
        "no_mrrt_policy",
        None,
        "Multi-Resource Refresh Token policy for audience",
    );
}

#[test]
fn knob_no_token_vault_grant() {
    knob(
        "no_token_vault_grant",
        None,
        "Grant Types: tick \"Token Vault\"",
    );
}

#[test]
fn knob_provider_token_revoked_and_following_the_fix() {
    let env = knob(
        "provider_token_revoked",
        Some("sign-in-with-slack"),
        "run `devcontext connect slack` (re-authorises the same account",
    );
    env.dc().args(["connect", "slack"]).assert().success();
    let (code, report) = doctor(&env, "after `devcontext connect slack`");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn knob_a_scope_missing_and_following_the_fix() {
    let env = knob(
        "scope_missing",
        Some("sign-in-with-slack"),
        "run `devcontext connect slack --scopes search:read`",
    );
    let (_, report) = doctor(&env, "scope missing (again, for the detail)");
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "slack.scopes")
        .unwrap()
        .clone();
    assert!(
        check["detail"]
            .as_str()
            .unwrap()
            .contains("disables slack.unread"),
        "{check}"
    );
    env.dc()
        .args(["connect", "slack", "--scopes", "search:read"])
        .assert()
        .success();
    let (code, report) = doctor(
        &env,
        "after `devcontext connect slack --scopes search:read`",
    );
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn design_b_needs_no_web_application_and_doctor_passes() {
    let mut env = TestEnv::new();
    // Design B: the native app and the Custom API Client only.
    env.set("DEVCONTEXT_AUTH0_CLIENT_ID", "");
    env.set("DEVCONTEXT_AUTH0_CLIENT_SECRET", "");
    common::device_login(&env, &[]);
    for s in ["github", "google", "slack"] {
        env.dc().args(["connect", s]).assert().success();
    }
    env.dc()
        .args(["tool", "github", "review_requests", "--json"])
        .assert()
        .success();
    let (code, report) = doctor(&env, "Design B (device login)");
    assert_eq!(code, 0, "{report:#}");
    let ids = report["checks"].as_array().unwrap();
    let client = ids.iter().find(|c| c["id"] == "config.client_ids").unwrap();
    assert!(
        client["detail"].as_str().unwrap().starts_with("Design B"),
        "{client}"
    );
}

#[test]
fn no_provider_refresh_token_names_the_provider_app_setting() {
    let env = TestEnv::connected();
    env.control(
        "POST",
        "/__emulator/accounts/no-refresh-token",
        json!({"connection": "github"}),
    );
    let (code, report) = doctor(&env, "GitHub connected without a provider refresh token");
    assert_eq!(code, 1);
    let fails = failures(&report);
    assert_eq!(fails.len(), 1, "{fails:#?}");
    assert_eq!(fails[0].0, "github.exchange");
    assert!(
        fails[0]
            .1
            .contains("\"Expire user authorization tokens\" on"),
        "{fails:?}"
    );
}
