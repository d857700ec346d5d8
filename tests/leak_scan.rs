//! The leak scan's own tests. `scripts/leak_scan.py` (run by scripts/test.sh
//! after the suite) looks for every secret the emulators minted in every test
//! home and every captured stdout and stderr. Most tests run without `-v`, so
//! this one runs a representative set of commands with debug logs on (`-v`,
//! and `-vv` for the more detailed level): both logins, connect, tool calls,
//! a write, `ask`, status and audit, refresh-token rotation, and error paths
//! whose upstream bodies echo the very tokens devcontext sent. It checks its
//! own output for whole secrets; the scan then checks every piece of them.

use serde_json::{Value, json};

mod common;

use common::{SLACK_SCOPES_WITH_WRITE, TestEnv};

struct Run<'a> {
    env: &'a TestEnv,
    outputs: Vec<(String, String)>,
}

impl Run<'_> {
    /// Runs `devcontext ARGS` with debug logs; returns its exit code.
    fn dc(&mut self, verbosity: &str, args: &[&str]) -> Option<i32> {
        let out = self.env.dc().arg(verbosity).args(args).output().unwrap();
        self.outputs.push((
            format!("{verbosity} {}", args.join(" ")),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        ));
        out.status.code()
    }

    fn ok(&mut self, verbosity: &str, args: &[&str]) {
        let code = self.dc(verbosity, args);
        assert_eq!(
            code,
            Some(0),
            "{args:?}: {}",
            self.outputs.last().unwrap().1
        );
    }
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() >= 8 => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn first(secrets: &Value, kind: &str, prefix: &str) -> String {
    secrets[kind]
        .as_array()
        .and_then(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .find(|s| s.starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("the emulator minted a {kind} starting {prefix}: {secrets}"))
        .to_string()
}

#[test]
fn debug_logs_of_representative_commands_hold_no_secret() {
    let env = TestEnv::new();
    env.control("POST", "/__emulator/knobs", json!({"device_interval": 1}));
    let mut run = Run {
        env: &env,
        outputs: Vec::new(),
    };

    // Device login (Design B) and a tool call through the access-token exchange.
    let (stdout, stderr) = common::device_login(&env, &["-vv"]);
    run.outputs
        .push(("-vv login --device".into(), format!("{stdout}{stderr}")));
    run.ok("-vv", &["connect", "github"]);
    run.ok("-vv", &["tool", "github", "review_requests", "--json"]);

    // Browser login (Design A), the other services, reads, a write, ask.
    run.ok("-v", &["login"]);
    run.ok("-vv", &["connect", "google"]);
    run.ok(
        "-vv",
        &["connect", "slack", "--scopes", SLACK_SCOPES_WITH_WRITE],
    );
    run.dc("-v", &["connect", "github"]);
    for args in [
        &["connections", "--json"][..],
        &["status"],
        &["status", "--json"],
        &["perms", "list", "--json"],
        &["tools", "--json"],
        &["tool", "github", "review_requests"],
        &["tool", "slack", "unread", "--json"],
        &["tool", "calendar", "today"],
        &[
            "tool",
            "slack",
            "post_message",
            "--channel",
            "general",
            "--text",
            "leak scan",
            "--yes",
        ],
        &["ask", "standup brief"],
        &["ask", "--json", "standup brief"],
    ] {
        run.ok("-vv", args);
    }

    // Upstream errors that echo back the tokens and secrets devcontext sent.
    let secrets = env.get("/__emulator/secrets");
    let refresh = first(&secrets, "refresh_tokens", "emu_rt_");
    let client_secret = first(&secrets, "client_secrets", "emu_cs_");
    let github = first(&secrets, "provider_tokens", "ghu_");
    let slack = first(&secrets, "provider_tokens", "xoxp-");
    let google = first(&secrets, "provider_tokens", "ya29.");
    let access = first(&secrets, "access_tokens", "eyJ");
    // Each fault answers every matching request until the next one replaces it.
    let echo = |prefix: &str, status: u16, body: Value| {
        env.control("DELETE", "/__emulator/faults", Value::Null);
        env.fault(
            json!({"path_prefix": prefix, "status": status, "body": body.to_string(), "times": 0}),
        );
    };
    echo(
        "/oauth/token",
        400,
        json!({"error": "invalid_grant", "error_description":
            format!("refresh_token {refresh} (client_secret={client_secret}) is not valid")}),
    );
    run.dc("-vv", &["connections", "--json"]);
    echo(
        "/oauth/token",
        401,
        json!({"error": "federated_connection_refresh_token_flow_failed", "error_description":
            format!("subject_token {access} rejected; provider said: bad token {github}")}),
    );
    run.dc("-vv", &["tool", "github", "review_requests"]);
    echo(
        "/github/",
        401,
        json!({"message": format!("Bad credentials: {github}"), "token": github}),
    );
    run.dc("-vv", &["tool", "github", "review_requests", "--json"]);
    echo(
        "/slack/api/",
        200,
        json!({"ok": false, "error": "invalid_auth", "warning": slack}),
    );
    run.dc("-vv", &["tool", "slack", "unread"]);
    echo(
        "/calendar/v3/",
        403,
        json!({"error": {"code": 403, "message": format!("Token {google} lacks a scope")}}),
    );
    run.dc("-vv", &["tool", "calendar", "today", "--json"]);
    echo(
        "/v1/chat/completions",
        400,
        json!({"error": {"message": format!("invalid key; you sent {google} and {refresh}")}}),
    );
    run.dc("-vv", &["ask", "standup brief"]);
    env.control("DELETE", "/__emulator/faults", Value::Null);

    // MFA demanded at the exchange (Auth0 returns an mfa_token), a provider
    // that revoked the grant, expired tokens, refresh-token rotation.
    env.control("POST", "/__emulator/knobs", json!({"mfa_always": true}));
    run.dc("-vv", &["tool", "calendar", "today"]);
    env.control("POST", "/__emulator/knobs", json!({"mfa_always": false}));
    env.control(
        "POST",
        "/__emulator/accounts/revoke-provider",
        json!({"connection": "sign-in-with-slack"}),
    );
    run.dc("-vv", &["tool", "slack", "unread"]);
    env.control(
        "POST",
        "/__emulator/accounts/restore",
        json!({"connection": "sign-in-with-slack"}),
    );
    for what in ["provider_tokens", "access_tokens"] {
        env.control("POST", "/__emulator/expire", json!({"what": what}));
        run.ok("-vv", &["tool", "github", "review_requests"]);
    }
    env.control("POST", "/__emulator/knobs", json!({"rotation": true}));
    run.ok("-vv", &["connections", "--json"]);
    run.ok("-vv", &["connections"]);
    // (Token Vault refuses refresh tokens while rotation is on: exit 5, with a hint.)
    run.dc("-vv", &["tool", "slack", "unread"]);
    env.control("POST", "/__emulator/knobs", json!({"rotation": false}));

    // Permissions, the audit, and the end of the session.
    run.ok("-vv", &["perms", "revoke", "slack"]);
    run.ok("-vv", &["ask", "--json", "standup brief"]);
    run.ok("-vv", &["perms", "grant", "slack", "--for", "1h"]);
    run.ok("-vv", &["audit", "--json", "--limit", "1000"]);
    run.ok("-vv", &["audit", "--ndjson"]);
    run.ok("-vv", &["audit", "verify"]);
    run.ok("-vv", &["disconnect", "slack"]);
    run.ok("-vv", &["logout"]);
    run.dc("-v", &["status"]);

    let logs = run
        .outputs
        .iter()
        .filter(|(_, text)| text.contains(" DEBUG ") || text.contains(" TRACE "))
        .count();
    assert!(
        logs * 2 > run.outputs.len(),
        "most commands printed debug logs ({logs} of {})",
        run.outputs.len()
    );
    // Under scripts/test.sh, check that the harness really captured and recorded.
    if let Some(dir) = common::leak_dir() {
        let mine = |sub: &str, ext: &str| -> Vec<u64> {
            std::fs::read_dir(dir.join(sub))
                .unwrap()
                .flatten()
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.contains("debug_logs_of_representative") && name.ends_with(ext)
                })
                .map(|e| e.metadata().unwrap().len())
                .collect()
        };
        let stderr = mine("output", ".err");
        assert!(stderr.len() >= run.outputs.len(), "every stderr captured");
        assert!(
            stderr.iter().filter(|&&len| len > 0).count() >= logs,
            "the debug logs captured"
        );
        env.emu.record_secrets();
        assert!(
            mine("secrets", ".json").iter().any(|&len| len > 0),
            "secrets recorded"
        );
    }
    let mut minted = Vec::new();
    strings(&env.get("/__emulator/secrets"), &mut minted);
    assert!(minted.len() > 20, "the emulator lists what it minted");
    for (command, text) in &run.outputs {
        for (i, secret) in minted.iter().enumerate() {
            assert!(
                !text.contains(secret.as_str()),
                "`devcontext {command}` printed minted secret #{i} (a {}-character value)",
                secret.len()
            );
        }
    }
}

/// The scanner finds planted leaks (whole and partial, in a state file, a
/// database WAL across a read boundary, stdout and stderr), skips the
/// credential store, never prints a secret, and fails when an emulator's
/// secrets are missing.
#[test]
fn leak_scanner_finds_planted_leaks() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/leak_scan.py");
    let out = std::process::Command::new("python3")
        .args([script, "--self-test"])
        .output()
        .expect("python3 runs scripts/leak_scan.py");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
