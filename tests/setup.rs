//! `devcontext setup` through the binary against the emulator's Management
//! API: a blank tenant (`/__emulator/tenant/blank`) is planned by
//! `--dry-run` without any change, configured by `setup`, left alone by a
//! second run (which says so), and then works end to end (login, connect,
//! doctor). Every misconfiguration that doctor names with "or run
//! `devcontext setup`" is repaired by following that hint. No token or
//! secret is ever printed.

mod common;

use common::TestEnv;
use serde_json::{Value, json};

fn tenant(env: &TestEnv) -> Value {
    env.get("/__emulator/tenant")
}

fn run(env: &TestEnv, args: &[&str]) -> (i32, String, String) {
    let out = env.dc().args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn no_secret_in(env: &TestEnv, text: &str) {
    let secrets = env.get("/__emulator/secrets");
    for key in ["client_secrets", "access_tokens", "refresh_tokens"] {
        for s in secrets[key].as_array().unwrap() {
            let s = s.as_str().unwrap();
            assert!(!text.contains(s), "{key} leaked into the output");
        }
    }
}

#[test]
fn a_blank_tenant_is_planned_configured_once_and_then_works() {
    let env = TestEnv::new();
    env.control("POST", "/__emulator/tenant/blank", json!({}));
    let blank = tenant(&env);

    // --dry-run: the plan, and nothing changed.
    let (code, out, err) = run(&env, &["setup", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    eprintln!("---- setup --dry-run on a blank tenant\n{out}");
    assert!(out.contains("dry run, nothing changed"), "{out}");
    for want in [
        "add grant types Token Vault",
        "add Allowed Callback URLs http://127.0.0.1:18484/callback",
        "http://127.0.0.1:18489/callback",
        "turn off refresh-token rotation",
        "add an MRRT policy for",
        "activate the My Account API",
        "\"Allow Skipping User Consent\"",
        "user-access grant to the My Account API",
        "connection sign-in-with-slack: turn on the purpose \"Connected Accounts for Token Vault\"; enable it for application",
        "Callback URL: http://127.0.0.1:",
        "Advanced token security via token rotation: Opt In",
        "enable the Google Calendar API",
    ] {
        assert!(out.contains(want), "dry run lacks {want:?}:\n{out}");
    }
    assert_eq!(tenant(&env), blank, "--dry-run changed the tenant");
    let plan = env.json(&["setup", "--dry-run", "--json"]);
    assert_eq!(plan["changed"], false);
    assert_eq!(plan["changes"].as_array().unwrap().len(), 9, "{plan:#}");
    assert_eq!(tenant(&env), blank);

    // The real run changes exactly what the plan said.
    let (code, out, err) = run(&env, &["setup"]);
    assert_eq!(code, 0, "{err}");
    eprintln!("---- setup on a blank tenant\n{out}");
    assert!(out.contains("Changed 9 of"), "{out}");
    let configured = tenant(&env);
    assert_ne!(configured, blank);
    let web_id = env.emu.var("DEVCONTEXT_AUTH0_CLIENT_ID");
    let web = configured["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == web_id.as_str())
        .unwrap();
    assert_eq!(web["rotating"], false);
    assert_eq!(web["callbacks"].as_array().unwrap().len(), 6);
    assert!(web["grant_types"].as_array().unwrap().iter().any(|g| {
        g.as_str()
            .unwrap()
            .ends_with("federated-connection-access-token")
    }));

    // Idempotent: the second run changes nothing and says so.
    let (code, out, err) = run(&env, &["setup"]);
    assert_eq!(code, 0, "{err}");
    eprintln!("---- setup, second run\n{out}");
    assert!(
        out.starts_with("Nothing to change: ")
            && out.contains("already matches docs/tenant-setup.md"),
        "{out}"
    );
    assert_eq!(tenant(&env), configured, "the second run changed something");

    // And the tenant now works the first time.
    env.login();
    for s in ["github", "google", "slack"] {
        env.connect(s, None);
    }
    let (code, out, err) = run(&env, &["doctor"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_management_token_works_and_is_never_printed() {
    let mut env = TestEnv::new();
    // A token from the M2M app's client credentials, as the API Explorer would give.
    let token_answer = std::process::Command::new("curl")
        .args(["-s", "-X", "POST", "-d"])
        .arg(format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&audience={}/api/v2/",
            env.emu.var("DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_ID"),
            env.emu.var("DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_SECRET"),
            env.emu.url
        ))
        .arg(format!("{}/oauth/token", env.emu.url))
        .output()
        .unwrap();
    let answer: Value = serde_json::from_slice(&token_answer.stdout).unwrap();
    let token = answer["access_token"].as_str().unwrap().to_string();
    env.set("DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_ID", "");
    env.set("DEVCONTEXT_AUTH0_MANAGEMENT_CLIENT_SECRET", "");
    env.control("POST", "/__emulator/tenant/blank", json!({}));

    // Without any credentials: one line saying what to set (exit 2).
    let (code, _, err) = run(&env, &["setup", "--dry-run"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("setup needs access to the Auth0 Management API"),
        "{err}"
    );
    assert!(err.contains("DEVCONTEXT_AUTH0_MANAGEMENT_TOKEN"), "{err}");

    let (code, out, err) = run(&env, &["setup", "--management-token", &token]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("through the given Management API token"),
        "{out}"
    );
    no_secret_in(&env, &out);
    no_secret_in(&env, &err);
    env.set("DEVCONTEXT_AUTH0_MANAGEMENT_TOKEN", &token);
    let (code, out, err) = run(&env, &["setup", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["changes"].as_array().unwrap().len(), 0);
    no_secret_in(&env, &out);
    // --help never shows the variable's value either.
    let (_, help, _) = run(&env, &["setup", "--help"]);
    assert!(!help.contains(&token));

    // A bad token: one line, the hint says what to give.
    env.set("DEVCONTEXT_AUTH0_MANAGEMENT_TOKEN", "not-a-token");
    let (code, _, err) = run(&env, &["setup"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the Management API token was refused"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// Every knob whose doctor fix says "or run `devcontext setup`": following
/// that hint makes doctor pass again.
#[test]
fn setup_repairs_what_doctor_sends_it_for() {
    for (what, connection) in [
        ("rotation", None),
        ("no_token_vault_grant", None),
        ("no_my_account_grant", None),
        ("consent_skipping_off", None),
        ("no_mrrt_policy", None),
        ("connection_not_enabled", Some("sign-in-with-slack")),
        ("connected_accounts_off", Some("github")),
    ] {
        let env = TestEnv::connected();
        let mut body = json!({"what": what});
        if let Some(c) = connection {
            body["connection"] = json!(c);
        }
        env.control("POST", "/__emulator/tenant/misconfigure", body);
        let (code, out, _) = run(&env, &["doctor"]);
        assert_eq!(code, 1, "{what}: {out}");
        assert!(out.contains("run `devcontext setup`"), "{what}: {out}");
        let (code, out, err) = run(&env, &["setup"]);
        assert_eq!(code, 0, "{what}: {err}");
        assert!(out.contains("Changed 1 of"), "{what}: {out}");
        let (code, out, err) = run(&env, &["doctor"]);
        assert_eq!(
            code, 0,
            "{what}: after setup doctor still fails:\n{out}{err}"
        );
    }
}

#[test]
fn an_mfa_policy_of_always_is_reported_as_a_step_for_a_person() {
    let env = TestEnv::new();
    env.control(
        "POST",
        "/__emulator/tenant/misconfigure",
        json!({"what": "mfa_always"}),
    );
    let (code, out, err) = run(&env, &["setup"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Nothing to change"), "{out}");
    assert!(
        out.contains("Still to do by hand")
            && out.contains("Require Multi-factor Auth: choose \"Never\""),
        "{out}"
    );
}
