//! Issue 14, points 5 and 6 through the real binary: a permission or audit
//! store written by a newer devcontext is refused by every path (checks deny,
//! tool calls stop before any request, nothing is appended, pruned or
//! changed), and files are written safely (no planted symlink followed,
//! folders tightened to 0700, a credential file others can read refused).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command as StdCommand, Output};

use serde_json::Value;

mod common;

use common::TestEnv;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn sqlite(db: &Path, sql: &str) -> String {
    let out = StdCommand::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .expect("sqlite3 shell (apt-get install sqlite3)");
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn state(env: &TestEnv) -> std::path::PathBuf {
    env.home.path().join("dc/state")
}

/// Requests that reached Auth0's token endpoint, a provider or the model.
fn outbound(env: &TestEnv) -> Vec<String> {
    env.requests()
        .iter()
        .filter_map(|r| r["path"].as_str().map(str::to_string))
        .filter(|p| {
            p.starts_with("/oauth/token")
                || p.starts_with("/github")
                || p.starts_with("/slack")
                || p.starts_with("/calendar")
                || p.starts_with("/v1/")
        })
        .collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_newer_permission_store_denies_every_check_and_changes_nothing() {
    let env = TestEnv::connected();
    let db = state(&env).join("permissions.db");
    let out = env.dc().args(["perms", "list"]).output().unwrap();
    assert!(out.status.success());
    sqlite(&db, "PRAGMA user_version = 7;");
    let before = std::fs::read(&db).unwrap();
    env.clear_requests();

    // A check denies (exit 7), says why and what to do, and is audited.
    let out = env
        .dc()
        .args(["perms", "check", "github"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(err.contains("newer devcontext (schema 7"), "{err}");
    assert!(err.contains("upgrade devcontext"), "{err}");
    let checks = env.audit("permission_check");
    assert_eq!(checks[0]["decision"], "denied", "{checks:?}");
    assert!(
        checks[0]["reason"]
            .as_str()
            .unwrap()
            .contains("newer devcontext")
    );

    // A tool call stops before any request: no exchange, no provider call.
    env.clear_requests();
    let out = env
        .dc()
        .args(["tool", "github", "review_requests"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(err.contains("upgrade devcontext"), "{err}");
    assert_eq!(outbound(&env), Vec::<String>::new());

    // Changes are refused; the file is byte for byte what it was.
    for args in [
        &["perms", "grant", "slack.post_message"][..],
        &["perms", "revoke", "github"],
        &["perms", "list"],
    ] {
        let out = env.dc().args(args).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("upgrade devcontext"), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(sqlite(&db, "PRAGMA user_version;"), "7");
}

#[test]
fn a_newer_audit_store_stops_every_command_before_any_request() {
    let env = TestEnv::connected();
    let db = state(&env).join("audit.db");
    sqlite(&db, "PRAGMA user_version = 9;");
    let before = std::fs::read(&db).unwrap();
    let count = sqlite(&db, "SELECT COUNT(*) FROM events;");
    env.clear_requests();
    for args in [
        &["tool", "github", "review_requests"][..],
        &["ask", "standup brief"],
        &["perms", "check", "github"],
        &["perms", "revoke", "slack"],
        &["audit", "prune", "--before", "1d"],
        &["audit", "--limit", "3"],
        &["audit", "verify"],
    ] {
        let out = env.dc().args(args).output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("written by a newer devcontext"),
            "{args:?}: {err}"
        );
        assert!(err.contains("upgrade devcontext"), "{args:?}: {err}");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error")).count(),
            1,
            "{err}"
        );
    }
    assert_eq!(outbound(&env), Vec::<String>::new());
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(sqlite(&db, "SELECT COUNT(*) FROM events;"), count);
    // Nor did the permission store change behind the refused revoke.
    let rules = sqlite(
        &state(&env).join("permissions.db"),
        "SELECT COUNT(*) FROM rules;",
    );
    assert_eq!(rules, "0");
}

#[test]
fn a_planted_symlink_at_the_old_temp_name_is_never_followed() {
    let env = TestEnv::new();
    let dir = state(&env);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let victim = env.home.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("session.json.tmp")).unwrap();
    env.login();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    let session = dir.join("session.json");
    let meta = std::fs::symlink_metadata(&session).unwrap();
    assert!(meta.is_file());
    assert_eq!(mode(&session), 0o600);
    let text = std::fs::read_to_string(&session).unwrap();
    serde_json::from_str::<Value>(&text).unwrap();
    // A symlink planted at the session file itself is replaced, not written through.
    std::fs::remove_file(&session).unwrap();
    std::os::unix::fs::symlink(&victim, &session).unwrap();
    env.login();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(std::fs::symlink_metadata(&session).unwrap().is_file());
    // No temp file is left behind.
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") && n != "session.json.tmp")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn open_folders_are_tightened_and_an_open_credential_file_is_refused() {
    let env = TestEnv::connected();
    let creds_dir = env.home.path().join("dc/credentials");
    let creds = creds_dir.join("credentials.json");
    assert_eq!(mode(&creds), 0o600);
    std::fs::set_permissions(state(&env), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&creds_dir, std::fs::Permissions::from_mode(0o775)).unwrap();
    let out = env
        .dc()
        .args(["tool", "github", "review_requests", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&state(&env)), 0o700);
    assert_eq!(mode(&creds_dir), 0o700);

    // Like ssh with a private key: readable by others means refused, with a hint.
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o644)).unwrap();
    env.clear_requests();
    let out = env
        .dc()
        .args(["tool", "github", "review_requests"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("accessible by other users (mode 0644)"),
        "{err}"
    );
    let hint = format!("chmod 600 {}", creds.display());
    assert!(err.contains(&hint), "{err}");
    assert!(
        !outbound(&env).iter().any(|p| p.starts_with("/github")),
        "{:?}",
        outbound(&env)
    );
    // Following the hint fixes it.
    let status = StdCommand::new("sh").arg("-c").arg(&hint).status().unwrap();
    assert!(status.success());
    let out = env
        .dc()
        .args(["tool", "github", "review_requests", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}
