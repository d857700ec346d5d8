//! Issue 14, points 4 and 8 through the real binary: every Auth0 body has a
//! byte cap (an endless one stops the command), the audit table shows an
//! oversized reason cut and marked, base URLs with user:pass@ are refused
//! before any request, and path segments from provider data are encoded or,
//! when they would change the path, refused.

use std::path::Path;
use std::process::{Command as StdCommand, Output};

use serde_json::{Value, json};

mod common;

use common::TestEnv;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn endless(path: &str) -> Value {
    json!({
        "path_prefix": path,
        "status": 200,
        "content_type": "application/json",
        "body": "{\"padding\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",",
        "endless": true,
        "times": 0
    })
}

#[test]
fn endless_auth0_bodies_stop_at_the_cap() {
    // The token endpoint: login fails with one line, exit 5.
    let env = TestEnv::new();
    env.fault(endless("/oauth/token"));
    let out = env.dc().arg("login").output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("larger than 1 MB"), "{err}");
    env.control("DELETE", "/__emulator/faults", Value::Null);

    // Discovery.
    env.fault(endless("/.well-known/openid-configuration"));
    let out = env.dc().arg("login").output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(
        err.contains("Auth0 discovery: the answer is larger than 1 MB"),
        "{err}"
    );
    env.control("DELETE", "/__emulator/faults", Value::Null);

    // My Account (connected accounts) after a good login.
    env.login();
    env.fault(endless("/me/v1/connected-accounts"));
    let out = env.dc().args(["connect", "github"]).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(
        err.contains("My Account API: the answer is larger than 1 MB"),
        "{err}"
    );
}

fn sqlite(db: &Path, sql: &str) {
    let status = StdCommand::new("sqlite3")
        .arg(db)
        .arg(sql)
        .status()
        .expect("sqlite3 shell (apt-get install sqlite3)");
    assert!(status.success());
}

#[test]
fn an_oversized_reason_is_shown_cut_and_marked() {
    let env = TestEnv::new();
    for s in ["github", "slack", "calendar"] {
        let out = env.dc().args(["perms", "check", s]).output().unwrap();
        assert!(out.status.success());
    }
    // A 20 MB reason, as an older binary (or a hand edit) could have stored.
    let db = env.home.path().join("dc/state/audit.db");
    sqlite(
        &db,
        "UPDATE events SET reason = 'ü' || replace(hex(zeroblob(10000000)), '00', 'xx') WHERE id = 2;",
    );
    let out = env.dc().args(["audit", "--limit", "3"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    // Bounded by what is shown (4 KB of reason, wrapped), not by the 20 MB stored.
    assert!(text.len() < 256 * 1024, "{} bytes", text.len());
    assert!(text.contains("bytes not shown"), "{text}");

    let events = env.json(&["audit", "--json", "--limit", "3"]);
    let reason = events[1]["reason"].as_str().unwrap();
    assert!(reason.len() < 4200, "{}", reason.len());
    assert!(
        reason.ends_with("bytes not shown)"),
        "{}",
        &reason[reason.len() - 40..]
    );
    // The chain check still sees the whole row.
    let out = env.dc().args(["audit", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "the edit breaks the chain");
}

#[test]
fn base_urls_with_credentials_are_refused_before_any_request() {
    let mut env = TestEnv::connected();
    let model = env
        .emu
        .var("OPENAI_BASE_URL")
        .replace("http://", "http://me:hunter2@");
    env.set("OPENAI_BASE_URL", &model);
    env.clear_requests();
    let out = env.dc().args(["ask", "standup"]).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("user:pass@"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert_eq!(env.requests().len(), 0, "{:?}", env.requests());

    let github = env
        .emu
        .var("DEVCONTEXT_GITHUB_API_URL")
        .replace("http://", "http://token@");
    env.set("DEVCONTEXT_GITHUB_API_URL", &github);
    let out = env
        .dc()
        .args(["tool", "github", "review_requests"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("GitHub API URL"), "{err}");
    assert_eq!(env.requests().len(), 0, "{:?}", env.requests());
}

#[test]
fn path_segments_from_provider_data_are_encoded_or_refused() {
    let env = TestEnv::connected();
    // GitHub names the user "../admin": the events path would climb out.
    env.fault(json!({"path_prefix": "/github/user", "status": 200,
        "body": "{\"login\": \"../admin\"}", "times": 1}));
    env.clear_requests();
    let out = env
        .dc()
        .args(["tool", "github", "activity"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("GitHub login"), "{err}");
    assert!(err.contains("would change the path"), "{err}");
    let paths: Vec<String> = env
        .requests()
        .iter()
        .filter_map(|r| r["path"].as_str().map(str::to_string))
        .filter(|p| p.starts_with("/github"))
        .collect();
    assert_eq!(paths, ["/github/user"], "{paths:?}");

    // A login with characters that mean something in a URL is encoded.
    env.fault(json!({"path_prefix": "/github/user", "status": 200,
        "body": "{\"login\": \"dana r?x#y\"}", "times": 1}));
    env.clear_requests();
    let _ = env
        .dc()
        .args(["tool", "github", "activity"])
        .output()
        .unwrap();
    let paths: Vec<String> = env
        .requests()
        .iter()
        .filter_map(|r| r["path"].as_str().map(str::to_string))
        .filter(|p| p.starts_with("/github/users"))
        .collect();
    assert_eq!(
        paths,
        ["/github/users/dana%20r%3Fx%23y/events"],
        "{paths:?}"
    );
}
